package api_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// outageTimeout is the request deadline of the outage tests' apps.
const outageTimeout = "1s"

// want503 checks that r is 503 unavailable with Retry-After.
func want503(t *testing.T, what string, r apptest.Response) {
	t.Helper()
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != "unavailable" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("%s: %d %s (Retry-After %q), want 503 unavailable with Retry-After", what, r.Status, r.Body, r.Header.Get("Retry-After"))
	}
}

// recovers waits, with a deadline, until do answers want again.
func recovers(t *testing.T, what string, want int, do func() apptest.Response) {
	t.Helper()
	var r apptest.Response
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r = do(); r.Status == want {
			return
		}
	}
	t.Fatalf("%s did not recover: %d %s", what, r.Status, r.Body)
}

// TestSignInWithRedisDown: sign-in fails closed while Redis (which holds the
// shared attempt counters) is refused or blackholed: 503 unavailable with
// Retry-After, within the request deadline, never 500 and never a sign-in
// that skipped the throttle. It works again by itself once Redis returns.
func TestSignInWithRedisDown(t *testing.T) {
	_, n := testutil.Redis(t)
	proxy := testutil.NewFaultProxy(t, testutil.RedisAddr())
	s := apptest.Start(t, db.SQLite, apptest.Options{Env: map[string]string{
		"CRUMB_REDIS_URL":       fmt.Sprintf("redis://%s/%d", proxy.Addr(), n),
		"CRUMB_REQUEST_TIMEOUT": outageTimeout,
	}})
	login := func() apptest.Response {
		return s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": apptest.AdminPassword})
	}
	s.AdminToken()
	for _, tc := range []struct {
		desc  string
		fault testutil.Fault
	}{
		{"redis stopped", testutil.Cut},
		{"redis accepts and never answers", testutil.Blackhole},
	} {
		proxy.Set(tc.fault, 0)
		start := time.Now()
		want503(t, tc.desc, login())
		t.Logf("%s: sign-in answered 503 in %v", tc.desc, time.Since(start).Round(time.Millisecond))
		proxy.Set(testutil.Pass, 0)
		recovers(t, tc.desc+": sign-in", http.StatusOK, login)
	}
}

// TestMySQLBlackholeIs503: a MariaDB that accepts connections and never
// answers costs a request its deadline, then 503 unavailable; once the
// database answers again the same pool serves requests.
func TestMySQLBlackholeIs503(t *testing.T) {
	u, err := url.Parse(testutil.NewDBURL(t, db.MySQL))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testutil.NewFaultProxy(t, u.Host)
	u.Host = proxy.Addr()
	s := apptest.Start(t, db.MySQL, apptest.Options{Env: map[string]string{
		"CRUMB_DATABASE_URL":    u.String(),
		"CRUMB_REQUEST_TIMEOUT": outageTimeout,
	}})
	admin := s.AdminToken()
	// The store settings are cached; the department list is read each time.
	store := func() apptest.Response { return s.Do("GET", "/api/v1/departments", admin, nil) }
	for _, tc := range []struct {
		desc  string
		fault testutil.Fault
	}{
		{"database accepts and never answers", testutil.Blackhole},
		{"database stopped", testutil.Cut},
	} {
		proxy.Set(tc.fault, 0)
		start := time.Now()
		want503(t, tc.desc, store())
		want503(t, tc.desc+" (write)", s.Do("POST", "/api/v1/departments", admin, map[string]string{"name": "Ovens " + tc.desc[:4]}))
		t.Logf("%s: two requests answered 503 in %v", tc.desc, time.Since(start).Round(time.Millisecond))
		proxy.Set(testutil.Pass, 0)
		recovers(t, tc.desc+": GET /departments", http.StatusOK, store)
	}
}

// TestSQLiteLockedIs503: another process holding SQLite's write lock past
// the request deadline makes a write 503 unavailable, not 500; the write
// succeeds once the lock is released.
func TestSQLiteLockedIs503(t *testing.T) {
	dsn := testutil.NewDBURL(t, db.SQLite)
	s := apptest.Start(t, db.SQLite, apptest.Options{Env: map[string]string{
		"CRUMB_DATABASE_URL":    dsn,
		"CRUMB_REQUEST_TIMEOUT": outageTimeout,
	}})
	admin := s.AdminToken()
	other, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	create := func() apptest.Response {
		return s.Do("POST", "/api/v1/departments", admin, map[string]string{"name": "Proofing"})
	}
	want503(t, "write while another process holds the lock", create())
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	s.Must(http.StatusCreated, "POST", "/api/v1/departments", admin, map[string]string{"name": "Proofing"})
}
