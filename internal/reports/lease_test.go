package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// An attempt whose lease lapsed (its worker died) is found by Lapsed,
// marked retrying by Retry and completed once by the next attempt; one
// whose lease holds is left alone; one that used every attempt fails.
func TestLapsedLeaseRetried(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // newEnv's clock
		create := func(attempts int, leaseUntil time.Time) int64 {
			t.Helper()
			r, err := e.svc.Create(ctx, e.admin, reports.Request{Kind: "attendance", Format: "csv", From: "2026-11-30", To: "2026-12-06"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.ExecContext(ctx, `UPDATE reports SET status = ?, attempts = ?, lease_until = ? WHERE id = ?`,
				reports.StatusRunning, attempts, leaseUntil, r.ID); err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		status := func(id int64) (string, int) {
			t.Helper()
			var s string
			var n int
			if err := d.QueryRowContext(ctx, `SELECT status, attempts FROM reports WHERE id = ?`, id).Scan(&s, &n); err != nil {
				t.Fatal(err)
			}
			return s, n
		}
		dead := create(1, now.Add(-time.Second))
		alive := create(1, now.Add(time.Second))
		spent := create(reports.MaxAttempts, now.Add(-time.Minute))

		lapsed, err := e.svc.Lapsed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(lapsed) != 2 || lapsed[0] != (reports.Attempt{ReportID: dead, Attempt: 1}) || lapsed[1].ReportID != spent {
			t.Fatalf("lapsed %+v", lapsed)
		}
		for _, a := range lapsed {
			if _, err := e.svc.Retry(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if s, _ := status(dead); s != reports.StatusRetrying {
			t.Errorf("dead attempt's report is %s, want retrying", s)
		}
		if s, _ := status(spent); s != reports.StatusFailed {
			t.Errorf("report after %d attempts is %s, want failed", reports.MaxAttempts, s)
		}
		// A second sweep of the same attempt (another worker) is harmless.
		if _, err := e.svc.Retry(ctx, lapsed[0]); err != nil {
			t.Fatal(err)
		}
		if s, n := status(dead); s != reports.StatusRetrying || n != 1 {
			t.Errorf("after a second Retry the report is %s after %d attempts", s, n)
		}
		for _, id := range []int64{dead, alive} {
			if err := e.svc.Export(ctx, id, people.Store{Timezone: "UTC", WeekStartsOn: 1}); err != nil {
				t.Fatal(err)
			}
		}
		if s, n := status(dead); s != reports.StatusReady || n != 2 {
			t.Errorf("retried report is %s after %d attempts, want ready after 2", s, n)
		}
		if s, n := status(alive); s != reports.StatusRunning || n != 1 {
			t.Errorf("report whose lease holds is %s after %d attempts, want running after 1", s, n)
		}
		if n := len(readyEvents(t, d, e.admin.UserID)); n != 2 { // dead: ready, spent: failed
			t.Errorf("%d report.ready events, want 2", n)
		}
	})
}
