package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// fakeSecrets is an httptest Secrets Manager endpoint for the real
// aws-sdk-go-v2 client: GetSecretValue answers with the current value and
// counts the fetches.
type fakeSecrets struct {
	URL     string
	value   atomic.Value // string: every secret's value, unless set per id
	byID    sync.Map     // secret id → string
	fetched atomic.Int64
}

// set gives the secret id its own value.
func (f *fakeSecrets) set(id, value string) { f.byID.Store(id, value) }

func newFakeSecrets(t *testing.T, value string) *fakeSecrets {
	t.Helper()
	f := &fakeSecrets{}
	f.value.Store(value)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		var in struct{ SecretId string }
		json.NewDecoder(r.Body).Decode(&in)
		f.fetched.Add(1)
		value := f.value.Load().(string)
		if v, ok := f.byID.Load(in.SecretId); ok {
			value = v.(string)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"ARN": "arn:aws:secretsmanager:us-east-1:1:secret:" + in.SecretId,
			"Name": in.SecretId, "SecretString": value})
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	// The default credential chain finds these; no host files or metadata.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-not-real")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return f
}

// env is the node configuration that reads the Redis token from f.
func (f *fakeSecrets) env() map[string]string {
	return map[string]string{"CRUMB_REDIS_AUTH_SECRET_ID": "crumb/redis", "CRUMB_AWS_REGION": "us-east-1", "CRUMB_AWS_ENDPOINT_URL": f.URL}
}

// TestRedisAuthRotation: the ElastiCache AUTH token rotates (the secret and
// the server's requirepass change, existing connections are killed); the
// app's client, an asynq enqueue and inspection, and the broker's publish
// and subscription all work again without a restart, and the secret is
// fetched again exactly once, when Redis refused the cached token.
func TestRedisAuthRotation(t *testing.T) {
	const oldToken, newToken = "token-one-4f1c9a", "token-two-8be27d"
	port := freePort(t)
	srv := redisServer(t, port, "--requirepass", oldToken)
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	sm := newFakeSecrets(t, `{"password":"`+oldToken+`"}`)
	var logs testutil.SyncBuffer
	n := startNode(t, nodeOpts{DatabaseURL: testutil.NewDBURL(t, db.MySQL), RedisURL: fmt.Sprintf("redis://127.0.0.1:%d/0", port),
		Env: sm.env(), Log: &logs})
	a := n.App
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Password: oldToken, PoolSize: 1})
	defer admin.Close()
	killAll := func() {
		t.Helper()
		for _, typ := range []string{"normal", "pubsub"} {
			if err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", typ).Err(); err != nil {
				t.Fatalf("client kill %s: %v", typ, err)
			}
		}
	}
	f := n.fixture()
	topic := outbox.UserTopic(f.EmployeeID)
	c := n.dial(f.Employee, "")
	c.until("ready", nil)
	n.emit(topic, "test.before", nil)
	c.must(5 * time.Second)
	if got := sm.fetched.Load(); got != 1 {
		t.Fatalf("%d fetches at start, want 1", got)
	}

	// New connections with an unchanged token fetch nothing.
	killAll()
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping after kill: %v", err)
	}
	if got := sm.fetched.Load(); got != 1 {
		t.Fatalf("%d fetches after reconnecting with a valid token, want 1", got)
	}

	// Rotate: the secret first (as the rotation function does), then Redis.
	sm.value.Store(newToken) // plain-string form this time
	if err := admin.ConfigSet(ctx, "requirepass", newToken).Err(); err != nil {
		t.Fatal(err)
	}
	killAll()

	if err := a.Redis.Set(ctx, "rotation:probe", "ok", time.Minute).Err(); err != nil {
		t.Fatalf("app client after rotation: %v", err)
	}
	if got := sm.fetched.Load(); got != 2 {
		t.Fatalf("%d fetches after the refused connection, want 2", got)
	}
	info, err := a.Fleet.Tasks.Enqueue(asynq.NewTask("test:rotation", nil), asynq.Queue(worker.QueueDefault))
	if err != nil {
		t.Fatalf("asynq enqueue after rotation: %v", err)
	}
	if _, err := a.Fleet.Inspector.GetTaskInfo(worker.QueueDefault, info.ID); err != nil {
		t.Fatalf("asynq inspector after rotation: %v", err)
	}
	// A fresh asynq client, built from the app's RedisConnOpt.
	fresh := asynq.NewClient(a.RedisOpt)
	defer fresh.Close()
	if _, err := fresh.Enqueue(asynq.NewTask("test:rotation", nil), asynq.Queue(worker.QueueDefault)); err != nil {
		t.Fatalf("new asynq client after rotation: %v", err)
	}

	// The Redis broker on the app's client (its own channel, so the hub's
	// sequence is untouched): a new subscription hears a publish.
	rb := hub.NewRedisBroker(a.Redis, a.Log)
	rb.Channel = "crumb:test:rotation"
	subCtx, stop := context.WithCancel(ctx)
	defer stop()
	heard, subscribed := make(chan outbox.Event, 1), make(chan struct{}, 1)
	go rb.Subscribe(subCtx, func(e outbox.Event) {
		if e.Type == "test.broker" {
			heard <- e
		}
	}, func() {
		select {
		case subscribed <- struct{}{}:
		default:
		}
	})
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		t.Fatal("broker never subscribed after rotation")
	}
	if err := rb.Publish(ctx, []outbox.Event{{Seq: 1, Topic: topic, Type: "test.broker", Data: json.RawMessage(`{}`), At: time.Now()}}); err != nil {
		t.Fatalf("broker publish after rotation: %v", err)
	}
	select {
	case <-heard:
	case <-time.After(10 * time.Second):
		t.Fatal("published event never heard")
	}
	// The hub's own subscription came back too: a write reaches the socket.
	n.emit(topic, "test.after", nil)
	for fr := c.must(10 * time.Second); fr.Event != "test.after"; fr = c.must(10 * time.Second) {
	}

	if got := sm.fetched.Load(); got != 2 {
		t.Fatalf("%d fetches in all, want 2 (start, and once when refused)", got)
	}
	if l := logs.String(); strings.Contains(l, oldToken) || strings.Contains(l, newToken) {
		t.Fatalf("a token reached the log:\n%s", l)
	}
}

