package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/outbox"
)

const (
	testAdminEmail    = "admin@example.test"
	testAdminPassword = "correct-horse-battery"
	testOrigin        = "http://crumb.example.test"
)

// node is one running app (a "crumb serve" process) for tests.
type node struct {
	t    testing.TB
	App  *App
	URL  string // http://127.0.0.1:port
	stop func()
}

type nodeOpts struct {
	DatabaseURL string // "" = fresh SQLite under a temp dir
	DataDir     string
	RedisURL    string // "" = in-process Redis and the memory broker
	Hub         hub.Options
	WeekMaxAge  time.Duration     // the week cache's MaxAge; 0 = the default
	Env         map[string]string // more CRUMB_* settings
	Log         io.Writer         // the app's log; nil = discarded
}

// startNode builds an App like "crumb serve" does and serves it on a free
// loopback port until the test ends (or stop is called).
func startNode(t testing.TB, o nodeOpts) *node {
	t.Helper()
	cfg := nodeConfig(t, o)
	if o.Log == nil {
		o.Log = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, slog.New(slog.NewTextHandler(o.Log, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	a.HubOptions = o.Hub
	if o.WeekMaxAge > 0 {
		a.Roster.Weeks.MaxAge = o.WeekMaxAge
	}
	a.Relay.SweepInterval = 100 * time.Millisecond
	a.Relay.SweepAge = 200 * time.Millisecond
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- a.Serve(ctx, false, func(s string) { addr <- s })
	}()
	n := &node{t: t, App: a}
	select {
	case s := <-addr:
		n.URL = "http://" + s
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	stopped := false
	n.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		a.Close()
	}
	t.Cleanup(n.stop)
	return n
}

// nodeConfig is the configuration startNode serves with.
func nodeConfig(t testing.TB, o nodeOpts) *config.Config {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	env := map[string]string{
		"CRUMB_ADDR": "127.0.0.1:0", "CRUMB_DATA_DIR": o.DataDir, "CRUMB_DATABASE_URL": o.DatabaseURL,
		"CRUMB_REDIS_URL": o.RedisURL, "CRUMB_BASE_URL": testOrigin, "CRUMB_DEMO": "off",
		"CRUMB_ADMIN_EMAIL": testAdminEmail, "CRUMB_ADMIN_PASSWORD": testAdminPassword,
		"CRUMB_SHUTDOWN_TIMEOUT": "5s", "CRUMB_LOG_LEVEL": "error",
	}
	maps.Copy(env, o.Env)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// do sends a JSON request with a Bearer token and decodes the answer.
func (n *node) do(method, path, token string, in, out any) int {
	n.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.URL+path, body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			n.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return res.StatusCode
}

func (n *node) login(email, password string) string {
	n.t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	if code := n.do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, &out); code != 200 {
		n.t.Fatalf("login %s: %d", email, code)
	}
	return out.Token
}

// fixture is a department with an employee and a manager, and tokens.
type fixture struct {
	Admin, Employee, Manager string
	DeptID, EmployeeID       int64
	ManagerID                int64
}

func (n *node) fixture() fixture {
	n.t.Helper()
	var f fixture
	f.Admin = n.login(testAdminEmail, testAdminPassword)
	var dept struct{ ID int64 }
	if code := n.do("POST", "/api/v1/departments", f.Admin, map[string]any{"name": "Bakery"}, &dept); code != 201 {
		n.t.Fatalf("create department: %d", code)
	}
	f.DeptID = dept.ID
	mk := func(first, role string) (int64, string) {
		var e struct{ ID int64 }
		email := strings.ToLower(first) + "@example.test"
		if code := n.do("POST", "/api/v1/employees", f.Admin, map[string]any{
			"first_name": first, "last_name": "Test", "email": email, "role": role,
			"department_ids": []int64{f.DeptID}, "password": testAdminPassword,
		}, &e); code != 201 {
			n.t.Fatalf("create %s: %d", first, code)
		}
		return e.ID, n.login(email, testAdminPassword)
	}
	f.EmployeeID, f.Employee = mk("Erin", "employee")
	f.ManagerID, f.Manager = mk("Mona", "manager")
	return f
}

// emit commits one event through the app's writer (with the relay's fast path).
func (n *node) emit(topic, typ string, data any) {
	n.t.Helper()
	if err := n.App.Writer.Do(context.Background(), func(tx *outbox.Tx) error {
		tx.Emit(topic, typ, data)
		return nil
	}); err != nil {
		n.t.Fatal(err)
	}
}

// frame is a server message.
type frame struct {
	Type    string          `json:"type"`
	Seq     int64           `json:"seq"`
	Topic   string          `json:"topic"`
	Event   string          `json:"event"`
	At      time.Time       `json:"at"`
	Data    json.RawMessage `json:"data"`
	AfterMS int64           `json:"after_ms"`
}

type client struct {
	t  testing.TB
	ws *websocket.Conn
}

func dialWS(ctx context.Context, base, token, query string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	h.Set("Origin", testOrigin)
	return websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/api/v1/ws"+query, &websocket.DialOptions{HTTPHeader: h})
}

func (n *node) dial(token, query string) *client {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := dialWS(ctx, n.URL, token, query)
	if err != nil {
		n.t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	n.t.Cleanup(func() { ws.CloseNow() })
	return &client{t: n.t, ws: ws}
}

// next reads one frame, failing after d.
func (c *client) next(d time.Duration) (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("frame %s: %v", b, err)
	}
	return f, nil
}

func (c *client) must(d time.Duration) frame {
	c.t.Helper()
	f, err := c.next(d)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// until reads frames until one of type typ (returned) and collects event
// seqs on the way.
func (c *client) until(typ string, seqs *[]int64) frame {
	c.t.Helper()
	for {
		f := c.must(10 * time.Second)
		if f.Type == "event" && seqs != nil {
			*seqs = append(*seqs, f.Seq)
		}
		if f.Type == typ {
			return f
		}
	}
}

// closeStatus reads until the socket closes and returns its status.
func (c *client) closeStatus(d time.Duration) websocket.StatusCode {
	c.t.Helper()
	for {
		_, err := c.next(d)
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func fmtSeqs(s []int64) string { return fmt.Sprint(s) }
