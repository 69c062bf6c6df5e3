package roster

import (
	"sync"
	"testing"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func TestCreateShiftChecks(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0 := f.emps[0].UserID
		first := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 09:00", "2026-12-02 17:00"))
		if first.Status != StatusDraft || first.Version != 1 || len(first.Warnings) != 0 {
			t.Fatalf("first shift = %+v", first)
		}
		tests := []struct {
			desc   string
			p      auth.Principal
			in     ShiftInput
			code   apperr.Code
			fields []string
		}{
			{"overlap", f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 16:00", "2026-12-02 20:00"), apperr.Conflict, nil},
			{"end before start", f.mgrA, shiftIn(f.deptA, &e0, "2026-12-03 17:00", "2026-12-03 09:00"), apperr.ValidationFailed, []string{"ends_at"}},
			{"longer than 16 hours", f.mgrA, shiftIn(f.deptA, &e0, "2026-12-03 01:00", "2026-12-03 17:01"), apperr.ValidationFailed, []string{"ends_at"}},
			{"malformed date", f.mgrA, ShiftInput{DepartmentID: &f.deptA, StartsAt: ptr("2026-12-03 09:00"), EndsAt: ptr("tomorrow")}, apperr.ValidationFailed, []string{"starts_at", "ends_at"}},
			{"missing fields", f.mgrA, ShiftInput{}, apperr.ValidationFailed, []string{"department_id", "starts_at", "ends_at"}},
			{"unknown department", f.admin, shiftIn(999, nil, "2026-12-03 09:00", "2026-12-03 17:00"), apperr.NotFound, nil},
			{"unknown department with a person", f.admin, shiftIn(999, &e0, "2026-12-03 09:00", "2026-12-03 17:00"), apperr.NotFound, nil},
			{"foreign department", f.mgrA, shiftIn(f.deptB, nil, "2026-12-03 09:00", "2026-12-03 17:00"), apperr.NotFound, nil},
			{"unknown person", f.mgrA, shiftIn(f.deptA, ptr(int64(9999)), "2026-12-03 09:00", "2026-12-03 17:00"), apperr.NotFound, nil},
			{"person not in the department", f.mgrA, shiftIn(f.deptA, &f.empB.UserID, "2026-12-03 09:00", "2026-12-03 17:00"), apperr.ValidationFailed, []string{"employee_id"}},
			{"employee may not", f.emps[1], shiftIn(f.deptA, nil, "2026-12-03 09:00", "2026-12-03 17:00"), apperr.Forbidden, nil},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				before := f.count("SELECT COUNT(*) FROM shifts")
				_, err := f.svc.CreateShift(ctx, tc.p, tc.in)
				e := wantCode(t, err, tc.code)
				for _, k := range tc.fields {
					if _, ok := e.Fields[k]; !ok {
						t.Errorf("fields %v lack %s", e.Fields, k)
					}
				}
				if tc.code == apperr.Conflict && (len(e.Conflicts) != 1 || e.Conflicts[0].Kind != KindOverlap || e.Conflicts[0].ShiftID != first.ID) {
					t.Errorf("conflicts = %+v", e.Conflicts)
				}
				if after := f.count("SELECT COUNT(*) FROM shifts"); after != before {
					t.Errorf("shifts %d -> %d: something was written", before, after)
				}
			})
		}
		t.Run("back to back is accepted with no rest warning", func(t *testing.T) {
			sh := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 17:00", "2026-12-02 21:00"))
			if len(sh.Warnings) != 0 {
				t.Errorf("warnings = %+v", sh.Warnings)
			}
		})
		t.Run("short rest warns", func(t *testing.T) {
			sh := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-03 05:00", "2026-12-03 09:00"))
			if len(sh.Warnings) != 1 || sh.Warnings[0].Kind != WarnMinRest {
				t.Errorf("warnings = %+v", sh.Warnings)
			}
		})
		t.Run("update to overlap is refused, stale version too", func(t *testing.T) {
			sh := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-04 09:00", "2026-12-04 17:00"))
			_, err := f.svc.UpdateShift(ctx, f.mgrA, sh.ID, ShiftInput{StartsAt: ptr(local("2026-12-02 12:00")), EndsAt: ptr(local("2026-12-02 15:00"))}, nil)
			wantCode(t, err, apperr.Conflict)
			_, err = f.svc.UpdateShift(ctx, f.mgrA, sh.ID, ShiftInput{Notes: ptr("x")}, ptr(int64(7)))
			wantCode(t, err, apperr.StaleVersion)
			up, err := f.svc.UpdateShift(ctx, f.mgrA, sh.ID, ShiftInput{EmployeeID: NullableID{Set: true}}, ptr(int64(1)))
			if err != nil || up.EmployeeID != nil || up.Version != 2 {
				t.Fatalf("make open: %+v %v", up, err)
			}
		})
		t.Run("employees see only published shifts of their departments", func(t *testing.T) {
			_, err := f.svc.GetShift(ctx, f.emps[0], first.ID)
			wantCode(t, err, apperr.NotFound)
			page, err := f.svc.ListShifts(ctx, f.emps[0], ShiftFilter{}, peopleListParams())
			if err != nil || len(page.Items) != 0 {
				t.Fatalf("employee sees %d drafts (%v)", len(page.Items), err)
			}
			page, err = f.svc.ListShifts(ctx, f.mgrA, ShiftFilter{From: "2026-12-02", To: "2026-12-03"}, peopleListParams())
			if err != nil || len(page.Items) != 2 {
				t.Fatalf("manager sees %d shifts on 2026-12-02 (%v)", len(page.Items), err)
			}
			page, err = f.svc.ListShifts(ctx, f.mgrB, ShiftFilter{}, peopleListParams())
			if err != nil || len(page.Items) != 0 {
				t.Fatalf("other manager sees %d (%v)", len(page.Items), err)
			}
		})
	})
}

// TestNoDoubleBookingUnderConcurrency fires overlapping creates for a few
// people at once; the database must end with no overlapping pair.
func TestNoDoubleBookingUnderConcurrency(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		const n = 60
		var wg sync.WaitGroup
		var mu sync.Mutex
		created, conflicts := 0, 0
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				emp := f.emps[i%len(f.emps)].UserID
				start := []string{"2026-12-02 09:00", "2026-12-02 10:00", "2026-12-02 12:00"}[i%3]
				end := []string{"2026-12-02 13:00", "2026-12-02 14:00", "2026-12-02 17:00"}[i%3]
				_, err := f.svc.CreateShift(ctx, f.mgrA, shiftIn(f.deptA, &emp, start, end))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					created++
				case apperr.Is(err, apperr.Conflict):
					conflicts++
				default:
					t.Errorf("create: %v", err)
				}
			}(i)
		}
		wg.Wait()
		if created != len(f.emps) || created+conflicts != n {
			t.Errorf("created %d, conflicts %d; want %d created", created, conflicts, len(f.emps))
		}
		if n := f.count(overlapQuery); n != 0 {
			t.Errorf("%d overlapping pairs stored", n)
		}
	})
}

const overlapQuery = `SELECT COUNT(*) FROM shifts a JOIN shifts b ON a.employee_id = b.employee_id AND a.id < b.id
	AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at`
