package app

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// stuckSource never yields a row: the export runs until its process dies.
type stuckSource struct{}

func (stuckSource) Columns() []string { return []string{"n"} }
func (stuckSource) Stream(ctx context.Context, _ reports.Query, _ func([]any) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// stuckMail never finishes a send: the notification stays claimed, unsent.
type stuckMail struct{}

func (stuckMail) Send(ctx context.Context, _ mail.Message) error {
	<-ctx.Done()
	return ctx.Err()
}

// serveEmbedded runs a like "crumb serve" with its embedded worker until
// the returned stop is called.
func serveEmbedded(t *testing.T, a *App) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, true, func(s string) { addr <- s }) }()
	select {
	case <-addr:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	return func() { cancel(); <-done }
}

func embeddedApp(t *testing.T, dir string) *App {
	t.Helper()
	a, err := New(context.Background(), nodeConfig(t, nodeOpts{DataDir: dir}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestHelperEmbeddedCrash is the child process of
// TestEmbeddedResumesAfterKill: an embedded server whose export and e-mail
// never finish, killed by its parent while both are under way.
func TestHelperEmbeddedCrash(t *testing.T) {
	dir := os.Getenv("CRUMB_HELPER_DIR")
	if dir == "" {
		t.Skip("child process of TestEmbeddedResumesAfterKill")
	}
	a := embeddedApp(t, dir)
	a.Fleet.Reports.Sources = maps.Clone(a.Fleet.Reports.Sources)
	a.Fleet.Reports.Sources[reports.KindAttendance] = stuckSource{}
	a.Fleet.Mail = stuckMail{}
	defer serveEmbedded(t, a)()
	ctx := context.Background()
	admin := adminID(t, a)
	if _, err := a.Fleet.Reports.Create(ctx, auth.Principal{UserID: admin, Role: auth.RoleAdmin},
		reports.Request{Kind: reports.KindAttendance, Format: reports.FormatCSV, From: "2026-11-30", To: "2026-12-06"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Writer.Do(ctx, func(tx *outbox.Tx) error {
		tx.Emit(outbox.UserTopic(admin), worker.EventTimeOffDecided, worker.TimeOffEvent{ID: 1, EmployeeID: admin,
			StartsOn: "2026-12-24", EndsOn: "2026-12-26", Status: "approved", DecidedBy: admin})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

func adminID(t *testing.T, a *App) int64 {
	t.Helper()
	var id int64
	if err := a.DB.QueryRowContext(context.Background(), `SELECT id FROM users WHERE email = ?`, testAdminEmail).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// An embedded server killed (SIGKILL) while a report is running and an
// e-mail is claimed but unsent loses its in-process queue. Started again on
// the same SQLite file it rebuilds the work from the database: the report
// completes once (one ready transition, one report.ready event) and the
// e-mail goes out once; a further restart does neither again.
func TestEmbeddedResumesAfterKill(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestHelperEmbeddedCrash$")
	child.Env = append(os.Environ(), "CRUMB_HELPER_DIR="+dir)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()

	// Watch the child's database until both pieces of work are under way.
	var a *App
	testutil.Eventually(t, 60*time.Second, "the child to start the export and the e-mail", func() bool {
		if a == nil {
			if _, err := os.Stat(dir + "/crumb.db"); err != nil {
				return false
			}
			var err error
			if a, err = New(context.Background(), nodeConfig(t, nodeOpts{DataDir: dir}), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				a = nil
				return false
			}
		}
		var running, claimed int
		a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM reports WHERE status = ?`, reports.StatusRunning).Scan(&running)
		a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL`).Scan(&claimed)
		return running == 1 && claimed == 1
	})
	a.Close()
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	restarted := time.Now()
	a = embeddedApp(t, dir)
	stop := serveEmbedded(t, a)
	ctx := context.Background()
	var status string
	var attempts int
	testutil.Eventually(t, 30*time.Second, "the report to complete", func() bool {
		a.DB.QueryRowContext(ctx, `SELECT status, attempts FROM reports`).Scan(&status, &attempts)
		return status == reports.StatusReady
	})
	t.Logf("report ready %v after the restart (attempts %d)", time.Since(restarted).Round(time.Millisecond), attempts)
	mails := func() int {
		var n int
		a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM mailbox WHERE to_addr = ?`, testAdminEmail).Scan(&n)
		return n
	}
	// The time-off decision and the report's ready notice.
	testutil.Eventually(t, 30*time.Second, "two e-mails", func() bool { return mails() == 2 })
	t.Logf("both e-mails sent %v after the restart", time.Since(restarted).Round(time.Millisecond))
	stop()
	a.Close()

	// Start once more: nothing is done twice.
	a = embeddedApp(t, dir)
	defer a.Close()
	stop = serveEmbedded(t, a)
	// The rebuilt queue (filled before the server listens) drains: every
	// task it held has run, and found its work done.
	insp := asynq.NewInspector(a.RedisOpt)
	defer insp.Close()
	testutil.Eventually(t, 30*time.Second, "the rebuilt queue to drain", func() bool {
		queues, err := insp.Queues()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range queues {
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				t.Fatal(err)
			}
			if info.Pending+info.Active+info.Retry > 0 {
				return false
			}
		}
		return true
	})
	stop()
	if n := mails(); n != 2 {
		t.Errorf("%d e-mails after a second restart, want 2", n)
	}
	var ready, unsent int
	a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE type = ?`, reports.EventReady).Scan(&ready)
	a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL`).Scan(&unsent)
	a.DB.QueryRowContext(ctx, `SELECT status, attempts FROM reports`).Scan(&status, &attempts)
	if ready != 1 || unsent != 0 || status != reports.StatusReady || attempts != 2 {
		t.Errorf("report.ready events %d (want 1), unsent claims %d (want 0), report %s after %d attempts (want ready after 2)",
			ready, unsent, status, attempts)
	}
}
