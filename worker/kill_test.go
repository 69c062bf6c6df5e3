package worker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/migrations"
	"github.com/crumbcommander/crumb/worker"
)

const killRows = 3000

// countSource yields killRows numbered rows, pausing per row when slow.
type countSource struct{ pause time.Duration }

func (countSource) Columns() []string { return []string{"n", "name"} }
func (c countSource) Stream(ctx context.Context, _ reports.Query, emit func([]any) error) error {
	for i := 1; i <= killRows; i++ {
		if c.pause > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(c.pause):
			}
		}
		if err := emit([]any{int64(i), "row " + strconv.Itoa(i)}); err != nil {
			return err
		}
	}
	return nil
}

// exportServer builds a worker that exports with src.
func exportServer(t testing.TB, d *db.DB, redisOpt asynq.RedisClientOpt, root string, src reports.Source) (*asynq.Server, *worker.Handlers) {
	w := outbox.NewWriter(d, nil)
	client := asynq.NewClient(redisOpt)
	rep := &reports.Service{W: w, Queue: worker.ReportQueue{Client: client},
		Blob:    &blob.Dir{Root: root, BaseURL: "http://crumb.test", Key: make([]byte, 32)},
		Sources: map[string]reports.Source{reports.KindAttendance: src}}
	h := &worker.Handlers{Deps: worker.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: time.Now,
		Store: (&people.Service{W: w}).GetStore, Writer: w, Reports: rep, Queue: client}}
	cfg := worker.ServerConfig(h.Log, 2, time.Second)
	cfg.RetryDelayFunc = func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond }
	return asynq.NewServer(redisOpt, cfg), h
}

// TestHelperExportWorker is the child process of TestExportSurvivesSIGKILL:
// a worker with a slow export, killed by its parent mid-way.
func TestHelperExportWorker(t *testing.T) {
	dbURL := os.Getenv("CRUMB_HELPER_DB")
	if dbURL == "" {
		t.Skip("child process of TestExportSurvivesSIGKILL")
	}
	n, _ := strconv.Atoi(os.Getenv("CRUMB_HELPER_REDIS_DB"))
	d, err := db.Open(context.Background(), dbURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, h := exportServer(t, d, asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}, os.Getenv("CRUMB_HELPER_BLOB"), countSource{pause: 20 * time.Millisecond})
	if err := srv.Run(h.Mux()); err != nil {
		t.Fatal(err)
	}
}

