package attendance_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// fixedShifts stands in for the roster's published shifts.
type fixedShifts struct{ list []attendance.PlannedShift }

func (f *fixedShifts) Published(_ context.Context, _ attendance.Querier, flt attendance.ShiftFilter) ([]attendance.PlannedShift, error) {
	var out []attendance.PlannedShift
	for _, s := range f.list {
		switch {
		case len(flt.IDs) > 0 && !slices.Contains(flt.IDs, s.ID):
		case len(flt.IDs) == 0 && !(s.StartsAt.Before(flt.To) && s.EndsAt.After(flt.From)):
		case flt.EmployeeID != 0 && s.EmployeeID != flt.EmployeeID:
		case len(flt.DepartmentIDs) > 0 && !slices.Contains(flt.DepartmentIDs, s.DepartmentID):
		default:
			out = append(out, s)
		}
	}
	return out, nil
}

type env struct {
	svc                   *attendance.Service
	clock                 *testutil.Clock
	shifts                *fixedShifts
	dept                  int64
	admin, manager, kiosk auth.Principal
	alice, bob            auth.Principal
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	// 2026-03-09 12:00 UTC is 09:00 ADT, the Monday after spring forward.
	clock := testutil.NewClock(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	// Cheap argon2id parameters: this fixture creates people in every test.
	ppl := &people.Service{W: w, Passwords: testutil.CheapHasher()}
	if err := ppl.EnsureStore(ctx, "Test Store", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	name := "Bakery"
	dep, err := ppl.CreateDepartment(ctx, auth.System, people.DepartmentInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(first string, role auth.Role) auth.Principal {
		email := strings.ToLower(first) + "@example.com"
		pw := "correct horse battery"
		depts := []int64{dep.ID}
		if role == auth.RoleAdmin || role == auth.RoleKiosk {
			depts = nil
		}
		last := "Test"
		e, err := ppl.CreateEmployee(ctx, auth.System, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email,
			Password: &pw, Role: &role, DepartmentIDs: &depts})
		if err != nil {
			t.Fatal(err)
		}
		return auth.Principal{UserID: e.ID, SessionID: e.ID * 10, Role: role, DeptIDs: depts}
	}
	r, _ := testutil.Redis(t)
	sh := &fixedShifts{}
	e := &env{svc: attendance.New(w, ppl, sh, r), clock: clock, shifts: sh, dept: dep.ID}
	e.admin, e.manager, e.kiosk = mk("Ada", auth.RoleAdmin), mk("Max", auth.RoleManager), mk("Kiosk", auth.RoleKiosk)
	e.alice, e.bob = mk("Alice", auth.RoleEmployee), mk("Bob", auth.RoleEmployee)
	return e
}

func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return e
}

func TestClockInOutAndBreaks(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		start := e.clock.Now()
		e.shifts.list = []attendance.PlannedShift{{ID: 7, DepartmentID: e.dept, EmployeeID: e.alice.UserID,
			StartsAt: start.Add(30 * time.Minute), EndsAt: start.Add(8*time.Hour + 30*time.Minute)}}
		// 30 minutes early: the store allows 15.
		_, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{})
		ae := wantCode(t, err, apperr.ValidationFailed)
		if !strings.Contains(ae.Fields["shift_id"], "clock in from 09:15") {
			t.Errorf("fields: %v", ae.Fields)
		}
		e.clock.Advance(37 * time.Minute) // 7 minutes late, past the 5-minute grace
		rec, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{})
		if err != nil {
			t.Fatal(err)
		}
		if rec.ShiftID == nil || *rec.ShiftID != 7 || rec.LateMinutes != 7 || rec.DepartmentID == nil || *rec.DepartmentID != e.dept {
			t.Errorf("record: %+v", rec)
		}
		_, err = e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{})
		ae = wantCode(t, err, apperr.Conflict)
		if !strings.Contains(ae.Message, "since 09:37") {
			t.Errorf("message: %s", ae.Message)
		}
		for _, tc := range []struct {
			desc    string
			advance time.Duration
			act     attendance.Action
			code    apperr.Code
		}{
			{"break end without break", time.Hour, attendance.ActBreakEnd, apperr.Conflict},
			{"break start", 0, attendance.ActBreakStart, ""},
			{"second break start", time.Minute, attendance.ActBreakStart, apperr.Conflict},
			{"break end", 29 * time.Minute, attendance.ActBreakEnd, ""},
			{"clock out early", 5 * time.Hour, attendance.ActClockOut, ""},
			{"clock out again", 0, attendance.ActClockOut, apperr.Conflict},
			{"break when out", 0, attendance.ActBreakStart, apperr.Conflict},
		} {
			e.clock.Advance(tc.advance)
			rec, err = e.svc.Clock(ctx, e.alice, tc.act, attendance.ClockInput{})
			if tc.code != "" {
				wantCode(t, err, tc.code)
			} else if err != nil {
				t.Fatalf("%s: %v", tc.desc, err)
			}
		}
		rec, err = e.svc.Clock(ctx, e.bob, attendance.ActClockIn, attendance.ClockInput{})
		if err != nil || rec.ShiftID != nil {
			t.Fatalf("unscheduled clock-in: %v %+v", err, rec)
		}
		for _, tc := range []struct {
			desc            string
			shift, employee int64
			want            bool
		}{
			{"alice worked shift 7", 7, e.alice.UserID, true},
			{"manager never clocked in", 7, e.manager.UserID, false},
			{"bob is in now (unscheduled)", 8, e.bob.UserID, true},
			{"alice is out and had no shift 8", 8, e.alice.UserID, false},
		} {
			if got, err := e.svc.ClockedIn(ctx, tc.shift, tc.employee); err != nil || got != tc.want {
				t.Errorf("%s: %v %v", tc.desc, got, err)
			}
		}
		list, err := e.svc.List(ctx, e.manager, attendance.Filter{})
		if err != nil || len(list.Items) != 2 {
			t.Fatalf("list: %v %+v", err, list)
		}
		a := list.Items[0]
		// In 09:37, out 16:07; a 30-minute break: 6:00 worked; the shift ended 17:30.
		if a.WorkedMinutes != 360 || a.BreakMinutes != 30 || a.EarlyLeaveMinutes != 83 || a.LateMinutes != 7 || len(a.Breaks) != 1 {
			t.Errorf("alice: %+v", a)
		}
		if len(list.Totals) != 2 || list.Totals[0].Weeks[0].WorkedMinutes != 360 || list.Totals[0].Weeks[0].WeekStart != "2026-03-09" {
			t.Errorf("totals: %+v", list.Totals)
		}
		own, err := e.svc.List(ctx, e.bob, attendance.Filter{})
		if err != nil || len(own.Items) != 1 || own.Items[0].EmployeeID != e.bob.UserID {
			t.Errorf("bob sees: %v %+v", err, own.Items)
		}
		// Events for the floor.
		evs, _ := outbox.Reader{DB: d}.After(ctx, 0, []string{outbox.DeptTopic(e.dept)}, 100)
		var types []string
		for _, ev := range evs {
			if strings.HasPrefix(ev.Type, "attendance.") {
				types = append(types, ev.Type)
			}
		}
		want := []string{"attendance.clock_in", "attendance.break_start", "attendance.break_end", "attendance.clock_out", "attendance.clock_in"}
		if !slices.Equal(types, want) {
			t.Errorf("events %v, want %v", types, want)
		}
	})
}

