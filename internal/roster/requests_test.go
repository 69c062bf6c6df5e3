package roster

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func TestTimeOff(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0 := f.emps[0].UserID
		pub := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-24 09:00", "2026-12-24 17:00"))
		if _, err := f.svc.PublishWeek(ctx, f.mgrA, PublishInput{DepartmentID: f.deptA, WeekStart: "2026-12-24"}); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.RequestTimeOff(ctx, f.emps[0], TimeOffInput{StartsOn: "2026-12-26", EndsOn: "2026-12-24"})
		wantCode(t, err, apperr.ValidationFailed)
		_, err = f.svc.RequestTimeOff(ctx, f.emps[0], TimeOffInput{EmployeeID: &f.empB.UserID, StartsOn: "2026-12-24", EndsOn: "2026-12-24"})
		wantCode(t, err, apperr.NotFound)
		req, err := f.svc.RequestTimeOff(ctx, f.emps[0], TimeOffInput{StartsOn: "2026-12-24", EndsOn: "2026-12-26", Reason: "family"})
		if err != nil || req.Status != TimeOffPending {
			t.Fatalf("request = %+v, %v", req, err)
		}
		_, err = f.svc.DecideTimeOff(ctx, f.emps[0], req.ID, true)
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.DecideTimeOff(ctx, f.mgrB, req.ID, true)
		wantCode(t, err, apperr.NotFound)
		out, err := f.svc.DecideTimeOff(ctx, f.mgrA, req.ID, true)
		if err != nil || out.Status != TimeOffApproved || len(out.CollidingShifts) != 1 || out.CollidingShifts[0].ID != pub.ID {
			t.Fatalf("approve = %+v, %v", out, err)
		}
		_, err = f.svc.DecideTimeOff(ctx, f.mgrA, req.ID, false)
		wantCode(t, err, apperr.Conflict)
		// Approved time off now blocks new shifts on those days (local midnight to midnight).
		_, err = f.svc.CreateShift(ctx, f.mgrA, shiftIn(f.deptA, &e0, "2026-12-26 20:00", "2026-12-26 23:00"))
		if e := wantCode(t, err, apperr.Conflict); e.Conflicts[0].Kind != KindTimeOff || e.Conflicts[0].ID != req.ID {
			t.Errorf("conflicts = %+v", e.Conflicts)
		}
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-27 00:00", "2026-12-27 04:00"))
		page, err := f.svc.ListTimeOff(ctx, f.emps[1], TimeOffFilter{}, peopleListParams())
		if err != nil || len(page.Items) != 0 {
			t.Errorf("a colleague sees %d requests", len(page.Items))
		}
		page, err = f.svc.ListTimeOff(ctx, f.mgrA, TimeOffFilter{Status: TimeOffApproved}, peopleListParams())
		if err != nil || len(page.Items) != 1 {
			t.Errorf("the manager sees %d approved requests (%v)", len(page.Items), err)
		}
	})
}

func TestAvailabilityWarns(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0 := f.emps[0].UserID
		_, err := f.svc.SetAvailability(ctx, f.emps[0], e0, []AvailabilityWindow{{Weekday: 3, Start: "17:00", End: "09:00"}})
		wantCode(t, err, apperr.ValidationFailed)
		_, err = f.svc.SetAvailability(ctx, f.emps[1], e0, []AvailabilityWindow{{Weekday: 3, Start: "08:00", End: "18:00"}})
		wantCode(t, err, apperr.NotFound)
		a, err := f.svc.SetAvailability(ctx, f.emps[0], e0, []AvailabilityWindow{{Weekday: 3, Start: "08:00", End: "18:00"}})
		if err != nil || len(a.Windows) != 1 {
			t.Fatalf("set = %+v, %v", a, err)
		}
		if got, _ := f.svc.GetAvailability(ctx, f.mgrA, e0); len(got.Windows) != 1 || got.Windows[0].End != "18:00" {
			t.Errorf("get = %+v", got)
		}
		ok := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 09:00", "2026-12-02 17:00"))
		bad := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-03 09:00", "2026-12-03 17:00"))
		if len(ok.Warnings) != 0 || len(bad.Warnings) != 1 || bad.Warnings[0].Kind != WarnAvailability {
			t.Errorf("warnings: wednesday %+v, thursday %+v", ok.Warnings, bad.Warnings)
		}
	})
}

