package app_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/app"
	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/worker"
)

func newApp(t *testing.T, dir string) *app.App {
	t.Helper()
	vars := map[string]string{"CRUMB_DATA_DIR": dir, "CRUMB_ADMIN_EMAIL": "boss@example.com", "CRUMB_ADMIN_PASSWORD": "correct horse battery"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPushEndToEnd: embedded mode generates VAPID keys once and keeps them;
// a signed-in browser registers a subscription over the API; a personal
// shift event becomes a push task whose handler reaches the push service
// once, and an expired subscription is dropped.
func TestPushEndToEnd(t *testing.T) {
	dir := t.TempDir()
	first := newApp(t, dir)
	key := first.Push.Keys.Public
	first.Close()
	a := newApp(t, dir)
	defer a.Close()
	if a.Push.Keys.Public != key || key == "" {
		t.Fatalf("VAPID key changed across restarts: %q then %q", key, a.Push.Keys.Public)
	}

	var hits, gone atomic.Int32
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			gone.Add(1)
			w.WriteHeader(http.StatusGone)
			return
		}
		if r.Header.Get("Content-Encoding") != "aes128gcm" || !strings.HasPrefix(r.Header.Get("Authorization"), "vapid ") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer ps.Close()

	a.Push.AllowLoopbackHTTP = true // the push service below is httptest
	srv := httptest.NewServer(a.Router())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	call := func(method, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, res.StatusCode, b, want)
		}
		return b
	}
	call("POST", "/api/v1/auth/login", `{"email":"boss@example.com","password":"correct horse battery"}`, 200)
	var vk struct {
		PublicKey string `json:"public_key"`
	}
	json.Unmarshal(call("GET", "/api/v1/push/vapid-public-key", "", 200), &vk)
	if vk.PublicKey != key {
		t.Errorf("API serves key %q, want %q", vk.PublicKey, key)
	}
	sub := func(endpoint string) string {
		k, _ := ecdh.P256().GenerateKey(rand.Reader)
		auth := make([]byte, 16)
		rand.Read(auth)
		return fmt.Sprintf(`{"endpoint":%q,"keys":{"p256dh":%q,"auth":%q}}`, endpoint,
			base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(auth))
	}
	call("POST", "/api/v1/me/push-subscriptions", sub(ps.URL+"/device"), 201)
	call("POST", "/api/v1/me/push-subscriptions", sub(ps.URL+"/gone"), 201)
	call("POST", "/api/v1/me/push-subscriptions", `{"endpoint":"ftp://x","keys":{"p256dh":"","auth":""}}`, 422)
	call("POST", "/api/v1/me/push-subscriptions", sub(ps.URL+"/removed"), 201)
	call("DELETE", "/api/v1/me/push-subscriptions", fmt.Sprintf(`{"endpoint":%q}`, ps.URL+"/removed"), 204)
	var me struct{ ID int64 }
	json.Unmarshal(call("GET", "/api/v1/me", "", 200), &me)

	e := outbox.Event{Seq: 77, Topic: fmt.Sprintf("user:%d", me.ID), Type: "shift.changed",
		Data: json.RawMessage(`{"reason":"updated","shifts":[{"starts_at":"2026-12-07T13:00:00Z","ends_at":"2026-12-07T21:00:00Z"}]}`)}
	all, err := worker.TasksForEvent(e)
	var tasks []*asynq.Task // the e-mail tasks ride along; this test is about push
	for _, task := range all {
		if task.Type() == worker.TypePush {
			tasks = append(tasks, task)
		}
	}
	if err != nil || len(tasks) != 1 {
		t.Fatalf("push tasks for %s = %v, %v", e.Type, tasks, err)
	}
	if draft, _ := worker.TasksForEvent(outbox.Event{Seq: 78, Topic: "dept:1", Type: "shift.created", Data: json.RawMessage(`{}`)}); len(draft) != 0 {
		t.Errorf("a draft on a department topic made push tasks: %v", draft)
	}
	mux := a.Handlers().Mux()
	for i := 0; i < 2; i++ { // a retried task notifies once
		if err := mux.ProcessTask(context.Background(), tasks[0]); err != nil {
			t.Fatal(err)
		}
	}
	if hits.Load() != 1 || gone.Load() != 1 {
		t.Errorf("push service got %d messages and %d to the expired device; want 1 and 1", hits.Load(), gone.Load())
	}
	var n int
	a.DB.QueryRow("SELECT COUNT(*) FROM push_subscriptions").Scan(&n)
	if n != 1 {
		t.Errorf("%d subscriptions left, want 1 (expired and deleted ones gone)", n)
	}
}