func TestDoubleClockInFromManyDevices(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Conflict):
					conflicts++
				default:
					t.Errorf("clock in: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || conflicts != 7 {
			t.Errorf("%d clock-ins, %d conflicts", ok, conflicts)
		}
	})
}

func TestCorrections(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		rec, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{})
		if err != nil {
			t.Fatal(err)
		}
		mine, err := e.svc.Clock(ctx, e.manager, attendance.ActClockIn, attendance.ClockInput{})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Hour)
		out := rec.ClockInAt.Add(8 * time.Hour)
		for _, tc := range []struct {
			desc string
			p    auth.Principal
			id   int64
			in   attendance.Correction
			code apperr.Code
		}{
			{"no reason", e.manager, rec.ID, attendance.Correction{ClockOutAt: &out}, apperr.ValidationFailed},
			{"nothing to change", e.manager, rec.ID, attendance.Correction{Reason: "forgot"}, apperr.ValidationFailed},
			{"year 0000", e.manager, rec.ID, attendance.Correction{ClockInAt: ptr(time.Date(0, 1, 1, 9, 0, 0, 0, time.UTC)), Reason: "typo"}, apperr.ValidationFailed},
			{"over a year back", e.manager, rec.ID, attendance.Correction{ClockInAt: ptr(rec.ClockInAt.AddDate(-1, 0, -1)), Reason: "typo"}, apperr.ValidationFailed},
			{"in the future", e.manager, rec.ID, attendance.Correction{ClockInAt: ptr(rec.ClockInAt.Add(48 * time.Hour)), Reason: "typo"}, apperr.ValidationFailed},
			{"out before in", e.manager, rec.ID, attendance.Correction{ClockOutAt: ptr(rec.ClockInAt.Add(-time.Hour)), Reason: "forgot"}, apperr.ValidationFailed},
			{"employee corrects a colleague", e.bob, rec.ID, attendance.Correction{ClockOutAt: &out, Reason: "forgot"}, apperr.NotFound},
			{"employee corrects self", e.alice, rec.ID, attendance.Correction{ClockOutAt: &out, Reason: "forgot"}, apperr.Forbidden},
			{"manager corrects self", e.manager, mine.ID, attendance.Correction{ClockOutAt: &out, Reason: "forgot"}, apperr.Forbidden},
			{"stale", e.manager, rec.ID, attendance.Correction{ClockOutAt: &out, Reason: "forgot", Version: ptr(int64(9))}, apperr.StaleVersion},
			{"manager fixes a forgotten clock-out", e.manager, rec.ID, attendance.Correction{ClockOutAt: &out, Reason: "forgot to clock out",
				Breaks: &[]attendance.BreakInput{{rec.ClockInAt.Add(4 * time.Hour), rec.ClockInAt.Add(4*time.Hour + 30*time.Minute)}}}, ""},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				got, err := e.svc.Correct(ctx, tc.p, tc.id, tc.in, nil)
				if tc.code != "" {
					wantCode(t, err, tc.code)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.ClockOutAt == nil || got.WorkedMinutes != 450 || got.Note != "forgot to clock out" {
					t.Errorf("corrected: %+v", got)
				}
			})
		}
		// The record is closed: Alice can clock in again.
		if _, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{}); err != nil {
			t.Fatal(err)
		}
		var n int
		d.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'attendance.correct' AND detail LIKE '%forgot to clock out%'").Scan(&n)
		if n != 1 {
			t.Errorf("audit rows: %d", n)
		}
	})
}