func TestOpenShiftClaims(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		open := f.mustCreate(f.mgrA, ShiftInput{DepartmentID: &f.deptA, StartsAt: ptr(local("2026-12-02 09:00")), EndsAt: ptr(local("2026-12-02 17:00")), Status: ptr(StatusPublished)})
		_, err := f.svc.ClaimShift(ctx, f.empB, open.ID)
		wantCode(t, err, apperr.NotFound)
		// The store requires approval by default.
		c1, err := f.svc.ClaimShift(ctx, f.emps[0], open.ID)
		if err != nil || c1.Status != ClaimPending {
			t.Fatalf("claim = %+v, %v", c1, err)
		}
		_, err = f.svc.ClaimShift(ctx, f.emps[0], open.ID)
		wantCode(t, err, apperr.Conflict)
		c2, _ := f.svc.ClaimShift(ctx, f.emps[1], open.ID)
		// e0 became busy meanwhile: approval re-checks and refuses.
		e0 := f.emps[0].UserID
		busy := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 12:00", "2026-12-02 14:00"))
		_, err = f.svc.DecideClaim(ctx, f.mgrA, open.ID, c1.ID, true)
		wantCode(t, err, apperr.Conflict)
		_, err = f.svc.DecideClaim(ctx, f.emps[2], open.ID, c1.ID, true)
		wantCode(t, err, apperr.Forbidden)
		if err := f.svc.DeleteShift(ctx, f.mgrA, busy.ID, nil); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.DecideClaim(ctx, f.mgrA, open.ID, c2.ID, true)
		if err != nil || got.Status != ClaimApproved || got.Shift == nil || *got.Shift.EmployeeID != f.emps[1].UserID {
			t.Fatalf("approve = %+v, %v", got, err)
		}
		claims, _ := f.svc.ListClaims(ctx, f.mgrA, open.ID)
		if len(claims) != 2 || claims[0].Status != ClaimDenied {
			t.Errorf("claims after approval = %+v", claims)
		}

		t.Run("instant when the store says so", func(t *testing.T) {
			instant := false
			if _, err := f.svc.People.UpdateStore(ctx, auth.System, people.StorePatch{ClaimsNeedApproval: &instant}, nil); err != nil {
				t.Fatal(err)
			}
			open2 := f.mustCreate(f.mgrA, ShiftInput{DepartmentID: &f.deptA, StartsAt: ptr(local("2026-12-05 09:00")), EndsAt: ptr(local("2026-12-05 17:00")), Status: ptr(StatusPublished)})
			c, err := f.svc.ClaimShift(ctx, f.emps[3], open2.ID)
			if err != nil || c.Status != ClaimApproved || *c.Shift.EmployeeID != f.emps[3].UserID {
				t.Fatalf("instant claim = %+v, %v", c, err)
			}
			_, err = f.svc.ClaimShift(ctx, f.emps[4], open2.ID)
			wantCode(t, err, apperr.Conflict)
		})
	})
}

