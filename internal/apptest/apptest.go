// Package apptest starts the real application for end-to-end tests: the
// whole router over httptest, on a fresh SQLite or MariaDB database and a
// private Redis database, with a bootstrap admin. Tests talk HTTP to it,
// and every response is checked against docs/openapi.yaml.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/app"
	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// AdminEmail and AdminPassword are the bootstrap admin of every test app.
// The password is generated per process; nothing real is stored anywhere.
const AdminEmail = "admin@test.example.com"

// AdminPassword is random per test binary.
var AdminPassword = "pw-" + fmt.Sprint(time.Now().UnixNano())

// Server is a running application.
type Server struct {
	*httptest.Server
	App *app.App
	T   testing.TB
}

// Options tune Start.
type Options struct {
	// Env adds or overrides CRUMB_* variables.
	Env map[string]string
	// Clock replaces time.Now for the domain services.
	Clock func() time.Time
}

// Start runs the app on dialect with a fresh database and Redis db.
func Start(t testing.TB, dialect db.Dialect, opts Options) *Server {
	t.Helper()
	_, redisDB := testutil.Redis(t)
	env := map[string]string{
		"CRUMB_DATABASE_URL":   testutil.NewDBURL(t, dialect),
		"CRUMB_REDIS_URL":      fmt.Sprintf("redis://%s/%d", testutil.RedisAddr(), redisDB),
		"CRUMB_ADMIN_EMAIL":    AdminEmail,
		"CRUMB_ADMIN_PASSWORD": AdminPassword,
		"CRUMB_DEMO":           "off",
		"CRUMB_DATA_DIR":       t.TempDir(),
		"CRUMB_LOG_LEVEL":      "error",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	ts := httptest.NewUnstartedServer(nil)
	env["CRUMB_BASE_URL"] = "http://" + ts.Listener.Addr().String()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.PasswordHashing = testutil.CheapHasher()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	var appOpts []app.Option
	if opts.Clock != nil {
		appOpts = append(appOpts, app.WithClock(opts.Clock))
	}
	a, err := app.New(context.Background(), cfg, log, appOpts...)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	if err := a.Bootstrap(context.Background()); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	stopRealtime, err := a.StartRealtime()
	if err != nil {
		t.Fatalf("realtime: %v", err)
	}
	ts.Config.Handler = validateResponses(t, a.Router())
	ts.Start()
	t.Cleanup(func() {
		a.Drain(context.Background())
		ts.Close()
		stopRealtime()
		a.Close()
	})
	return &Server{Server: ts, App: a, T: t}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Response is a decoded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns error.code of an error body, or "".
func (r Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends a request with a Bearer token (may be empty). body may be nil,
// a string/[]byte (sent as is) or any value (encoded as JSON).
func (s *Server) Do(method, path, token string, body any, headers ...string) Response {
	s.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.T.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.T.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		s.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Must sends a request and fails the test unless the status is want.
func (s *Server) Must(want int, method, path, token string, body any, headers ...string) Response {
	s.T.Helper()
	r := s.Do(method, path, token, body, headers...)
	if r.Status != want {
		s.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Login signs in and returns the token.
func (s *Server) Login(email, password string) string {
	s.T.Helper()
	r := s.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	var out struct {
		Token string `json:"token"`
	}
	r.JSON(s.T, &out)
	return out.Token
}

// AdminToken signs in as the bootstrap admin.
func (s *Server) AdminToken() string { return s.Login(AdminEmail, AdminPassword) }

// Person is a created test person.
type Person struct {
	ID       int64
	Email    string
	Password string
	Token    string
}

// CreateDepartment creates a department as admin and returns its id.
func (s *Server) CreateDepartment(admin, name string) int64 {
	s.T.Helper()
	var d struct {
		ID int64 `json:"id"`
	}
	s.Must(http.StatusCreated, "POST", "/api/v1/departments", admin, map[string]any{"name": name}).JSON(s.T, &d)
	return d.ID
}

// CreatePerson creates a person with role in depts and signs them in.
func (s *Server) CreatePerson(admin, role string, depts ...int64) Person {
	s.T.Helper()
	n := time.Now().UnixNano()
	p := Person{Email: fmt.Sprintf("%s%d@test.example.com", role, n), Password: fmt.Sprintf("pw-%d-long", n)}
	if depts == nil {
		depts = []int64{}
	}
	var e struct {
		ID int64 `json:"id"`
	}
	s.Must(http.StatusCreated, "POST", "/api/v1/employees", admin, map[string]any{
		"first_name": "Test", "last_name": strings.ToUpper(role[:1]) + role[1:], "email": p.Email, "password": p.Password,
		"role": role, "department_ids": depts,
	}).JSON(s.T, &e)
	p.ID = e.ID
	p.Token = s.Login(p.Email, p.Password)
	return p
}