func TestKioskPINs(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		for _, tc := range []struct {
			desc string
			pin  string
			ok   bool
		}{{"too short", "123", false}, {"letters", "12a4", false}, {"run", "4567", false}, {"same", "0000", false}, {"fine", "2580", true}} {
			err := e.svc.SetPIN(ctx, e.alice, e.alice.UserID, attendance.PINInput{PIN: tc.pin})
			if tc.ok != (err == nil) {
				t.Errorf("%s: %v", tc.desc, err)
			}
		}
		wantCode(t, e.svc.SetPIN(ctx, e.alice, e.bob.UserID, attendance.PINInput{PIN: "2580"}), apperr.NotFound)
		wantCode(t, e.svc.SetPIN(ctx, e.manager, e.bob.UserID, attendance.PINInput{PIN: "2580"}), apperr.Forbidden)
		if err := e.svc.SetPIN(ctx, e.admin, e.bob.UserID, attendance.PINInput{PIN: "1357", Badge: ptr("B-0042")}); err != nil {
			t.Fatal(err)
		}
		// The kiosk clocks Bob in by badge; Alice cannot use the kiosk route.
		rec, err := e.svc.Kiosk(ctx, e.kiosk, attendance.ActClockIn, attendance.KioskInput{Badge: "B-0042", PIN: "1357"})
		if err != nil || rec.EmployeeID != e.bob.UserID || rec.Source != attendance.SourceKiosk {
			t.Fatalf("kiosk: %v %+v", err, rec)
		}
		_, err = e.svc.Kiosk(ctx, e.alice, attendance.ActClockIn, attendance.KioskInput{EmployeeID: e.alice.UserID, PIN: "2580"})
		wantCode(t, err, apperr.Forbidden)
		_, err = e.svc.Clock(ctx, e.kiosk, attendance.ActClockIn, attendance.ClockInput{})
		wantCode(t, err, apperr.Forbidden)
		// Guessing Alice's PIN: five wrong tries, then 429 even for the right PIN.
		for i := range attendance.PINLimitPerPerson {
			_, err := e.svc.Kiosk(ctx, e.kiosk, attendance.ActClockIn, attendance.KioskInput{EmployeeID: e.alice.UserID, PIN: "11" + string(rune('0'+i)) + "9"})
			wantCode(t, err, apperr.ValidationFailed)
		}
		_, err = e.svc.Kiosk(ctx, e.kiosk, attendance.ActClockIn, attendance.KioskInput{EmployeeID: e.alice.UserID, PIN: "2580"})
		if ae := wantCode(t, err, apperr.RateLimited); ae.RetryAfter <= 0 || ae.RetryAfter > attendance.PINWindow {
			t.Errorf("retry after %v", ae.RetryAfter)
		}
		// Another kiosk may still clock Bob out; this kiosk is at 5 of its 10.
		other := e.kiosk
		other.SessionID++
		if _, err := e.svc.Kiosk(ctx, other, attendance.ActClockOut, attendance.KioskInput{EmployeeID: e.bob.UserID, PIN: "1357"}); err != nil {
			t.Fatal(err)
		}
		// Spraying guesses over unknown people exhausts the device.
		for i := range attendance.PINLimitPerDevice - attendance.PINLimitPerPerson {
			_, err := e.svc.Kiosk(ctx, e.kiosk, attendance.ActClockIn, attendance.KioskInput{EmployeeID: 9000 + int64(i), PIN: "2468"})
			wantCode(t, err, apperr.ValidationFailed)
		}
		_, err = e.svc.Kiosk(ctx, e.kiosk, attendance.ActClockIn, attendance.KioskInput{Badge: "B-0042", PIN: "1357"})
		wantCode(t, err, apperr.RateLimited)
		// The window passes.
		e.clock.Advance(attendance.PINWindow)
		if _, err := e.svc.Kiosk(ctx, e.kiosk, attendance.ActClockIn, attendance.KioskInput{EmployeeID: e.alice.UserID, PIN: "2580"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLiveFloor(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		now := e.clock.Now() // 09:00 ADT
		e.shifts.list = []attendance.PlannedShift{
			{ID: 1, DepartmentID: e.dept, EmployeeID: e.alice.UserID, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(7 * time.Hour)},
			{ID: 2, DepartmentID: e.dept, EmployeeID: e.bob.UserID, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(7 * time.Hour)},
			{ID: 3, DepartmentID: e.dept, EmployeeID: e.manager.UserID, StartsAt: now.Add(3 * time.Hour), EndsAt: now.Add(9 * time.Hour)},
		}
		if _, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Minute)
		live, err := e.svc.Live(ctx, e.manager, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(live.Departments) != 1 {
			t.Fatalf("live: %+v", live)
		}
		dl := live.Departments[0]
		if len(dl.OnFloor) != 1 || dl.OnFloor[0].EmployeeID != e.alice.UserID || dl.OnFloor[0].LateMinutes != 60 {
			t.Errorf("on floor: %+v", dl.OnFloor)
		}
		if len(dl.Late) != 1 || dl.Late[0].EmployeeID != e.bob.UserID || dl.Late[0].LateMinutes != 70 || dl.Late[0].EmployeeName != "Bob Test" {
			t.Errorf("late: %+v", dl.Late)
		}
		if len(dl.NotArrived) != 1 || dl.NotArrived[0].EmployeeID != e.manager.UserID {
			t.Errorf("not arrived: %+v", dl.NotArrived)
		}
		// 2026-03-09 is an ordinary 24-hour day; 09:00 ADT is hour 9.
		if len(dl.Coverage) != 24 || dl.Coverage[9].Scheduled != 2 || dl.Coverage[9].Present == nil || *dl.Coverage[9].Present != 1 ||
			dl.Coverage[12].Scheduled != 3 || dl.Coverage[12].Present != nil {
			t.Errorf("coverage: %+v", dl.Coverage[8:13])
		}
		_, err = e.svc.Live(ctx, e.alice, 0)
		wantCode(t, err, apperr.Forbidden)
	})
}

func ptr[T any](v T) *T { return &v }

// TestNightShiftsAcrossDST clocks real records over the two DST nights of
// 2026 in Halifax: the spring-forward night is an hour shorter, the
// fall-back night an hour longer, and lateness is measured in real minutes.
func TestNightShiftsAcrossDST(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		for _, tc := range []struct {
			desc              string
			start, end        time.Time // the shift, 22:00 to 06:00 local
			arrive            time.Duration
			worked, late, brk int
		}{
			{"spring forward", time.Date(2026, 3, 8, 2, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC), 10 * time.Minute, 7*60 - 10 - 30, 10, 30},
			{"fall back", time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), 3 * time.Minute, 9*60 - 3 - 30, 0, 30},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				e.shifts.list = []attendance.PlannedShift{{ID: 50, DepartmentID: e.dept, EmployeeID: e.alice.UserID, StartsAt: tc.start, EndsAt: tc.end}}
				e.clock.Set(tc.start.Add(tc.arrive))
				in, err := e.svc.Clock(ctx, e.alice, attendance.ActClockIn, attendance.ClockInput{})
				if err != nil {
					t.Fatal(err)
				}
				// A 30-minute break that straddles 02:00 local.
				e.clock.Set(tc.start.Add(3*time.Hour + 45*time.Minute))
				if _, err := e.svc.Clock(ctx, e.alice, attendance.ActBreakStart, attendance.ClockInput{}); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(30 * time.Minute)
				if _, err := e.svc.Clock(ctx, e.alice, attendance.ActBreakEnd, attendance.ClockInput{}); err != nil {
					t.Fatal(err)
				}
				e.clock.Set(tc.end)
				if _, err := e.svc.Clock(ctx, e.alice, attendance.ActClockOut, attendance.ClockInput{}); err != nil {
					t.Fatal(err)
				}
				list, err := e.svc.List(ctx, e.admin, attendance.Filter{From: tc.start.Add(-time.Hour), To: tc.end, EmployeeID: e.alice.UserID})
				if err != nil || len(list.Items) != 1 || list.Items[0].ID != in.ID {
					t.Fatalf("list: %v %+v", err, list.Items)
				}
				r := list.Items[0]
				if r.WorkedMinutes != tc.worked || r.LateMinutes != tc.late || r.BreakMinutes != tc.brk || r.EarlyLeaveMinutes != 0 {
					t.Errorf("worked %d late %d break %d early %d; want %d %d %d 0", r.WorkedMinutes, r.LateMinutes, r.BreakMinutes,
						r.EarlyLeaveMinutes, tc.worked, tc.late, tc.brk)
				}
			})
		}
	})
}

