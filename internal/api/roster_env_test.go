package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/app"
	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// env is the real app (internal/apptest) with a store in America/Halifax,
// plus helpers that create people and sessions directly through the services.
type env struct {
	t    testing.TB
	a    *app.App
	srv  *httptest.Server
	http *http.Client
}

func newEnv(t *testing.T, dialect db.Dialect) *env { return newEnvTB(t, dialect) }

func newEnvTB(t testing.TB, dialect db.Dialect) *env {
	t.Helper()
	srv := apptest.Start(t, dialect, apptest.Options{Env: map[string]string{"CRUMB_TIMEZONE": "America/Halifax"}})
	return &env{t: t, a: srv.App, srv: srv.Server, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// dept creates a department as the system.
func (e *env) dept(name string) int64 {
	e.t.Helper()
	d, err := e.a.People.CreateDepartment(context.Background(), auth.System, people.DepartmentInput{Name: &name})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ID
}

var personSeq int

// person creates someone and returns their id and a session token.
func (e *env) person(role auth.Role, depts ...int64) (int64, string) {
	return e.personTB(e.t, role, depts...)
}

func (e *env) personTB(_ testing.TB, role auth.Role, depts ...int64) (int64, string) {
	e.t.Helper()
	personSeq++
	first, last := fmt.Sprintf("P%d", personSeq), "Test"
	email := fmt.Sprintf("p%d-%d@example.com", personSeq, time.Now().UnixNano())
	pw := "correct horse battery"
	if depts == nil {
		depts = []int64{}
	}
	p, err := e.a.People.CreateEmployee(context.Background(), auth.System, people.EmployeeInput{
		FirstName: &first, LastName: &last, Email: &email, Password: &pw, Role: &role, DepartmentIDs: &depts})
	if err != nil {
		e.t.Fatal(err)
	}
	var tok string
	err = e.a.Writer.Do(context.Background(), func(tx *outbox.Tx) error {
		tok, err = e.a.Sessions.Create(context.Background(), tx, p.ID, "127.0.0.1", "test")
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID, tok
}

// call sends a request and decodes the JSON answer into out (when not nil).
func call(t testing.TB, c *http.Client, base, method, path, token string, body any, out any, hdr ...string) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			r = bytes.NewReader([]byte(s))
		} else {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func (e *env) call(method, path, token string, body any, out any, hdr ...string) int {
	e.t.Helper()
	return call(e.t, e.http, e.srv.URL+"/api/v1", method, path, token, body, out, hdr...)
}

// at is a Halifax wall-clock time as RFC 3339.
func at(s string) string {
	loc, _ := time.LoadLocation("America/Halifax")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t.Format(time.RFC3339)
}
