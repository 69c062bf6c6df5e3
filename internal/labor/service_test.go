package labor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

var ctx = context.Background()

// period is a pay period of the default settings (biweekly from Monday
// 2026-01-05): Monday 9 to Sunday 22 November 2026, in Halifax.
const period = "2026-11-09"

type env struct {
	d       *db.DB
	w       *outbox.Writer
	clock   *testutil.Clock
	ppl     *people.Service
	svc     *labor.Service
	att     *attendance.Service
	dept    int64
	admin   auth.Principal
	manager auth.Principal
	people  []auth.Principal
	open    int64 // a punch left open
}

func mustLoc(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("America/Halifax")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newEnv makes a store with n people in one department, each with ten
// punches in the period (some with breaks, one across the period's last
// midnight, one left open), a raise in the middle of the period for the
// second person, and published shifts for some punches.
func newEnv(t testing.TB, d *db.DB, n int) *env {
	t.Helper()
	clock := testutil.NewClock(time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	ppl := &people.Service{W: w, Passwords: testutil.CheapHasher()}
	if err := ppl.EnsureStore(ctx, "Test Store", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	name := "Deli"
	dep, err := ppl.CreateDepartment(ctx, auth.System, people.DepartmentInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{d: d, w: w, clock: clock, ppl: ppl, svc: &labor.Service{W: w, People: ppl}, dept: dep.ID}
	r, _ := testutil.Redis(t)
	e.att = attendance.New(w, ppl, attendance.SQLShifts{}, r)
	mk := func(i int, role auth.Role) auth.Principal {
		first, last := fmt.Sprintf("P%03d", i), "Test"
		email, pw := fmt.Sprintf("p%d@example.com", i), "correct horse battery"
		depts := []int64{dep.ID}
		if role == auth.RoleAdmin {
			depts = nil
		}
		rate := int64(1550 + 37*i)
		p, err := ppl.CreateEmployee(ctx, auth.System, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email,
			Password: &pw, Role: &role, DepartmentIDs: &depts, PayRateCents: &rate})
		if err != nil {
			t.Fatal(err)
		}
		return auth.Principal{UserID: p.ID, Role: role, DeptIDs: depts}
	}
	e.admin = mk(1000, auth.RoleAdmin)
	e.manager = mk(1001, auth.RoleManager)
	for i := 0; i < n; i++ {
		e.people = append(e.people, mk(i, auth.RoleEmployee))
	}
	if n > 1 {
		raise := int64(2400)
		if _, err := e.svc.AddWage(ctx, e.admin, e.people[1].UserID, labor.WageInput{RateCents: &raise, EffectiveOn: "2026-11-16"}); err != nil {
			t.Fatal(err)
		}
	}
	loc := mustLoc(t)
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	first := time.Date(2026, 11, 9, 0, 0, 0, 0, loc)
	for i, p := range e.people {
		days := []int{0, 1, 2, 3, 4, 7, 8, 9, 10, 11}
		for k, day := range days {
			in := time.Date(2026, 11, 9+day, 7+rng.IntN(4), rng.IntN(60), 0, 0, loc)
			if k == len(days)-1 && i%5 == 0 {
				in = time.Date(2026, 11, 22, 22, 0, 0, 0, loc) // across the period's last midnight
			}
			out := in.Add(time.Duration(6*60+rng.IntN(5*60)) * time.Minute)
			var shift any
			if k%3 == 0 {
				res, err := d.ExecContext(ctx, `INSERT INTO shifts (department_id, employee_id, starts_at, ends_at, position, notes, status, version, created_at, updated_at)
					VALUES (?, ?, ?, ?, '', '', 'published', 1, ?, ?)`, dep.ID, p.UserID, in.Add(-5*time.Minute).UTC(), out.Add(10*time.Minute).UTC(), first.UTC(), first.UTC())
				if err != nil {
					t.Fatal(err)
				}
				id, _ := res.LastInsertId()
				shift = id
			}
			var closed, openEmp any = out.UTC(), nil
			leaveOpen := i == 0 && k == len(days)-1
			if leaveOpen {
				closed, openEmp = nil, p.UserID
			}
			res, err := d.ExecContext(ctx, `INSERT INTO attendance_records (employee_id, department_id, shift_id, clock_in_at, clock_out_at, open_employee_id, source, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, 'self', 1, ?, ?)`, p.UserID, dep.ID, shift, in.UTC(), closed, openEmp, in.UTC(), in.UTC())
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := res.LastInsertId()
			if leaveOpen {
				e.open = rec
			}
			if rng.IntN(3) > 0 {
				b := in.Add(3 * time.Hour)
				if _, err := d.ExecContext(ctx, "INSERT INTO attendance_breaks (record_id, starts_at, ends_at) VALUES (?, ?, ?)",
					rec, b.UTC(), b.Add(time.Duration(10+rng.IntN(30))*time.Minute).UTC()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return e
}

func wantCode(t testing.TB, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	return e
}

// TestTimesheetsApproveLock: 30 people's real punches in a period: the
// sheets reconcile to the punches to the cent; approving with an open
// punch is refused with the list, nothing written; locking needs every
// sheet approved; a locked period refuses punches and corrections (409);
// a manager cannot reopen, an admin can, with a reason, audited.
func TestTimesheetsApproveLock(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, 30)
		all, err := e.svc.ListTimesheets(ctx, e.admin, labor.TimesheetFilter{PeriodStart: period})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Items) != 30 || all.Period.StartsOn != period || all.Period.EndsOn != "2026-11-22" || all.Period.Status != "open" {
			t.Fatalf("period %+v with %d sheets", all.Period, len(all.Items))
		}
		var total int64
		for _, s := range all.Items {
			var cost int64
			worked := 0
			for _, p := range s.Punches {
				cost += p.CostCents
				worked += p.RegularMinutes + p.OvertimeMinutes
			}
			if cost != s.CostCents || worked != s.WorkedMinutes || s.RegularMinutes+s.OvertimeMinutes != s.WorkedMinutes {
				t.Fatalf("sheet %d: punches cost %d of %d, minutes %d of %d", s.EmployeeID, cost, s.CostCents, worked, s.WorkedMinutes)
			}
			total += s.CostCents
		}
		if total != all.CostCents || all.OvertimeMinutes == 0 {
			t.Fatalf("sheets add up to %d, period %d (overtime %d)", total, all.CostCents, all.OvertimeMinutes)
		}
		if _, err := e.svc.ListTimesheets(ctx, e.admin, labor.TimesheetFilter{PeriodStart: "2026-11-10"}); err == nil {
			t.Fatal("a period start that does not align was accepted")
		}
		// Employees see their own sheet only.
		mine, err := e.svc.MyTimesheet(ctx, e.people[3], period)
		if err != nil || len(mine.Items) != 1 || mine.Items[0].EmployeeID != e.people[3].UserID {
			t.Fatalf("own timesheet: %+v, %v", mine.Items, err)
		}
		_, err = e.svc.ListTimesheets(ctx, e.people[3], labor.TimesheetFilter{PeriodStart: period})
		wantCode(t, err, apperr.Forbidden)

		// An open punch: approving the department is refused, with the list.
		_, err = e.svc.Approve(ctx, e.manager, labor.ApproveInput{PeriodStart: period, DepartmentID: e.dept})
		ae := wantCode(t, err, apperr.Conflict)
		if len(ae.Conflicts) != 1 || ae.Conflicts[0].Kind != "open_punch" || ae.Conflicts[0].ID != e.open {
			t.Fatalf("conflicts = %+v, want the open punch %d", ae.Conflicts, e.open)
		}
		again, _ := e.svc.ListTimesheets(ctx, e.admin, labor.TimesheetFilter{PeriodStart: period})
		for _, s := range again.Items {
			if s.Approved {
				t.Fatalf("%d approved by a refused approval", s.EmployeeID)
			}
		}
		// Others can be approved by name; locking still needs the first.
		if _, err := e.svc.Approve(ctx, e.manager, labor.ApproveInput{PeriodStart: period, EmployeeIDs: []int64{e.people[1].UserID}}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Lock(ctx, e.manager, period, labor.LockInput{})
		wantCode(t, err, apperr.Conflict)
		// The manager closes the punch (a correction) and approves everyone.
		out := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // the open punch began Sunday 22:00
		if _, err := e.att.Correct(ctx, e.manager, e.open, attendance.Correction{ClockOutAt: &out, Reason: "forgot to clock out"}, nil); err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.Approve(ctx, e.manager, labor.ApproveInput{PeriodStart: period, DepartmentID: e.dept})
		if err != nil || len(res.Approved) != 30 {
			t.Fatalf("approve: %+v, %v", res, err)
		}
		per, err := e.svc.Lock(ctx, e.manager, period, labor.LockInput{})
		if err != nil || per.Status != "locked" || per.LockedAt == nil {
			t.Fatalf("lock: %+v, %v", per, err)
		}
		// Locked: a correction inside it is 409, and so is an offline punch
		// made inside it, and an approval.
		rec := again.Items[4].Punches[0]
		_, err = e.att.Correct(ctx, e.manager, rec.RecordID, attendance.Correction{ClockOutAt: rec.ClockOutAt, Reason: "try after lock"}, nil)
		wantCode(t, err, apperr.Conflict)
		_, err = e.svc.Approve(ctx, e.manager, labor.ApproveInput{PeriodStart: period, DepartmentID: e.dept})
		wantCode(t, err, apperr.Conflict)
		e.clock.Set(time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)) // inside the period, Sunday 16:00
		_, err = e.att.Clock(ctx, e.people[7], attendance.ActClockIn, attendance.ClockInput{})
		wantCode(t, err, apperr.Conflict)
		e.clock.Set(time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC))
		// Reopen: admins only, with a reason, audited.
		_, err = e.svc.Reopen(ctx, e.manager, period, labor.LockInput{Reason: "late correction"})
		wantCode(t, err, apperr.Forbidden)
		_, err = e.svc.Reopen(ctx, e.admin, period, labor.LockInput{})
		wantCode(t, err, apperr.ValidationFailed)
		if per, err := e.svc.Reopen(ctx, e.admin, period, labor.LockInput{Reason: "late correction"}); err != nil || per.Status != "open" {
			t.Fatalf("reopen: %+v, %v", per, err)
		}
		var n int
		if err := d.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action IN ('pay_period.lock', 'pay_period.reopen')").Scan(&n); err != nil || n != 2 {
			t.Fatalf("audited lock and reopen: %d, %v", n, err)
		}
		// A correction now withdraws that person's approval.
		if _, err := e.att.Correct(ctx, e.manager, rec.RecordID, attendance.Correction{ClockOutAt: rec.ClockOutAt, Reason: "recheck"}, nil); err != nil {
			t.Fatal(err)
		}
		after, _ := e.svc.ListTimesheets(ctx, e.admin, labor.TimesheetFilter{PeriodStart: period})
		for _, s := range after.Items {
			if s.Approved == (s.EmployeeID == again.Items[4].EmployeeID) {
				t.Fatalf("after a correction: %d approved %v", s.EmployeeID, s.Approved)
			}
		}
		// A person flags their own punch, not someone else's.
		if _, err := e.svc.FlagPunch(ctx, e.people[4], rec.RecordID, labor.FlagInput{Comment: "I left at five"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FlagPunch(ctx, e.people[5], rec.RecordID, labor.FlagInput{Comment: "not mine"})
		wantCode(t, err, apperr.NotFound)
		mine, _ = e.svc.MyTimesheet(ctx, e.people[4], period)
		if mine.Items[0].OpenFlags != 1 {
			t.Fatalf("open flags = %d", mine.Items[0].OpenFlags)
		}
	})
}
