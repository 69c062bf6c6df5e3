package roster

import (
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func TestPublishWeek(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0, e1 := f.emps[0].UserID, f.emps[1].UserID
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-01 09:00", "2026-12-01 17:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-03 09:00", "2026-12-03 17:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e1, "2026-12-06 22:00", "2026-12-07 06:00")) // Sunday night: still this week
		f.mustCreate(f.mgrA, shiftIn(f.deptA, nil, "2026-12-02 09:00", "2026-12-02 17:00"))
		next := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e1, "2026-12-08 09:00", "2026-12-08 17:00")) // next week

		_, err := f.svc.PublishWeek(ctx, f.emps[0], PublishInput{DepartmentID: f.deptA, WeekStart: "2026-11-30"})
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.PublishWeek(ctx, f.mgrA, PublishInput{DepartmentID: f.deptA, WeekStart: "30/11/2026"})
		wantCode(t, err, apperr.ValidationFailed)
		_, err = f.svc.PublishWeek(ctx, f.mgrB, PublishInput{DepartmentID: f.deptA, WeekStart: "2026-11-30"})
		wantCode(t, err, apperr.NotFound)

		seq := f.lastSeq()
		// Any day of the week names the week.
		out, err := f.svc.PublishWeek(ctx, f.mgrA, PublishInput{DepartmentID: f.deptA, WeekStart: "2026-12-02"})
		if err != nil {
			t.Fatal(err)
		}
		if out.WeekStart != "2026-11-30" || out.ShiftCount != 4 || len(out.EmployeeIDs) != 2 {
			t.Fatalf("published = %+v", out)
		}
		evs := f.events(seq)
		perUser := map[string]int{}
		var published int
		for _, e := range evs {
			switch e.Type {
			case EventShiftAssigned:
				perUser[e.Topic]++
				if e.Data["reason"] != ReasonPublished || e.Data["week_start"] != "2026-11-30" {
					t.Errorf("assigned payload %v", e.Data)
				}
			case EventSchedulePublished:
				published++
				if e.Topic != outbox.DeptTopic(f.deptA) || e.Data["shift_count"] != float64(4) {
					t.Errorf("schedule.published %+v", e)
				}
			default:
				t.Errorf("unexpected event %s on %s", e.Type, e.Topic)
			}
		}
		if perUser[outbox.UserTopic(e0)] != 1 || perUser[outbox.UserTopic(e1)] != 1 || published != 1 {
			t.Errorf("events per user %v, schedule.published %d", perUser, published)
		}
		if n := len(evs[0].Data["shifts"].([]any)); n != 2 {
			t.Errorf("first employee's event has %d shifts, want 2", n)
		}
		page, err := f.svc.ListShifts(ctx, f.emps[2], ShiftFilter{}, peopleListParams())
		if err != nil || len(page.Items) != 4 {
			t.Fatalf("employee sees %d published shifts (%v)", len(page.Items), err)
		}
		if sh, _ := f.svc.GetShift(ctx, f.mgrA, next.ID); sh.Status != StatusDraft {
			t.Errorf("next week's shift was published")
		}

		t.Run("changing and cancelling a published shift tells the employee", func(t *testing.T) {
			sh := page.Items[0]
			seq := f.lastSeq()
			if _, err := f.svc.UpdateShift(ctx, f.mgrA, sh.ID, ShiftInput{EndsAt: ptr(local("2026-12-01 16:00"))}, nil); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.DeleteShift(ctx, f.mgrA, sh.ID, nil); err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, e := range f.events(seq) {
				if e.Topic == outbox.UserTopic(e0) {
					types = append(types, e.Type)
				}
			}
			if len(types) != 2 || types[0] != EventShiftChanged || types[1] != EventShiftCancelled {
				t.Errorf("employee heard %v", types)
			}
		})
	})
}

