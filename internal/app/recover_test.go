package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// timerIDs lists the ids of the tasks waiting in the embedded queue of a
// (scheduled, pending, active, retry), once the queue has run what was due.
func timerIDs(t *testing.T, a *App) []string {
	t.Helper()
	insp := asynq.NewInspector(a.RedisOpt)
	defer insp.Close()
	var ids []string
	testutil.Eventually(t, 30*time.Second, "the due tasks to run", func() bool {
		ids = ids[:0]
		for _, q := range []string{worker.QueueDefault, worker.QueueCritical} {
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				continue // no task was ever queued there
			}
			if info.Pending+info.Active+info.Retry > 0 {
				return false
			}
			sched, err := insp.ListScheduledTasks(q, asynq.PageSize(1000))
			if err != nil {
				t.Fatal(err)
			}
			for _, ti := range sched {
				ids = append(ids, ti.ID)
			}
		}
		return true
	})
	slices.Sort(ids)
	return ids
}

// A published shift's reminder and late check live only in the embedded
// queue, which dies with the process; the events that set them are older
// than ReplayWindow at the restart, so replaying events does not bring them
// back. The restarted server re-derives them from the shifts table: the
// upcoming shift's reminder and late check are scheduled again, a shift
// under way whose alerts were raised before the restart is not alerted
// again, and draft, open and ended shifts get nothing. A second restart
// does the same, and nothing twice.
func TestEmbeddedRebuildsShiftTimers(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Minute)
	clock := testutil.NewClock(now.Add(-30 * time.Hour)) // the publication, beyond the replay window
	ctx := context.Background()
	a, err := New(ctx, nodeConfig(t, nodeOpts{DataDir: dir}), slog.New(slog.NewTextHandler(io.Discard, nil)), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	name := "Bakery"
	dept, err := a.People.CreateDepartment(ctx, auth.System, people.DepartmentInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	first, last, email, role, pw := "Erin", "Test", "erin@example.test", auth.RoleEmployee, testAdminPassword
	depts := []int64{dept.ID}
	erin, err := a.People.CreateEmployee(ctx, auth.System, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email,
		Role: &role, DepartmentIDs: &depts, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	shift := func(from, to time.Duration, emp *int64, status string) roster.Shift {
		t.Helper()
		s, e := now.Add(from).Format(time.RFC3339), now.Add(to).Format(time.RFC3339)
		r, err := a.Roster.CreateShift(ctx, auth.System, roster.ShiftInput{DepartmentID: &dept.ID, StartsAt: &s, EndsAt: &e,
			EmployeeID: roster.NullableID{Set: emp != nil, Value: emp}, Status: &status})
		if err != nil {
			t.Fatal(err)
		}
		return r.Shift
	}
	upcoming := shift(48*time.Hour, 56*time.Hour, &erin.ID, roster.StatusPublished)
	underWay := shift(-time.Hour, 6*time.Hour, &erin.ID, roster.StatusPublished)
	shift(-10*time.Hour, -2*time.Hour, &erin.ID, roster.StatusPublished) // ended
	shift(72*time.Hour, 80*time.Hour, &erin.ID, roster.StatusDraft)
	shift(96*time.Hour, 104*time.Hour, nil, roster.StatusPublished) // open

	// The first process sets the timers from the events; the checks of the
	// shift under way (due by the real clock asynq schedules by) run and
	// raise both alerts. Its queue then dies with it.
	// The relay sweeps events older than its SweepAge by the app's clock.
	clock.Advance(time.Minute)
	stop := serveEmbedded(t, a)
	// Alerts of the shift under way (stored as managers-only events).
	alerts := func(a *App, typ string) int {
		var n int
		a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE type IN (?, ?) AND payload LIKE ?`, typ, "mgr:"+typ, "%\"shift_id\":"+itoa(underWay.ID)+",%").Scan(&n)
		return n
	}
	testutil.Eventually(t, 30*time.Second, "the late and no-show alerts of the shift under way", func() bool {
		return alerts(a, worker.EventLate) == 1 && alerts(a, worker.EventNoShow) == 1
	})
	stop()
	a.Close()

	want := []string{"noshow:" + itoa(upcoming.ID) + ":" + itoa(upcoming.StartsAt.Unix()) + ":late",
		"reminder:" + itoa(upcoming.ID) + ":" + itoa(upcoming.StartsAt.Unix())}
	for restart := 1; restart <= 2; restart++ {
		a = embeddedApp(t, dir)
		stop = serveEmbedded(t, a)
		if got := timerIDs(t, a); !slices.Equal(got, want) {
			t.Errorf("restart %d: scheduled %v, want %v", restart, got, want)
		}
		if l, n := alerts(a, worker.EventLate), alerts(a, worker.EventNoShow); l != 1 || n != 1 {
			t.Errorf("restart %d: the shift under way has %d late and %d no-show alerts, want 1 and 1", restart, l, n)
		}
		stop()
		a.Close()
	}
}

// A process killed mid-export leaves its temporary upload file in the
// local report folder; the next start removes it once it is old enough.
func TestStartRemovesStaleUploads(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "reports", "4", ".upload-123")
	if err := os.MkdirAll(filepath.Dir(stale), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	a := embeddedApp(t, dir)
	defer a.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale upload is still there: %v", err)
	}
}
