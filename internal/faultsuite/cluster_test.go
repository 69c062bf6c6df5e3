package faultsuite

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/app"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// roleEnv tells the test binary, started again by the suite, to run as
// "crumb serve" or "crumb worker" instead of running tests.
const roleEnv = "CRUMB_FAULTSUITE_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := app.Run(ctx, []string{role}, os.Stdout, os.Stderr, os.Getenv)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const (
	adminEmail    = "admin@example.test"
	adminPassword = "correct-horse-battery"
	origin        = "http://crumb.example.test"
	// requestTimeout is the children's CRUMB_REQUEST_TIMEOUT: the deadline
	// after which a request that cannot reach a dependency answers 503.
	requestTimeout = 2 * time.Second
)

// cluster is one serve and one worker process on a MariaDB database and a
// Redis database, each reached through a fault proxy.
type cluster struct {
	t       *testing.T
	DB      *testutil.FaultProxy
	Redis   *testutil.FaultProxy
	dbURL   string // direct, for the suite's own reads
	redisDB int    // the Redis logical database of the cluster
	URL     string // http://127.0.0.1:port of serve
	env     []string
	procs   map[string]*exec.Cmd
	logs    map[string]*testutil.SyncBuffer
	stopped bool
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	dbURL := testutil.NewDBURL(t, db.MySQL)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dbProxy := testutil.NewFaultProxy(t, u.Host)
	u.Host = dbProxy.Addr()
	_, n := testutil.Redis(t)
	redisProxy := testutil.NewFaultProxy(t, testutil.RedisAddr())
	port := freePort(t)
	c := &cluster{t: t, DB: dbProxy, Redis: redisProxy, dbURL: dbURL, redisDB: n, URL: fmt.Sprintf("http://127.0.0.1:%d", port),
		procs: map[string]*exec.Cmd{}, logs: map[string]*testutil.SyncBuffer{}}
	c.env = append(os.Environ(),
		"CRUMB_DATABASE_URL="+u.String(),
		fmt.Sprintf("CRUMB_REDIS_URL=redis://%s/%d", redisProxy.Addr(), n),
		fmt.Sprintf("CRUMB_ADDR=127.0.0.1:%d", port),
		"CRUMB_BASE_URL="+origin,
		"CRUMB_DATA_DIR="+t.TempDir(), // shared: report files and their signing key
		"CRUMB_DEMO=off",
		"CRUMB_ADMIN_EMAIL="+adminEmail, "CRUMB_ADMIN_PASSWORD="+adminPassword,
		"CRUMB_REQUEST_TIMEOUT="+requestTimeout.String(),
		"CRUMB_SHUTDOWN_TIMEOUT=5s", "CRUMB_LOG_LEVEL=warn", "CRUMB_WORKER_CONCURRENCY=4",
	)
	t.Cleanup(c.stop)
	c.start("serve")
	c.start("worker")
	return c
}

// start runs role ("serve" or "worker") as a child process; serve is
// waited for until it answers /healthz.
func (c *cluster) start(role string) {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(c.env, roleEnv+"="+role)
	if c.logs[role] == nil {
		c.logs[role] = &testutil.SyncBuffer{}
	}
	cmd.Stdout, cmd.Stderr = c.logs[role], c.logs[role]
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs[role] = cmd
	if role != "serve" {
		return
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(c.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("serve did not start: %v\n%s", err, c.logs[role])
		}
		if cmd.ProcessState != nil {
			c.t.Fatalf("serve exited\n%s", c.logs[role])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends role with SIGKILL: no shutdown, no clean-up.
func (c *cluster) kill(role string) {
	c.t.Helper()
	cmd := c.procs[role]
	if err := cmd.Process.Kill(); err != nil {
		c.t.Fatal(err)
	}
	cmd.Wait()
}

// stop ends both processes with SIGTERM (their graceful shutdown).
func (c *cluster) stop() {
	if c.stopped {
		return
	}
	c.stopped = true
	c.DB.Set(testutil.Pass, 0)
	c.Redis.Set(testutil.Pass, 0)
	for role, cmd := range c.procs {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if c.t.Failed() {
			c.t.Logf("%s log:\n%s", role, tail(c.logs[role].String(), 4000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// faultName names a proxy fault for the table.
func faultName(dep string, f testutil.Fault) string {
	return dep + " " + strings.ToLower(map[testutil.Fault]string{testutil.Cut: "cut", testutil.Delay: "delay", testutil.Blackhole: "blackhole"}[f])
}