// TestRedisAuthBadSecret: a token Redis refuses (also after fetching it
// again) or a secret without one stops the start with an error that names
// CRUMB_REDIS_AUTH_SECRET_ID and not the value.
func TestRedisAuthBadSecret(t *testing.T) {
	const token, wrong = "right-token-5d0e", "wrong-token-77aa"
	port := freePort(t)
	srv := redisServer(t, port, "--requirepass", token)
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	tests := []struct {
		desc, secret string
		wantFetches  int64
	}{
		{"refused token", wrong, 2},
		{"refused token in json", `{"auth_token":"` + wrong + `"}`, 2},
		{"no password field", `{"user":"` + wrong + `"}`, 1},
	}
	for _, tc := range tests {
		sm := newFakeSecrets(t, tc.secret)
		var logs testutil.SyncBuffer
		cfg := nodeConfig(t, nodeOpts{RedisURL: fmt.Sprintf("redis://127.0.0.1:%d/0", port), Env: sm.env()})
		a, err := New(context.Background(), cfg, slogTo(&logs))
		if err == nil {
			a.Close()
			t.Fatalf("%s: started", tc.desc)
		}
		msg := err.Error()
		if !strings.Contains(msg, "CRUMB_REDIS_AUTH_SECRET_ID") || strings.Contains(msg, wrong) || strings.Contains(msg, token) {
			t.Errorf("%s: error %q, want it to name CRUMB_REDIS_AUTH_SECRET_ID and no token", tc.desc, msg)
		}
		if strings.Contains(logs.String(), wrong) {
			t.Errorf("%s: the secret value reached the log", tc.desc)
		}
		if got := sm.fetched.Load(); got != tc.wantFetches {
			t.Errorf("%s: %d fetches, want %d", tc.desc, got, tc.wantFetches)
		}
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
