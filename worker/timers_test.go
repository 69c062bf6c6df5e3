package worker_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// fakeClockIns says who clocked in, without the attendance tables.
type fakeClockIns struct {
	mu sync.Mutex
	in map[int64]bool
}

func (c *fakeClockIns) ClockedIn(_ context.Context, s worker.Shift, _ int64) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in[s.ID], nil
}

func taskOf(t *testing.T, insp *asynq.Inspector, queue, id string) *asynq.TaskInfo {
	t.Helper()
	info, err := insp.GetTaskInfo(queue, id)
	if err != nil {
		t.Fatalf("task %s in %s: %v", id, queue, err)
	}
	return info
}

func TestShiftTimersScheduleReminderAndLateCheck(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		start := time.Date(2037, 11, 30, 13, 0, 0, 0, time.UTC) // a Monday far enough ahead that asynq, which schedules by the real clock, keeps both timers in the future
		e := publishEvent(f, f.ann, start)
		tasks, _ := worker.TasksForEvent(e)
		for i := 0; i < 2; i++ { // twice: the TaskIDs absorb the repeat
			if err := f.h.Mux().ProcessTask(ctx, tasks[1]); err != nil {
				t.Fatal(err)
			}
		}
		rem := taskOf(t, f.insp, worker.QueueDefault, "reminder:100:"+itoa(start.Unix()))
		late := taskOf(t, f.insp, worker.QueueCritical, "noshow:100:"+itoa(start.Unix())+":late")
		if !rem.NextProcessAt.Equal(start.Add(-12*time.Hour)) || rem.Type != worker.TypeEmailReminder {
			t.Errorf("reminder at %v (%s), want 12 h before the start", rem.NextProcessAt, rem.Type)
		}
		if !late.NextProcessAt.Equal(start.Add(5 * time.Minute)) {
			t.Errorf("late check at %v, want start + 5 min grace", late.NextProcessAt)
		}

		// The reminder itself.
		if err := f.h.Mux().ProcessTask(ctx, asynq.NewTask(rem.Type, rem.Payload)); err != nil {
			t.Fatal(err)
		}
		if err := f.h.Mux().ProcessTask(ctx, asynq.NewTask(rem.Type, rem.Payload)); err != nil {
			t.Fatal(err)
		}
		if msgs := f.mailbox("ann@example.com"); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Subject, "Reminder: shift Mon Nov 30 at 09:00") {
			t.Errorf("reminders %+v", msgs)
		}

		// Cancelling the shift removes its timers.
		var ev worker.ShiftEvent
		json.Unmarshal(e.Data, &ev)
		ce := f.emit(outbox.UserTopic(f.ann), worker.EventShiftCancelled, worker.ShiftEvent{EmployeeID: f.ann, DepartmentID: f.dept,
			Reason: "cancelled", Shifts: ev.Shifts})
		ctasks, _ := worker.TasksForEvent(ce)
		if err := f.h.Mux().ProcessTask(ctx, ctasks[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := f.insp.GetTaskInfo(worker.QueueDefault, rem.ID); err == nil {
			t.Error("reminder of a cancelled shift still scheduled")
		}
	})
}

func TestLateAndNoShowAlertManagersOnce(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		clockIns := &fakeClockIns{in: map[int64]bool{101: true}}
		f.h.ClockIns = clockIns
		start := f.clock.Now().Add(-6 * time.Minute)
		ann, bob := f.ann, f.bob
		check := func(shiftID, who int64, stage string) {
			t.Helper()
			b, _ := json.Marshal(worker.ShiftTimer{Shift: worker.Shift{ID: shiftID, DepartmentID: f.dept, EmployeeID: &who,
				StartsAt: start, EndsAt: start.Add(8 * time.Hour), Status: "published"}, EmployeeID: who, Stage: stage})
			if err := f.h.Mux().ProcessTask(ctx, asynq.NewTask(worker.TypeNoShow, b)); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			desc       string
			shift, who int64
			stage      string
			wantLate   int
			wantNoShow int
		}{
			{"ann is missing: late", 100, ann, worker.StageLate, 1, 0},
			{"redelivered: still one alert", 100, ann, worker.StageLate, 1, 0},
			{"bob clocked in: nothing", 101, bob, worker.StageLate, 1, 0},
			{"ann still missing: no-show", 100, ann, worker.StageNoShow, 1, 1},
			{"no-show redelivered", 100, ann, worker.StageNoShow, 1, 1},
		}
		topic := outbox.DeptTopic(f.dept)
		for _, tc := range tests {
			check(tc.shift, tc.who, tc.stage)
			if l, n := len(f.events(topic, worker.EventLate)), len(f.events(topic, worker.EventNoShow)); l != tc.wantLate || n != tc.wantNoShow {
				t.Errorf("%s: %d late, %d no-show alerts; want %d, %d", tc.desc, l, n, tc.wantLate, tc.wantNoShow)
			}
		}
		var alert map[string]any
		json.Unmarshal(f.events(topic, worker.EventLate)[0].Data, &alert)
		if alert["employee_name"] != "Ann Tester" || alert["late_minutes"].(float64) != 6 || alert["shift_id"].(float64) != 100 {
			t.Errorf("alert %v", alert)
		}
		if _, err := f.insp.GetTaskInfo(worker.QueueCritical, "noshow:100:"+itoa(start.Unix())+":no_show"); err != nil {
			t.Errorf("no-show check not scheduled after the late alert: %v", err)
		}
	})
}

// A late check that finds its alert already raised (the process that
// raised it died before scheduling the no-show check, and the check was
// rebuilt after the restart) raises nothing again but schedules the
// no-show check.
func TestRebuiltLateCheckSchedulesNoShow(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.h.ClockIns = &fakeClockIns{}
		start := f.clock.Now().Add(-6 * time.Minute)
		ann := f.ann
		b, _ := json.Marshal(worker.ShiftTimer{Shift: worker.Shift{ID: 100, DepartmentID: f.dept, EmployeeID: &ann,
			StartsAt: start, EndsAt: start.Add(8 * time.Hour), Status: "published"}, EmployeeID: ann, Stage: worker.StageLate})
		late := asynq.NewTask(worker.TypeNoShow, b)
		noShow := "noshow:100:" + itoa(start.Unix()) + ":no_show"
		if err := f.h.Mux().ProcessTask(context.Background(), late); err != nil {
			t.Fatal(err)
		}
		if err := f.insp.DeleteTask(worker.QueueCritical, noShow); err != nil { // lost with the queue
			t.Fatal(err)
		}
		if err := f.h.Mux().ProcessTask(context.Background(), late); err != nil {
			t.Fatal(err)
		}
		if _, err := f.insp.GetTaskInfo(worker.QueueCritical, noShow); err != nil {
			t.Errorf("the no-show check is not scheduled again: %v", err)
		}
		if n := len(f.events(outbox.DeptTopic(f.dept), worker.EventLate)); n != 1 {
			t.Errorf("%d late alerts, want 1", n)
		}
	})
}
