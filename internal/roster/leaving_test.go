package roster

import (
	"testing"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// A person who leaves a department, or the store, gives back the shifts
// there that have not started: they become open shifts of their
// department, announced to it (managers only for drafts) and, for
// published ones, to the person. Past and started shifts stay as they were.
func TestLeavingOpensFutureShifts(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.svc.People.Leaving = f.svc.ReleaseShifts
		emp := f.person(auth.RoleEmployee, f.deptA, f.deptB)
		published := func(in ShiftInput) ShiftInput { in.Status = ptr(StatusPublished); return in }
		// The clock stands at 2026-11-20 08:00 in Halifax.
		past := f.mustCreate(f.admin, published(shiftIn(f.deptA, &emp.UserID, "2026-11-19 09:00", "2026-11-19 17:00")))
		started := f.mustCreate(f.admin, published(shiftIn(f.deptA, &emp.UserID, "2026-11-20 07:00", "2026-11-20 15:00")))
		futA := f.mustCreate(f.admin, published(shiftIn(f.deptA, &emp.UserID, "2026-11-23 09:00", "2026-11-23 17:00")))
		futB := f.mustCreate(f.admin, shiftIn(f.deptB, &emp.UserID, "2026-11-24 09:00", "2026-11-24 17:00"))
		other := f.mustCreate(f.admin, shiftIn(f.deptA, &f.emps[0].UserID, "2026-11-23 09:00", "2026-11-23 17:00"))
		holder := func(id int64) (emp *int64, version int64) {
			t.Helper()
			if err := d.QueryRowContext(ctx, "SELECT employee_id, version FROM shifts WHERE id = ?", id).Scan(&emp, &version); err != nil {
				t.Fatal(err)
			}
			return emp, version
		}
		open := func(what string, id int64, wantOpen bool) {
			t.Helper()
			e, v := holder(id)
			if (e == nil) != wantOpen || (wantOpen && v != 2) || (!wantOpen && v != 1) {
				t.Errorf("%s: employee %v, version %d; want open=%v", what, e, v, wantOpen)
			}
		}

		// Out of department B: only B's future shift opens.
		seq := f.lastSeq()
		if _, err := f.svc.People.UpdateEmployee(ctx, f.admin, emp.UserID, people.EmployeeInput{DepartmentIDs: &[]int64{f.deptA}}, nil); err != nil {
			t.Fatal(err)
		}
		open("B's future draft", futB.ID, true)
		open("A's future shift", futA.ID, false)
		evs := f.events(seq)
		if !hasEvent(evs, "dept:"+itoa(f.deptB), "mgr:"+EventShiftUpdated, futB.ID) {
			t.Errorf("department B was not told (managers only, a draft): %+v", evs)
		}

		// Deactivated: A's future shift opens and the person hears of it.
		seq = f.lastSeq()
		if err := f.svc.People.DeactivateEmployee(ctx, f.admin, emp.UserID, nil); err != nil {
			t.Fatal(err)
		}
		open("A's future shift", futA.ID, true)
		open("the past shift", past.ID, false)
		open("the started shift", started.ID, false)
		open("a colleague's shift", other.ID, false)
		evs = f.events(seq)
		if !hasEvent(evs, "dept:"+itoa(f.deptA), EventShiftUpdated, futA.ID) {
			t.Errorf("department A was not told: %+v", evs)
		}
		if !hasEvent(evs, "user:"+itoa(emp.UserID), EventShiftCancelled, 0) {
			t.Errorf("the person was not told: %+v", evs)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'shift.release'"); n != 2 {
			t.Errorf("%d shift.release audit rows, want 2", n)
		}
		if n := f.count("SELECT COUNT(*) FROM shifts WHERE employee_id IS NULL"); n != 2 {
			t.Errorf("%d open shifts, want 2", n)
		}
	})
}

// hasEvent reports whether evs hold an event of typ on topic (stored type,
// "mgr:" for managers only) about shift id (0: any).
func hasEvent(evs []storedEvent, topic, typ string, id int64) bool {
	for _, e := range evs {
		if e.Topic != topic || e.Type != typ {
			continue
		}
		if id == 0 {
			return true
		}
		if v, ok := e.Data["id"].(float64); ok && int64(v) == id {
			return true
		}
	}
	return false
}
