package attendance_test

import (
	"context"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestLinksToRosterShifts runs attendance on the roster's real shifts table
// (SQLShifts): a published shift is picked at clock-in, a draft is not.
func TestLinksToRosterShifts(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.svc.Shifts = attendance.SQLShifts{}
		rs := &roster.Service{W: e.svc.W, People: e.svc.People}
		now := e.clock.Now()
		mk := func(who auth.Principal, start, end time.Time, status string) int64 {
			t.Helper()
			emp := who.UserID
			res, err := rs.CreateShift(ctx, e.manager, roster.ShiftInput{DepartmentID: &e.dept, EmployeeID: roster.NullableID{Set: true, Value: &emp},
				StartsAt: ptr(start.Format(time.RFC3339)), EndsAt: ptr(end.Format(time.RFC3339)), Status: &status})
			if err != nil {
				t.Fatalf("create shift: %v", err)
			}
			return res.Shift.ID
		}
		pub := mk(e.alice, now.Add(10*time.Minute), now.Add(8*time.Hour), "published")
		mk(e.bob, now.Add(10*time.Minute), now.Add(8*time.Hour), "draft")
		mk(e.manager, now.Add(-2*time.Hour), now.Add(6*time.Hour), "published")

		rec, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{})
		if err != nil || rec.ShiftID == nil || *rec.ShiftID != pub || rec.Shift == nil || rec.LateMinutes != 0 {
			t.Fatalf("alice: %v %+v", err, rec)
		}
		rec, err = e.svc.Clock(ctx, e.bob, attendance.ActClockIn, attendance.ClockInput{})
		if err != nil || rec.ShiftID != nil {
			t.Fatalf("bob (draft only): %v %+v", err, rec)
		}
		e.clock.Advance(20 * time.Minute)
		live, err := e.svc.Live(ctx, e.admin, e.dept)
		if err != nil {
			t.Fatal(err)
		}
		dl := live.Departments[0]
		if len(dl.Late) != 1 || dl.Late[0].EmployeeID != e.manager.UserID || dl.Late[0].LateMinutes != 140 {
			t.Errorf("late: %+v", dl.Late)
		}
		if len(dl.OnFloor) != 2 {
			t.Errorf("on floor: %+v", dl.OnFloor)
		}
		// 09:00 ADT is hour 9: the manager's shift; alice's starts 09:10.
		if c := dl.Coverage[9]; c.Scheduled != 2 || c.Present == nil || *c.Present != 2 {
			t.Errorf("coverage at 09:00: %+v", c)
		}
		if ok, err := e.svc.ClockedIn(ctx, pub, e.alice.UserID); err != nil || !ok {
			t.Errorf("clocked in: %v %v", ok, err)
		}
	})
}
