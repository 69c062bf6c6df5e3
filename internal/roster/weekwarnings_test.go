package roster

import (
	"testing"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// The week's warnings are the ones a write reports, computed from what is
// stored now: a person over their maximum has a warning on each shift of
// the week, counting their shifts in other departments too.
func TestWeekWarnings(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0, e1 := f.emps[0].UserID, f.emps[1].UserID
		max := 12
		if _, err := f.svc.People.UpdateEmployee(ctx, f.admin, e0, people.EmployeeInput{MaxHoursPerWeek: &max, DepartmentIDs: &[]int64{f.deptA, f.deptB}}, nil); err != nil {
			t.Fatal(err)
		}
		mon := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-01 09:00", "2026-12-01 17:00"))
		f.mustCreate(f.mgrB, shiftIn(f.deptB, &e0, "2026-12-02 09:00", "2026-12-02 17:00")) // the other department's shift tips it over
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e1, "2026-12-01 09:00", "2026-12-01 17:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-09 09:00", "2026-12-09 17:00")) // next week

		got, err := f.svc.WeekWarnings(ctx, f.mgrA, WeekWarningsInput{DepartmentID: f.deptA, WeekStart: "2026-12-02"})
		if err != nil {
			t.Fatal(err)
		}
		if got.WeekStart != "2026-11-30" || len(got.Items) != 1 || got.Items[0].ShiftID != mon.ID ||
			len(got.Items[0].Warnings) != 1 || got.Items[0].Warnings[0].Kind != WarnMaxHours {
			t.Fatalf("week warnings = %+v", got)
		}
		if want := "16.0 hours this week, over the person's maximum of 12"; got.Items[0].Warnings[0].Message != want {
			t.Errorf("message %q, want %q", got.Items[0].Warnings[0].Message, want)
		}

		_, err = f.svc.WeekWarnings(ctx, f.mgrB, WeekWarningsInput{DepartmentID: f.deptA, WeekStart: "2026-12-02"})
		wantCode(t, err, apperr.NotFound)
		_, err = f.svc.WeekWarnings(ctx, f.emps[0], WeekWarningsInput{DepartmentID: f.deptA, WeekStart: "2026-12-02"})
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.WeekWarnings(ctx, f.mgrA, WeekWarningsInput{DepartmentID: f.deptA, WeekStart: "soon"})
		wantCode(t, err, apperr.ValidationFailed)
	})
}
