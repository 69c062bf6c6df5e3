package attendance_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func TestAlerts(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		now := e.clock.Now() // 09:00 ADT; the grace period is 5 minutes
		at := func(min int) time.Time { return now.Add(time.Duration(min) * time.Minute) }
		e.shifts.list = []attendance.PlannedShift{
			{ID: 1, DepartmentID: e.dept, EmployeeID: e.alice.UserID, StartsAt: at(-10), EndsAt: at(420)},     // clocks in 10 min late
			{ID: 2, DepartmentID: e.dept, EmployeeID: e.bob.UserID, StartsAt: at(-60), EndsAt: at(420)},       // never comes
			{ID: 3, DepartmentID: e.dept, EmployeeID: e.manager.UserID, StartsAt: at(-3), EndsAt: at(60)},     // within the grace period
			{ID: 4, DepartmentID: e.dept, EmployeeID: e.manager.UserID, StartsAt: at(180), EndsAt: at(300)},   // later today
			{ID: 5, DepartmentID: e.dept, EmployeeID: e.bob.UserID, StartsAt: at(-11 * 60), EndsAt: at(-180)}, // began yesterday
		}
		if _, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{ShiftID: ptr(int64(1))}); err != nil {
			t.Fatal(err)
		}
		arrived := now.UTC()
		e.clock.Advance(time.Minute)
		got, err := e.svc.Alerts(ctx, e.manager, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := attendance.Alerts{Date: "2026-03-09", Items: []attendance.Alert{
			{Kind: attendance.AlertNoShow, At: at(-30).UTC(), ShiftID: 2, DepartmentID: e.dept, EmployeeID: e.bob.UserID, EmployeeName: "Bob Test",
				StartsAt: at(-60).UTC(), EndsAt: at(420).UTC(), LateMinutes: 61},
			{Kind: attendance.AlertLate, At: at(-5).UTC(), ShiftID: 1, DepartmentID: e.dept, EmployeeID: e.alice.UserID, EmployeeName: "Alice Test",
				StartsAt: at(-10).UTC(), EndsAt: at(420).UTC(), LateMinutes: 10, ClockInAt: &arrived},
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("alerts:\n got %+v\nwant %+v", got, want)
		}
		if one, err := e.svc.Alerts(ctx, e.admin, e.dept); err != nil || len(one.Items) != 2 {
			t.Errorf("admin, one department: %+v, %v", one, err)
		}
		_, err = e.svc.Alerts(ctx, e.manager, e.dept+1000)
		wantCode(t, err, apperr.Forbidden)
		_, err = e.svc.Alerts(ctx, e.alice, 0)
		wantCode(t, err, apperr.Forbidden)
	})
}
