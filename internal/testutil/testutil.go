// Package testutil gives tests real parts: a fresh SQLite file and a fresh
// MariaDB/MySQL database (migrated), a private Redis database, and a test
// clock. There are no database mocks in this project.
package testutil

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/migrations"
)

// DefaultMySQLURL is where scripts/test makes the password-less test user.
const DefaultMySQLURL = "mysql://crumbtest@127.0.0.1:3306/"

// DefaultRedisAddr is the local Redis scripts/test starts.
const DefaultRedisAddr = "127.0.0.1:6379"

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Dialects lists the dialects every SQL test runs on.
var Dialects = []db.Dialect{db.SQLite, db.MySQL}

// ForEachDB runs fn as a subtest on a fresh, migrated SQLite database and on
// a fresh, migrated MariaDB database.
func ForEachDB(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, dialect := range Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			fn(t, NewDB(t, dialect))
		})
	}
}

// NewDB returns a fresh migrated database of the dialect, removed after the test.
func NewDB(t testing.TB, dialect db.Dialect) *db.DB {
	t.Helper()
	u := NewDBURL(t, dialect)
	d, err := db.Open(context.Background(), u, db.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background(), migrations.FS); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return d
}

// NewDBURL creates an empty database and returns its CRUMB_DATABASE_URL.
// MySQL databases are dropped when the test ends.
func NewDBURL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	if dialect == db.SQLite {
		return "sqlite://" + filepath.Join(t.TempDir(), "crumb.db")
	}
	base := mysqlBase(t)
	name := "crumb_test_" + randHex(6)
	admin := adminDB(t, base)
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create test database (is MariaDB running? use scripts/test): %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u := *base
	u.Path = "/" + name
	return u.String()
}

// MySQLUser returns a fresh name for a MariaDB account (for code that
// creates accounts, such as db.EnsureAppUser) and drops the account when
// the test ends.
func MySQLUser(t testing.TB) string {
	t.Helper()
	base := mysqlBase(t)
	admin := adminDB(t, base)
	name := "crumb_test_u" + randHex(6)
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP USER IF EXISTS '" + name + "'@'%'"); err != nil {
			t.Logf("drop test user %s: %v", name, err)
		}
	})
	return name
}

// WithUser returns the mysql:// URL u with another user and password.
func WithUser(t testing.TB, u, user, password string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.User = url.UserPassword(user, password)
	return p.String()
}

// mysqlBase is CRUMB_TEST_MYSQL_URL, the server the MySQL tests use.
func mysqlBase(t testing.TB) *url.URL {
	t.Helper()
	base, err := url.Parse(env("CRUMB_TEST_MYSQL_URL", DefaultMySQLURL))
	if err != nil {
		t.Fatalf("CRUMB_TEST_MYSQL_URL: %v", err)
	}
	return base
}

var (
	adminOnce sync.Once
	adminConn *sql.DB
	adminErr  error
)

func adminDB(t testing.TB, base *url.URL) *sql.DB {
	adminOnce.Do(func() {
		cfg := db.MySQLConfig(base)
		cfg.DBName = ""
		conn, err := mysql.NewConnector(cfg)
		if adminErr = err; err == nil {
			adminConn = sql.OpenDB(conn)
			adminErr = adminConn.Ping()
		}
	})
	if adminErr != nil {
		t.Fatalf("MariaDB at %s is not reachable (run the tests with scripts/test): %v", base.Host, adminErr)
	}
	return adminConn
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// RedisAddr is the address of the test Redis.
func RedisAddr() string { return env("CRUMB_TEST_REDIS_ADDR", DefaultRedisAddr) }

// Redis returns a client on a Redis logical database that no other test
// package uses at the same time, flushed before use. Test packages run in
// parallel processes, so the database is claimed with a lock key in db 0.
func Redis(t testing.TB) (*redis.Client, int) {
	t.Helper()
	ctx := context.Background()
	lock := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	t.Cleanup(func() { lock.Close() })
	token := randHex(8)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n < 16; n++ {
			key := fmt.Sprintf("crumb:testlock:%d", n)
			ok, err := lock.SetNX(ctx, key, token, 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("Redis at %s is not reachable (run the tests with scripts/test): %v", RedisAddr(), err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: n})
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("flush redis db %d: %v", n, err)
			}
			t.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				if v, _ := lock.Get(context.Background(), key).Result(); v == token {
					lock.Del(context.Background(), key)
				}
			})
			return c, n
		}
		if time.Now().After(deadline) {
			t.Fatal("no free Redis test database")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Clock is a settable test clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// SyncBuffer is a bytes.Buffer that many goroutines may write while a test
// polls what it holds (a process's output, a log sink).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Eventually polls cond until it holds, failing the test with what after
// timeout. The timeout is a liveness bound for a broken build, not a timing
// assertion: pass one generous enough for a loaded CI machine.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// CheapHasher hashes passwords with argon2id at parameters cheap enough
// for suites that create many people under the race detector. The
// production parameters (auth.Hasher{}) are checked in internal/auth.
func CheapHasher() auth.Hasher { return auth.Hasher{MemoryKiB: 64, Time: 1} }

// LookTool returns the path of a command-line tool a test reads its output
// with (pdftotext, pdfinfo); without it the test is skipped, or fails under
// CI=true, where web/install-tools.sh has installed it.
func LookTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (web/install-tools.sh installs it): %v", name, err)
		}
		t.Skipf("%s is missing; run web/install-tools.sh", name)
	}
	return path
}