// A worker killed with SIGKILL in the middle of an export stops renewing
// its lease on the report; once the lease lapses the report sweep queues
// the next attempt and the report reads retrying, without waiting for
// asynq's own lease recovery (about 80 s). Another worker then completes it
// exactly once: one ready transition, one report.ready event, one complete
// file.
func TestExportSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 20 s (lease expiry)")
	}
	ctx := context.Background()
	dbURL := testutil.NewDBURL(t, db.SQLite)
	d, err := db.Open(ctx, dbURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, migrations.FS); err != nil {
		t.Fatal(err)
	}
	w := outbox.NewWriter(d, nil)
	ps := &people.Service{W: w, Passwords: testutil.CheapHasher()}
	if err := ps.EnsureStore(ctx, "Test", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	first, last, email, pw, role := "Ada", "Admin", "ada@example.com", "a-long-test-password", auth.RoleAdmin
	admin, err := ps.CreateEmployee(ctx, auth.System, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email, Password: &pw, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	_, n := testutil.Redis(t)
	redisOpt := asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}
	root := t.TempDir()
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	svc := &reports.Service{W: w, Queue: worker.ReportQueue{Client: client}}
	r, err := svc.Create(ctx, auth.Principal{UserID: admin.ID, Role: auth.RoleAdmin},
		reports.Request{Kind: reports.KindAttendance, Format: reports.FormatCSV, From: "2026-11-30", To: "2026-12-06"})
	if err != nil {
		t.Fatal(err)
	}

	child := exec.Command(os.Args[0], "-test.run=^TestHelperExportWorker$", "-test.v")
	child.Env = append(os.Environ(), "CRUMB_HELPER_DB="+dbURL, "CRUMB_HELPER_REDIS_DB="+strconv.Itoa(n), "CRUMB_HELPER_BLOB="+root)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	status := func() (string, int) {
		var s string
		var attempts int
		if err := d.QueryRowContext(ctx, `SELECT status, attempts FROM reports WHERE id = ?`, r.ID).Scan(&s, &attempts); err != nil {
			t.Fatal(err)
		}
		return s, attempts
	}
	testutil.Eventually(t, 20*time.Second, "the child to start the export", func() bool { s, _ := status(); return s == reports.StatusRunning })
	time.Sleep(time.Second) // part-way through the 60 s export
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if s, _ := status(); s != reports.StatusRunning {
		t.Fatalf("after SIGKILL the report is %s", s)
	}

	// The sweep of a live worker (no server yet, so the next attempt waits
	// in the queue and its status can be read).
	killed := time.Now()
	_, sweeper := exportServer(t, d, redisOpt, root, countSource{})
	get := func() reports.Report {
		rep, err := (&reports.Service{W: w, Blob: &blob.Dir{Root: root, Key: make([]byte, 32)}}).Get(ctx, auth.Principal{UserID: admin.ID, Role: auth.RoleAdmin}, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	deadline := time.Now().Add(reports.LeaseTTL + 2*worker.ReportSweepInterval)
	for get().Status != reports.StatusRetrying {
		if time.Now().After(deadline) {
			t.Fatalf("report still %s %v after the kill", get().Status, time.Since(killed))
		}
		lapsed, err := sweeper.Reports.Lapsed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sweeper.RetryReports(ctx, lapsed); err != nil {
			t.Fatal(err)
		}
		time.Sleep(worker.ReportSweepInterval / 10)
	}
	t.Logf("the report reads retrying %v after the kill", time.Since(killed).Round(time.Millisecond))
	info, err := asynq.NewInspector(redisOpt).GetTaskInfo(worker.QueueReports, fmt.Sprintf("report:%d:1", r.ID))
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("next attempt's task: %+v, %v", info, err)
	}

	srv, h := exportServer(t, d, redisOpt, root, countSource{})
	if err := srv.Start(h.Mux()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	deadline = time.Now().Add(90 * time.Second)
	for s, _ := status(); s != reports.StatusReady; s, _ = status() {
		if time.Now().After(deadline) {
			t.Fatalf("report still %s", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the report is ready %v after the kill", time.Since(killed).Round(time.Millisecond))
	// The attempt that finished it has returned (its task is done), so a
	// second run of that attempt is ruled out by its task id; the killed
	// attempt's task, when asynq recovers it, finds the report ready.
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	testutil.Eventually(t, 20*time.Second, "the recovering attempt's task to finish", func() bool {
		info, err := insp.GetTaskInfo(worker.QueueReports, fmt.Sprintf("report:%d:1", r.ID))
		return errors.Is(err, asynq.ErrTaskNotFound) || (err == nil && info.State == asynq.TaskStateCompleted)
	})
	_, attempts := status()
	if attempts != 2 {
		t.Errorf("%d attempts, want 2 (killed, recovered)", attempts)
	}
	evs, _ := outbox.Reader{DB: d}.After(ctx, 0, []string{outbox.UserTopic(admin.ID)}, 100)
	ready := 0
	for _, e := range evs {
		if e.Type == reports.EventReady {
			ready++
		}
	}
	if ready != 1 {
		t.Errorf("%d report.ready events, want 1", ready)
	}
	rep := get()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rep.Object().Key)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != killRows+1 || lines[killRows] != fmt.Sprintf("%d,row %d", killRows, killRows) {
		t.Errorf("file has %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}