func TestCopyWeekAcrossSpringForward(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0, e1 := f.emps[0].UserID, f.emps[1].UserID
		src := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-03-02 09:00", "2026-03-02 17:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e1, "2026-03-03 09:00", "2026-03-03 17:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, nil, "2026-03-07 22:00", "2026-03-08 06:00")) // 7 h across the change
		// e1 is already busy in the target week: that copy is skipped.
		busy := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e1, "2026-03-10 12:00", "2026-03-10 14:00"))

		out, err := f.svc.CopyWeek(ctx, f.mgrA, CopyInput{DepartmentID: f.deptA, FromWeek: "2026-03-02", ToWeek: "2026-03-09"})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Created) != 2 || len(out.Skipped) != 1 || out.Skipped[0].Conflicts[0].ShiftID != busy.ID {
			t.Fatalf("copied = %+v", out)
		}
		loc, _ := time.LoadLocation("America/Halifax")
		// The skipped entry names the shift it would have been: person, target-week times, position.
		if sk := out.Skipped[0]; sk.Reason != "conflict" || sk.EmployeeID == nil || *sk.EmployeeID != e1 ||
			sk.StartsAt.In(loc).Format("2006-01-02 15:04") != "2026-03-10 09:00" || sk.EndsAt.Sub(sk.StartsAt) != 8*time.Hour {
			t.Errorf("skipped = %+v", sk)
		}
		got := out.Created[0]
		if got.StartsAt.In(loc).Format("2006-01-02 15:04 MST") != "2026-03-09 09:00 ADT" || got.EndsAt.Sub(got.StartsAt) != 8*time.Hour ||
			got.Status != StatusDraft || *got.EmployeeID != e0 || got.ID == src.ID {
			t.Errorf("copied shift = %+v (%s)", got, got.StartsAt.In(loc))
		}
		night := out.Created[1]
		if night.StartsAt.In(loc).Format("2006-01-02 15:04") != "2026-03-14 22:00" || night.EndsAt.Sub(night.StartsAt) != 8*time.Hour {
			t.Errorf("night copy %s - %s", night.StartsAt.In(loc), night.EndsAt.In(loc))
		}
		_, err = f.svc.CopyWeek(ctx, f.mgrA, CopyInput{DepartmentID: f.deptA, FromWeek: "2026-03-02", ToWeek: "2026-03-04"})
		wantCode(t, err, apperr.ValidationFailed)
	})
}

func TestPublishAutumnWeekBoundaries(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0 := f.emps[0].UserID
		// Sunday 2026-11-01 23:30 AST is 03:30Z Monday: still the week of 2026-10-26.
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-11-01 23:30", "2026-11-02 02:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-10-26 00:00", "2026-10-26 04:00"))
		// Monday 2026-11-02 00:00 AST belongs to the next week.
		f.mustCreate(f.mgrA, shiftIn(f.deptA, nil, "2026-11-02 00:00", "2026-11-02 08:00"))
		out, err := f.svc.PublishWeek(ctx, f.mgrA, PublishInput{DepartmentID: f.deptA, WeekStart: "2026-10-26"})
		if err != nil || out.ShiftCount != 2 {
			t.Fatalf("published %+v, %v", out, err)
		}
	})
}

// Publishing more of a week that already has published shifts announces the
// newly published ones as new shifts (shift.assigned), never as changed.
func TestPublishMoreOfAWeekAnnouncesNewShifts(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0 := f.emps[0].UserID
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-01 09:00", "2026-12-01 17:00"))
		if _, err := f.svc.PublishWeek(ctx, f.mgrA, PublishInput{DepartmentID: f.deptA, WeekStart: "2026-11-30"}); err != nil {
			t.Fatal(err)
		}
		added := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-03 09:00", "2026-12-03 17:00"))
		seq := f.lastSeq()
		if _, err := f.svc.PublishWeek(ctx, f.mgrA, PublishInput{DepartmentID: f.deptA, WeekStart: "2026-11-30"}); err != nil {
			t.Fatal(err)
		}
		var heard []storedEvent
		for _, e := range f.events(seq) {
			if e.Topic == outbox.UserTopic(e0) {
				heard = append(heard, e)
			}
		}
		if len(heard) != 1 || heard[0].Type != EventShiftAssigned {
			t.Fatalf("the employee heard %+v, want one shift.assigned", heard)
		}
		shifts, _ := heard[0].Data["shifts"].([]any)
		if len(shifts) != 1 || shifts[0].(map[string]any)["id"] != float64(added.ID) {
			t.Errorf("shift.assigned carries %v, want only the new shift %d", shifts, added.ID)
		}
	})
}