func TestSwapFlow(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a, b := f.emps[0], f.emps[1]
		sh := f.mustCreate(f.mgrA, ShiftInput{DepartmentID: &f.deptA, EmployeeID: NullableID{Set: true, Value: &a.UserID},
			StartsAt: ptr(local("2026-12-02 09:00")), EndsAt: ptr(local("2026-12-02 17:00")), Status: ptr(StatusPublished)})
		_, err := f.svc.RequestSwap(ctx, b, sh.ID, SwapInput{ToEmployeeID: a.UserID})
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.RequestSwap(ctx, a, sh.ID, SwapInput{ToEmployeeID: f.empB.UserID})
		wantCode(t, err, apperr.ValidationFailed)
		w, err := f.svc.RequestSwap(ctx, a, sh.ID, SwapInput{ToEmployeeID: b.UserID})
		if err != nil || w.Status != SwapPending {
			t.Fatalf("request = %+v, %v", w, err)
		}
		_, err = f.svc.DecideSwap(ctx, f.mgrA, w.ID, SwapApprove)
		wantCode(t, err, apperr.Conflict) // not accepted yet
		_, err = f.svc.DecideSwap(ctx, a, w.ID, SwapAccept)
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.DecideSwap(ctx, f.emps[2], w.ID, SwapAccept)
		wantCode(t, err, apperr.NotFound)
		if w, err = f.svc.DecideSwap(ctx, b, w.ID, SwapAccept); err != nil || w.Status != SwapAccepted {
			t.Fatalf("accept = %+v, %v", w, err)
		}
		// b got busy in between: approval re-checks.
		busy := f.mustCreate(f.mgrA, shiftIn(f.deptA, &b.UserID, "2026-12-02 16:00", "2026-12-02 18:00"))
		_, err = f.svc.DecideSwap(ctx, f.mgrA, w.ID, SwapApprove)
		wantCode(t, err, apperr.Conflict)
		f.svc.DeleteShift(ctx, f.mgrA, busy.ID, nil)
		seq := f.lastSeq()
		w, err = f.svc.DecideSwap(ctx, f.mgrA, w.ID, SwapApprove)
		if err != nil || w.Status != SwapApproved || *w.Shift.EmployeeID != b.UserID {
			t.Fatalf("approve = %+v, %v", w, err)
		}
		var types []string
		for _, e := range f.events(seq) {
			types = append(types, e.Topic+" "+e.Type)
		}
		joined := strings.Join(types, ",")
		for _, want := range []string{"user:" + itoa(a.UserID) + " shift.cancelled", "user:" + itoa(b.UserID) + " shift.assigned", "user:" + itoa(b.UserID) + " swap.decided"} {
			if !strings.Contains(joined, want) {
				t.Errorf("events %v lack %q", types, want)
			}
		}
		// The person who gave the shift away hears whom it went to.
		for _, e := range f.events(seq) {
			if e.Topic == "user:"+itoa(a.UserID) && e.Type == EventShiftCancelled {
				if e.Data["reason"] != ReasonSwapped || e.Data["swapped_to"] != w.ToName || w.ToName == "" {
					t.Errorf("swapped-away event %v, want swapped_to %q", e.Data, w.ToName)
				}
			}
		}
		_, err = f.svc.DecideSwap(ctx, f.mgrA, w.ID, SwapDeny)
		wantCode(t, err, apperr.Conflict)
		page, _ := f.svc.ListSwaps(ctx, b, "", peopleListParams())
		if len(page.Items) != 1 {
			t.Errorf("b sees %d swaps", len(page.Items))
		}
	})
}

