package app

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/relay"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestWSResumeAcrossRestart: a client of node A resumes on node B (a new
// process on the same database) and sees every event of its topics exactly
// once, in order, including those committed while no server ran.
func TestWSResumeAcrossRestart(t *testing.T) {
	for _, dialect := range testutil.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			u := testutil.NewDBURL(t, dialect)
			dir := t.TempDir()
			a := startNode(t, nodeOpts{DatabaseURL: u, DataDir: dir})
			f := a.fixture()
			topic := outbox.UserTopic(f.EmployeeID)
			topics := []string{topic, outbox.DeptTopic(f.DeptID)}
			c := a.dial(f.Employee, "")
			first := c.until("ready", nil)
			var seqs []int64
			for i := range 3 {
				a.emit(topic, "test.n", i)
				seqs = append(seqs, c.must(5*time.Second).Seq)
			}
			a.stop()
			c.until("reconnect", nil)
			c.closeStatus(5 * time.Second)

			// Committed while no server runs (another node, or a crash).
			d, err := db.Open(context.Background(), u, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			w := outbox.NewWriter(d, nil)
			for i := range 3 {
				w.Do(context.Background(), func(tx *outbox.Tx) error {
					tx.Emit(topic, "test.offline", i)
					return nil
				})
			}
			b := startNode(t, nodeOpts{DatabaseURL: u, DataDir: dir})
			c2 := b.dial(f.Employee, fmt.Sprintf("?since=%d", seqs[len(seqs)-1]))
			c2.until("ready", &seqs)
			for i := range 3 {
				b.emit(topic, "test.n", 10+i)
				seqs = append(seqs, c2.must(5*time.Second).Seq)
			}
			// The sweep republishes the offline events (this relay's clock is
			// an hour ahead, so it takes them now, unless the node's own
			// sweep came first): the socket, which had them from its
			// replay, gets no duplicate.
			hourAhead := func() time.Time { return time.Now().Add(time.Hour) }
			sweeper := &relay.Relay{Broker: b.App.Broker, Events: outbox.Reader{DB: b.App.DB}, Log: b.App.Log, Clock: hourAhead}
			if _, err := sweeper.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if left, err := sweeper.Events.Unrelayed(context.Background(), hourAhead(), 10); err != nil || len(left) != 0 {
				t.Fatalf("after the sweep %d events are unrelayed (%v)", len(left), err)
			}
			b.emit(topic, "test.last", nil)
			seqs = append(seqs, c2.must(5*time.Second).Seq)
			if want := wantSeqs(t, b, first.Seq, topics); !slices.Equal(seqs, want) {
				t.Fatalf("seqs = %v, want %v", seqs, want)
			}
		})
	}
}

// TestWSTwoNodesOnRedis: a write through node A reaches a socket on node B.
func TestWSTwoNodesOnRedis(t *testing.T) {
	_, rdb := testutil.Redis(t)
	redisURL := fmt.Sprintf("redis://%s/%d", testutil.RedisAddr(), rdb)
	u := testutil.NewDBURL(t, db.MySQL)
	a := startNode(t, nodeOpts{DatabaseURL: u, RedisURL: redisURL})
	b := startNode(t, nodeOpts{DatabaseURL: u, RedisURL: redisURL})
	f := a.fixture()
	c := b.dial(f.Employee, "")
	c.until("ready", nil)
	if code := a.do("PATCH", "/api/v1/employees/"+itoa(f.EmployeeID), f.Admin, map[string]any{"first_name": "Erina"}, nil); code != 200 {
		t.Fatalf("patch: %d", code)
	}
	fr := c.must(5 * time.Second)
	if fr.Event != "employee.updated" || fr.Topic != outbox.UserTopic(f.EmployeeID) {
		t.Fatalf("node B got %+v", fr)
	}
	// Logout through A closes the socket on B.
	if code := a.do("POST", "/api/v1/auth/logout", f.Employee, nil, nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	c.until("event", nil) // session.revoked
	if st := c.closeStatus(3 * time.Second); st != 4001 {
		t.Fatalf("close status %v, want 4001", st)
	}
}

// TestWSRedisRestart: Redis dies and comes back; nodes reconnect and the
// client of node B misses nothing that node A committed meanwhile.
func TestWSRedisRestart(t *testing.T) {
	port := freePort(t)
	start := func() *exec.Cmd { return redisServer(t, port) }
	srv := start()
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	u := testutil.NewDBURL(t, db.MySQL)
	a := startNode(t, nodeOpts{DatabaseURL: u, RedisURL: redisURL})
	b := startNode(t, nodeOpts{DatabaseURL: u, RedisURL: redisURL})
	f := a.fixture()
	topic := outbox.UserTopic(f.EmployeeID)
	c := b.dial(f.Employee, "")
	first := c.until("ready", nil)
	var seqs []int64
	a.emit(topic, "test.n", 0)
	seqs = append(seqs, c.must(5*time.Second).Seq)

	srv.Process.Kill()
	srv.Wait()
	for i := range 5 {
		a.emit(topic, "test.during", i)
	}
	srv = start()
	for len(seqs) < 6 {
		seqs = append(seqs, c.must(15*time.Second).Seq)
	}
	a.emit(topic, "test.after", nil)
	seqs = append(seqs, c.must(10*time.Second).Seq)
	if want := wantSeqs(t, b, first.Seq, []string{topic, outbox.DeptTopic(f.DeptID)}); !slices.Equal(seqs, want) {
		t.Fatalf("seqs = %v, want %v", seqs, want)
	}
}

// redisServer starts a throwaway redis-server on port (args add settings
// such as "--requirepass", "tok"); the caller stops it.
func redisServer(t *testing.T, port int, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("redis-server", append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Skipf("redis-server: %v", err)
	}
	waitPort(t, port)
	return cmd
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

func waitPort(t *testing.T, port int) {
	t.Helper()
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("port %d never opened", port)
}
