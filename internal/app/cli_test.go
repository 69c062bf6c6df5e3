package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/app"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}} {
		var out, errOut bytes.Buffer
		if err := app.Run(context.Background(), args, &out, &errOut, envOf(nil)); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), "crumb serve") {
			t.Fatalf("%v: %s", args, out.String())
		}
	}
	for _, cmd := range []string{"serve", "worker", "migrate", "seed"} {
		var out, errOut bytes.Buffer
		err := app.Run(context.Background(), []string{cmd, "--help"}, &out, &errOut, envOf(nil))
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "Usage: crumb "+cmd) {
			t.Fatalf("%s --help: %v %q", cmd, err, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if err := app.Run(context.Background(), []string{"frobnicate"}, &out, &errOut, envOf(nil)); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestMigrateAndSeed(t *testing.T) {
	for _, dialect := range testutil.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			_, rdb := testutil.Redis(t)
			env := envOf(map[string]string{
				"CRUMB_DATABASE_URL": testutil.NewDBURL(t, dialect), "CRUMB_DATA_DIR": t.TempDir(),
				"CRUMB_REDIS_URL": "redis://" + testutil.RedisAddr() + "/" + itoa(rdb), "CRUMB_LOG_LEVEL": "error",
			})
			var out bytes.Buffer
			if err := app.Run(context.Background(), []string{"migrate"}, &out, &out, env); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "schema version") {
				t.Fatalf("migrate said %q", out.String())
			}
			out.Reset()
			if err := app.Run(context.Background(), []string{"seed", "--demo"}, &out, &out, env); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "Demo sign-ins") || !strings.Contains(out.String(), "manager") {
				t.Fatalf("seed said %q", out.String())
			}
			// A second seed finds the people and prints the saved sign-ins.
			out.Reset()
			if err := app.Run(context.Background(), []string{"seed", "--demo"}, &out, &out, env); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestEmbeddedDefaults runs `crumb` with no arguments and no services: it
// must serve the API with demo data, sign-ins printed, and stop on cancel.
func TestEmbeddedDefaults(t *testing.T) {
	dir := t.TempDir()
	env := envOf(map[string]string{"CRUMB_ADDR": "127.0.0.1:0", "CRUMB_DATA_DIR": filepath.Join(dir, "crumb-data"), "CRUMB_LOG_LEVEL": "error"})
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, nil, out, out, env) }()

	re := regexp.MustCompile(`listening on (\S+)\)`)
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("crumb exited: %v\n%s", err, out.String())
		default:
		}
	}
	if addr == "" {
		t.Fatalf("crumb did not start:\n%s", out.String())
	}
	pw := regexp.MustCompile(`password for all: (\S+)\)`).FindStringSubmatch(out.String())
	mgr := regexp.MustCompile(`manager\s+(\S+@\S+)`).FindStringSubmatch(out.String())
	if pw == nil || mgr == nil {
		t.Fatalf("no demo sign-ins printed:\n%s", out.String())
	}
	body, _ := json.Marshal(map[string]string{"email": mgr[1], "password": pw[1]})
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("demo manager login: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("crumb did not stop")
	}
	// The SQLite file is where the README says.
	d, err := db.Open(context.Background(), "sqlite://"+filepath.Join(dir, "crumb-data", "crumb.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	d.QueryRow("SELECT COUNT(*) FROM users").Scan(&n)
	if n < 30 {
		t.Fatalf("%d demo people, want about 30", n)
	}
}