func TestCandidatesRanked(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e := func(i int) *int64 { return &f.emps[i].UserID }
		target := f.mustCreate(f.mgrA, shiftIn(f.deptA, nil, "2026-12-03 09:00", "2026-12-03 17:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, e(0), "2026-12-03 10:00", "2026-12-03 12:00"))                                    // busy: excluded
		f.mustCreate(f.mgrA, shiftIn(f.deptA, e(1), "2026-12-01 09:00", "2026-12-01 17:00"))                                    // 8 h
		f.mustCreate(f.mgrA, shiftIn(f.deptA, e(2), "2026-12-01 09:00", "2026-12-01 13:00"))                                    // 4 h
		f.svc.SetAvailability(ctx, f.admin, f.emps[3].UserID, []AvailabilityWindow{{Weekday: 1, Start: "00:00", End: "24:00"}}) // not Thursdays
		got, err := f.svc.Candidates(ctx, f.mgrA, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range got.Full {
			ids = append(ids, c.EmployeeID)
		}
		// e4 and the manager have 0 h, then e2 (4 h), then e1 (8 h).
		want := []int64{f.mgrA.UserID, f.emps[4].UserID, f.emps[2].UserID, f.emps[1].UserID}
		if len(ids) != len(want) {
			t.Fatalf("candidates %v, want %v", ids, want)
		}
		for i := range want {
			if ids[i] != want[i] {
				t.Fatalf("candidates %v, want %v", ids, want)
			}
		}
		_, err = f.svc.Candidates(ctx, f.emps[1], target.ID)
		wantCode(t, err, apperr.NotFound)
	})
}

// The employee working a published shift sees whom they could swap it with,
// names only; nobody else who is no manager does.
func TestCandidatesForAssignee(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e := func(i int) *int64 { return &f.emps[i].UserID }
		in := shiftIn(f.deptA, e(0), "2026-12-03 09:00", "2026-12-03 17:00")
		in.Status = ptr(StatusPublished)
		mine := f.mustCreate(f.mgrA, in)
		f.mustCreate(f.mgrA, shiftIn(f.deptA, e(1), "2026-12-03 10:00", "2026-12-03 12:00")) // busy: excluded
		draft := f.mustCreate(f.mgrA, shiftIn(f.deptA, e(0), "2026-12-05 09:00", "2026-12-05 17:00"))

		got, err := f.svc.Candidates(ctx, f.emps[0], mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		full, err := f.svc.Candidates(ctx, f.mgrA, mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Full != nil || len(got.Names) != len(full.Full) || len(full.Names) != 0 {
			t.Fatalf("assignee view %+v, manager view %+v", got, full)
		}
		for i, c := range got.Names {
			if c != full.Full[i].Colleague {
				t.Fatalf("assignee view %+v, manager view %+v", got.Names, full.Full)
			}
			if c.EmployeeID == f.emps[0].UserID || c.EmployeeID == f.emps[1].UserID {
				t.Fatalf("%d is listed: %+v", c.EmployeeID, got.Names)
			}
		}
		_, err = f.svc.Candidates(ctx, f.emps[2], mine.ID) // a colleague: sees the shift, may not ask
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.Candidates(ctx, f.empB, mine.ID)
		wantCode(t, err, apperr.NotFound)
		_, err = f.svc.Candidates(ctx, f.emps[0], draft.ID)
		wantCode(t, err, apperr.NotFound)
	})
}

func TestICalFeed(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0 := f.emps[0].UserID
		f.mustCreate(f.mgrA, ShiftInput{DepartmentID: &f.deptA, EmployeeID: NullableID{Set: true, Value: &e0}, Position: ptr("Ovens; early, long"),
			Notes: ptr("Bring keys\nand the float"), StartsAt: ptr(local("2026-11-01 00:30")), EndsAt: ptr(local("2026-11-01 06:30")), Status: ptr(StatusPublished)})
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 09:00", "2026-12-02 17:00")) // draft: not in the feed
		tok, err := f.svc.NewICalToken(ctx, f.emps[0])
		if err != nil {
			t.Fatal(err)
		}
		body, err := f.svc.ICalFeed(ctx, tok, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		cal, err := ics.ParseCalendar(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("parse: %v\n%s", err, body)
		}
		evs := cal.Events()
		if len(evs) != 1 {
			t.Fatalf("%d events, want 1", len(evs))
		}
		start, err1 := evs[0].GetStartAt()
		end, err2 := evs[0].GetEndAt()
		if err1 != nil || err2 != nil || end.Sub(start) != 7*time.Hour || !start.Equal(mustParse(local("2026-11-01 00:30"))) {
			t.Errorf("event %s - %s (%v %v); the fall-back night lasts 7 h", start, end, err1, err2)
		}
		if s := evs[0].GetProperty(ics.ComponentPropertySummary).Value; !strings.Contains(s, "Ovens") {
			t.Errorf("summary %q", s)
		}
		// A new token replaces the old; revoking ends it.
		tok2, _ := f.svc.NewICalToken(ctx, f.emps[0])
		_, err = f.svc.ICalFeed(ctx, tok, f.clock.Now())
		wantCode(t, err, apperr.NotFound)
		if err := f.svc.RevokeICalToken(ctx, f.emps[0]); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ICalFeed(ctx, tok2, f.clock.Now())
		wantCode(t, err, apperr.NotFound)
	})
}

