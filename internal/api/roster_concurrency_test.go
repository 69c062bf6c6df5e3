package api_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

const overlapPairs = `SELECT COUNT(*) FROM shifts a JOIN shifts b ON a.employee_id = b.employee_id AND a.id < b.id
	AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at`

// fireOverlapping sends n overlapping shift creates for people, round robin
// over bases, all at once. It returns the ids of the 201s and counts the 409s;
// any other answer fails the test.
func fireOverlapping(t *testing.T, bases []string, token string, dept int64, people []int64, n int) (ids []int64, conflicts int) {
	t.Helper()
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	starts := []string{"2026-12-02 09:00", "2026-12-02 10:30", "2026-12-02 12:00", "2026-12-02 07:00"}
	ends := []string{"2026-12-02 13:00", "2026-12-02 14:00", "2026-12-02 17:00", "2026-12-02 09:30"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			body := map[string]any{"department_id": dept, "employee_id": people[i%len(people)],
				"starts_at": at(starts[i%len(starts)]), "ends_at": at(ends[i%len(ends)])}
			var out struct{ ID int64 }
			code := call(t, client, bases[i%len(bases)], "POST", "/shifts", token, body, &out)
			mu.Lock()
			defer mu.Unlock()
			switch code {
			case http.StatusCreated:
				ids = append(ids, out.ID)
			case http.StatusConflict:
				conflicts++
			default:
				t.Errorf("request %d: status %d", i, code)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	return ids, conflicts
}

func checkNoDoubleBooking(t *testing.T, d *db.DB, ids []int64, conflicts, n int) {
	t.Helper()
	var pairs, stored int
	if err := d.QueryRowContext(context.Background(), overlapPairs).Scan(&pairs); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM shifts").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("id %d answered twice", id)
		}
		seen[id] = true
		var got int
		d.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM shifts WHERE id = ?", id).Scan(&got)
		if got != 1 {
			t.Errorf("201 id %d stored %d times", id, got)
		}
	}
	t.Logf("%d created, %d conflicts, %d stored, %d overlapping pairs", len(ids), conflicts, stored, pairs)
	if pairs != 0 {
		t.Errorf("%d overlapping pairs of one person's shifts", pairs)
	}
	if stored != len(ids) || len(ids)+conflicts != n {
		t.Errorf("created %d + conflicts %d != %d requests, stored %d", len(ids), conflicts, n, stored)
	}
}

// TestNoDoubleBookingSQLite: one in-process server on SQLite.
func TestNoDoubleBookingSQLite(t *testing.T) {
	e := newEnv(t, db.SQLite)
	dept := e.dept("Bakery")
	_, admin := e.person("admin")
	var people []int64
	for i := 0; i < 10; i++ {
		id, _ := e.person("employee", dept)
		people = append(people, id)
	}
	ids, conflicts := fireOverlapping(t, []string{e.srv.URL + "/api/v1"}, admin, dept, people, 200)
	checkNoDoubleBooking(t, e.a.DB, ids, conflicts, 200)
}

// TestNoDoubleBookingTwoProcesses: two real `crumb serve` processes on one
// MariaDB database, 200 overlapping creates spread over 10 people.
func TestNoDoubleBookingTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "crumb")
	build := exec.Command("go", "build", "-o", bin, "./cmd/crumb")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbURL := testutil.NewDBURL(t, db.MySQL)
	_, redisDB := testutil.Redis(t)
	pw := "admin-password-for-test"
	env := []string{
		"CRUMB_DATABASE_URL=" + dbURL,
		fmt.Sprintf("CRUMB_REDIS_URL=redis://%s/%d", testutil.RedisAddr(), redisDB),
		"CRUMB_ADMIN_EMAIL=admin@example.com", "CRUMB_ADMIN_PASSWORD=" + pw,
		"CRUMB_DEMO=off", "CRUMB_TIMEZONE=America/Halifax", "CRUMB_LOG_LEVEL=error",
	}
	var bases []string
	for i := 0; i < 2; i++ {
		bases = append(bases, startServe(t, bin, append(env, "CRUMB_DATA_DIR="+t.TempDir(), "CRUMB_ADDR="+freeAddr(t))))
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var login struct{ Token string }
	if code := call(t, client, bases[0], "POST", "/auth/login", "", map[string]string{"email": "admin@example.com", "password": pw}, &login); code != 200 {
		t.Fatalf("login: %d", code)
	}
	var dept struct{ ID int64 }
	if code := call(t, client, bases[1], "POST", "/departments", login.Token, map[string]string{"name": "Bakery"}, &dept); code != 201 {
		t.Fatalf("department: %d", code)
	}
	var people []int64
	for i := 0; i < 10; i++ {
		var p struct{ ID int64 }
		body := map[string]any{"first_name": "E", "last_name": fmt.Sprint(i), "email": fmt.Sprintf("e%d@example.com", i),
			"password": "employee-password", "role": "employee", "department_ids": []int64{dept.ID}}
		if code := call(t, client, bases[i%2], "POST", "/employees", login.Token, body, &p); code != 201 {
			t.Fatalf("employee: %d", code)
		}
		people = append(people, p.ID)
	}
	ids, conflicts := fireOverlapping(t, bases, login.Token, dept.ID, people, 200)
	d, err := db.Open(context.Background(), dbURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	checkNoDoubleBooking(t, d, ids, conflicts, 200)
}

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var listeningRe = regexp.MustCompile(`listening on ([0-9.:]+)\)`)

// startServe runs `crumb serve` until the test ends and returns its API base.
func startServe(t *testing.T, bin string, env []string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listeningRe.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + strings.TrimSpace(a) + "/api/v1"
	case <-time.After(60 * time.Second):
		t.Fatal("crumb serve did not start")
	}
	return ""
}