// TestKioskSavedPunches: a kiosk that lost its connection sends the saved
// punches later with the time they were made; they are recorded at that
// time, in order, and refused when older than the replay window, in the
// future, or earlier than the person's last punch.
func TestKioskSavedPunches(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if err := e.svc.SetPIN(ctx, e.alice, e.alice.UserID, attendance.PINInput{PIN: "2580"}); err != nil {
			t.Fatal(err)
		}
		made := e.clock.Now()
		e.clock.Advance(10 * time.Minute) // the connection is back
		punch := func(a attendance.Action, at time.Time) (attendance.Record, error) {
			return e.svc.Kiosk(ctx, e.kiosk, a, attendance.KioskInput{EmployeeID: e.alice.UserID, PIN: "2580", OccurredAt: &at})
		}
		in, err := punch(attendance.ActClockIn, made)
		if err != nil || !in.ClockInAt.Equal(made) {
			t.Fatalf("saved clock-in: %v, recorded at %v, want %v", err, in.ClockInAt, made)
		}
		br, err := punch(attendance.ActBreakStart, made.Add(2*time.Minute))
		if err != nil || len(br.Breaks) != 1 || !br.Breaks[0].StartsAt.Equal(made.Add(2*time.Minute)) {
			t.Fatalf("saved break: %v %+v", err, br.Breaks)
		}
		// Earlier than the break it would end: refused, nothing changes.
		_, err = punch(attendance.ActBreakEnd, made.Add(time.Minute))
		wantCode(t, err, apperr.Conflict)
		if _, err := punch(attendance.ActBreakEnd, made.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, err = punch(attendance.ActClockOut, e.clock.Now().Add(5*time.Minute))
		wantCode(t, err, apperr.ValidationFailed)
		_, err = punch(attendance.ActClockOut, e.clock.Now().Add(-attendance.KioskReplayWindow-time.Minute))
		wantCode(t, err, apperr.ValidationFailed)
		out, err := punch(attendance.ActClockOut, made.Add(8*time.Minute))
		if err != nil || out.ClockOutAt == nil || !out.ClockOutAt.Equal(made.Add(8*time.Minute)) {
			t.Fatalf("saved clock-out: %v %+v", err, out.ClockOutAt)
		}
		// A saved clock-in from before that clock-out cannot be replayed.
		_, err = punch(attendance.ActClockIn, made.Add(7*time.Minute))
		wantCode(t, err, apperr.Conflict)
	})
}