func mustParse(s string) time.Time { return at(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestZoneChangeMovesTimeOff: time off is for calendar days, so when the
// store moves to another zone its requests cover the same days there, and
// the conflict rules judge shifts against the new span.
func TestZoneChangeMovesTimeOff(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.svc.People.Rezone = f.svc.RezoneTimeOff
		e0 := f.emps[0].UserID
		req, err := f.svc.RequestTimeOff(ctx, f.emps[0], TimeOffInput{StartsOn: "2027-03-10", EndsOn: "2027-03-11"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DecideTimeOff(ctx, f.mgrA, req.ID, true); err != nil {
			t.Fatal(err)
		}
		span := func() (time.Time, time.Time) {
			var from, to time.Time
			if err := d.QueryRowContext(ctx, "SELECT starts_at, ends_at FROM time_off WHERE id = ?", req.ID).Scan(&from, &to); err != nil {
				t.Fatal(err)
			}
			return from.UTC(), to.UTC()
		}
		if from, to := span(); !from.Equal(at("2027-03-10T04:00:00Z")) || !to.Equal(at("2027-03-12T04:00:00Z")) {
			t.Fatalf("Halifax span %s..%s", from, to)
		}
		if _, err := f.svc.People.UpdateStore(ctx, f.admin, people.StorePatch{Timezone: ptr("Europe/Paris")}, nil); err != nil {
			t.Fatal(err)
		}
		if from, to := span(); !from.Equal(at("2027-03-09T23:00:00Z")) || !to.Equal(at("2027-03-11T23:00:00Z")) {
			t.Fatalf("Paris span %s..%s, want the same days from Paris midnight", from, to)
		}
		// Early on the 10th in Paris is inside the days off now...
		_, err = f.svc.CreateShift(ctx, f.mgrA, ShiftInput{DepartmentID: &f.deptA, EmployeeID: NullableID{Set: true, Value: &e0},
			StartsAt: ptr("2027-03-10T02:00:00+01:00"), EndsAt: ptr("2027-03-10T05:00:00+01:00")})
		if e := wantCode(t, err, apperr.Conflict); e.Conflicts[0].Kind != KindTimeOff {
			t.Errorf("conflicts = %+v", e.Conflicts)
		}
		// ...and early on the 12th, which Halifax's span still covered, is not.
		f.mustCreate(f.mgrA, ShiftInput{DepartmentID: &f.deptA, EmployeeID: NullableID{Set: true, Value: &e0},
			StartsAt: ptr("2027-03-12T02:00:00+01:00"), EndsAt: ptr("2027-03-12T05:00:00+01:00")})
		// A request made after the move is in the new zone too.
		later, err := f.svc.RequestTimeOff(ctx, f.emps[1], TimeOffInput{StartsOn: "2027-04-01", EndsOn: "2027-04-01"})
		if err != nil {
			t.Fatal(err)
		}
		var from time.Time
		d.QueryRowContext(ctx, "SELECT starts_at FROM time_off WHERE id = ?", later.ID).Scan(&from)
		if !from.UTC().Equal(at("2027-03-31T22:00:00Z")) {
			t.Fatalf("new request starts %s, want Paris midnight", from.UTC())
		}
	})
}

// TestSwapInvolvingTheManager: a manager who is part of a swap may not
// approve it (403 saying why); an admin may. Every answer names the shift
// by its time and department.
func TestSwapInvolvingTheManager(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		to := f.emps[0]
		sh := f.mustCreate(f.mgrA, ShiftInput{DepartmentID: &f.deptA, EmployeeID: NullableID{Set: true, Value: &f.mgrA.UserID},
			StartsAt: ptr(local("2026-12-02 09:00")), EndsAt: ptr(local("2026-12-02 17:00")), Status: ptr(StatusPublished)})
		w, err := f.svc.RequestSwap(ctx, f.mgrA, sh.ID, SwapInput{ToEmployeeID: to.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if !w.ShiftStartsAt.Equal(sh.StartsAt) || !w.ShiftEndsAt.Equal(sh.EndsAt) || w.DepartmentID != f.deptA || w.DepartmentName != "A" {
			t.Errorf("swap describes its shift as %s–%s in %d %q; want %s–%s in A", w.ShiftStartsAt, w.ShiftEndsAt, w.DepartmentID, w.DepartmentName, sh.StartsAt, sh.EndsAt)
		}
		if _, err := f.svc.DecideSwap(ctx, to, w.ID, SwapAccept); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.DecideSwap(ctx, f.mgrA, w.ID, SwapApprove)
		if e := wantCode(t, err, apperr.Forbidden); !strings.Contains(e.Message, "another manager") {
			t.Errorf("message %q does not say who may approve", e.Message)
		}
		got, err := f.svc.DecideSwap(ctx, f.admin, w.ID, SwapApprove)
		if err != nil || got.Status != SwapApproved || got.DepartmentName != "A" || !got.ShiftStartsAt.Equal(sh.StartsAt) {
			t.Fatalf("admin approves = %+v, %v", got, err)
		}
		page, err := f.svc.ListSwaps(ctx, to, "", peopleListParams())
		if err != nil || len(page.Items) != 1 || page.Items[0].DepartmentName != "A" || !page.Items[0].ShiftEndsAt.Equal(sh.EndsAt) {
			t.Errorf("list = %+v, %v", page.Items, err)
		}
	})
}
