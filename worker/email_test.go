package worker_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

func TestTasksForEvent(t *testing.T) {
	tests := []struct {
		desc  string
		topic string
		typ   string
		want  []string
	}{
		{"publish digest to a person", "user:7", worker.EventShiftAssigned, []string{worker.TypeEmailShift, worker.TypeShiftTimers}},
		{"shift changed", "user:7", worker.EventShiftChanged, []string{worker.TypeEmailShift, worker.TypeShiftTimers}},
		{"shift cancelled", "user:7", worker.EventShiftCancelled, []string{worker.TypeEmailShift, worker.TypeShiftTimers}},
		{"time off decided", "user:7", worker.EventTimeOffDecided, []string{worker.TypeEmailDecision}},
		{"swap decided", "user:7", worker.EventSwapDecided, []string{worker.TypeEmailDecision}},
		{"report ready", "user:7", worker.EventReportReady, []string{worker.TypeEmailReport}},
		{"dept topic copy causes nothing", "dept:3", worker.EventSwapDecided, nil},
		{"schedule.published sets the acknowledgement reminder", "dept:3", "schedule.published", []string{worker.TypeAckTimer}},
		{"announcement.posted fans out", "dept:3", worker.EventAnnouncementPosted, []string{worker.TypeAnnounceFanout}},
		{"announcement.posted on a user topic causes nothing", "user:7", worker.EventAnnouncementPosted, nil},
		{"unknown event", "user:7", "employee.updated", nil},
		{"bad topic", "user:x", worker.EventShiftAssigned, nil},
	}
	for _, tc := range tests {
		tasks, err := worker.TasksForEvent(outbox.Event{Seq: 42, Topic: tc.topic, Type: tc.typ, Data: []byte(`{}`)})
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		var got []string
		for _, task := range tasks {
			if task.Type() == worker.TypePush {
				continue // push has its own tests
			}
			got = append(got, task.Type())
			if id := worker.EventTaskID(task, 42); id != task.Type()+":42" {
				t.Errorf("%s: task id %s", tc.desc, id)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: tasks %v, want %v", tc.desc, got, tc.want)
		}
	}
}

func publishEvent(f *fixture, who int64, starts ...time.Time) outbox.Event {
	var shifts []worker.Shift
	for i, s := range starts {
		emp := who
		shifts = append(shifts, worker.Shift{ID: int64(100 + i), DepartmentID: f.dept, EmployeeID: &emp, StartsAt: s, EndsAt: s.Add(8 * time.Hour),
			Position: "Bench", Status: "published", Version: 1})
	}
	return f.emit(outbox.UserTopic(who), worker.EventShiftAssigned, worker.ShiftEvent{EmployeeID: who, DepartmentID: f.dept,
		Reason: "published", WeekStart: "2037-11-30", Shifts: shifts})
}

// The relay may hand the same event over twice and asynq may deliver a task
// twice: the person still gets one e-mail.
func TestSameEventTwiceOneEmail(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		mon := time.Date(2037, 11, 30, 13, 0, 0, 0, time.UTC) // a Monday ahead of the real clock, which asynq schedules the shift timers by
		e := publishEvent(f, f.ann, mon, mon.Add(24*time.Hour), mon.Add(48*time.Hour))
		f.serve(worker.ServerConfig(f.h.Log, 4, time.Second), f.h.Mux())

		if dups := f.enqueueEvent(e); dups != 0 {
			t.Fatalf("first enqueue refused %d tasks", dups)
		}
		tasks, _ := worker.TasksForEvent(e)
		if dups := f.enqueueEvent(e); dups != len(tasks) {
			t.Errorf("second enqueue: %d duplicates refused, want %d", dups, len(tasks))
		}
		testutil.Eventually(t, 20*time.Second, "the digest", func() bool { return len(f.mailbox("ann@example.com")) == 1 })
		// A redelivery of the same task (at-least-once) sends nothing more;
		// until the first delivery has marked the e-mail sent it is told
		// ErrInFlight (asynq would retry it).
		testutil.Eventually(t, 20*time.Second, "the redelivery to find the e-mail sent", func() bool {
			err := f.h.Mux().ProcessTask(ctx, tasks[0])
			if err != nil && !errors.Is(err, notify.ErrInFlight) {
				t.Fatal(err)
			}
			return err == nil
		})
		msgs := f.mailbox("ann@example.com")
		if len(msgs) != 1 {
			t.Fatalf("%d e-mails, want 1", len(msgs))
		}
		m := msgs[0]
		if m.Subject != "Your schedule for the week of 2037-11-30" || strings.Count(m.Text, "Bench") != 3 || !strings.Contains(m.HTML, "<table") ||
			!strings.Contains(m.Text, "Mon Nov 30 09:00–17:00") { // 13:00 UTC is 09:00 in Halifax
			t.Errorf("digest:\n%s\n%s", m.Subject, m.Text)
		}
		// The footer links to the screen where e-mails are turned off.
		if prefs := "http://crumb.test" + worker.PreferencesPath; !strings.Contains(m.Text, "My preferences: "+prefs) || !strings.Contains(m.HTML, `<a href="`+prefs+`">My preferences</a>`) {
			t.Errorf("footer without the preferences link:\n%s\n%s", m.Text, m.HTML)
		}
	})
}

func TestEmailOptOut(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		off := false
		p := auth.Principal{UserID: f.bob, Role: auth.RoleEmployee}
		prefs, err := f.notify.SetPreferences(ctx, p, notify.PreferencesPatch{EmailEnabled: &off})
		if err != nil || prefs.EmailEnabled {
			t.Fatalf("set preferences: %+v %v", prefs, err)
		}
		if got, _ := f.notify.Preferences(ctx, p); got.EmailEnabled {
			t.Error("preference not stored")
		}
		on := true
		if got, _ := f.notify.SetPreferences(ctx, auth.Principal{UserID: f.ann}, notify.PreferencesPatch{EmailEnabled: &on}); !got.EmailEnabled {
			t.Error("upsert on")
		}
		e := publishEvent(f, f.bob, time.Date(2037, 11, 30, 13, 0, 0, 0, time.UTC))
		tasks, _ := worker.TasksForEvent(e)
		if err := f.h.Mux().ProcessTask(ctx, tasks[0]); err != nil {
			t.Fatal(err)
		}
		if n := len(f.mailbox("bob@example.com")); n != 0 {
			t.Errorf("%d e-mails to a person who opted out", n)
		}
	})
}

// A failing mail server is retried with growing delays; the message goes
// out once it recovers, exactly once, and the delivery log counts the tries.
func TestRetriesWithBackoff(t *testing.T) {
	d := testutil.NewDB(t, db.SQLite)
	f := newFixture(t, d)
	sender := &flakySender{fails: 2, next: f.box}
	f.h.Mail = sender
	var mu sync.Mutex
	var delays []time.Duration
	cfg := worker.ServerConfig(f.h.Log, 2, time.Second)
	cfg.RetryDelayFunc = func(n int, err error, t *asynq.Task) time.Duration {
		d := worker.RetryDelay(n, err, t) / 1000 // the production curve, scaled down for the test
		mu.Lock()
		delays = append(delays, d)
		mu.Unlock()
		return d
	}
	f.serve(cfg, f.h.Mux())
	e := f.emit(outbox.UserTopic(f.ann), worker.EventTimeOffDecided, worker.TimeOffEvent{ID: 3, EmployeeID: f.ann,
		StartsOn: "2026-12-24", EndsOn: "2026-12-26", Status: "approved", DecidedBy: f.manager})
	f.enqueueEvent(e)
	testutil.Eventually(t, 20*time.Second, "the decision e-mail", func() bool { return len(f.mailbox("ann@example.com")) == 1 })
	mu.Lock()
	defer mu.Unlock()
	if len(delays) != 2 || delays[1] <= delays[0] {
		t.Errorf("retry delays %v, want two, growing", delays)
	}
	if sender.calls != 3 {
		t.Errorf("%d send attempts, want 3", sender.calls)
	}
	if n, _ := f.notify.Count(context.Background(), "seq:"+itoa(e.Seq)); n != 1 {
		t.Errorf("%d notification rows, want 1", n)
	}
	// The delivery log shows the e-mail sent after three attempts.
	testutil.Eventually(t, 5*time.Second, "the delivery log", func() bool {
		d := f.delivery(e, f.ann, "email")
		return d.Status == "sent" && d.Attempts == 3
	})
	m := f.mailbox("ann@example.com")[0]
	if m.Subject != "Time off approved: 2026-12-24 to 2026-12-26" {
		t.Errorf("subject %q", m.Subject)
	}
}

func TestBadPayloadSkipsRetry(t *testing.T) {
	d := testutil.NewDB(t, db.SQLite)
	f := newFixture(t, d)
	for _, typ := range []string{worker.TypeEmailShift, worker.TypeEmailDecision, worker.TypeEmailReport, worker.TypeEmailReminder,
		worker.TypeNoShow, worker.TypeReportExport, worker.TypeShiftTimers, worker.TypeAlarm} {
		err := f.h.Mux().ProcessTask(context.Background(), asynq.NewTask(typ, []byte("{not json")))
		if err == nil || !strings.Contains(err.Error(), asynq.SkipRetry.Error()) {
			t.Errorf("%s: err = %v, want SkipRetry", typ, err)
		}
	}
}

// TestSwapEmailNamesTheShift: a swap decision e-mail says the shift's day,
// time (store zone) and department and who swapped with whom, never an id.
func TestSwapEmailNamesTheShift(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e := f.emit(outbox.UserTopic(f.ann), worker.EventSwapDecided, worker.SwapDecision{ID: 27, ShiftID: 27, FromEmployeeID: f.ann, ToEmployeeID: f.bob,
			Status: "approved", ShiftStartsAt: time.Date(2037, 12, 1, 13, 0, 0, 0, time.UTC), ShiftEndsAt: time.Date(2037, 12, 1, 21, 0, 0, 0, time.UTC),
			DepartmentName: "Bakery", FromName: "Ann Test", ToName: "Bob Test"})
		tasks, _ := worker.TasksForEvent(e)
		if err := f.h.Mux().ProcessTask(context.Background(), tasks[0]); err != nil {
			t.Fatal(err)
		}
		msgs := f.mailbox("ann@example.com")
		if len(msgs) != 1 {
			t.Fatalf("%d e-mails", len(msgs))
		}
		m := msgs[0]
		want := "Bakery shift on Tue Dec 1, 09:00–17:00 from Ann Test to Bob Test" // 13:00 UTC is 09:00 in Halifax
		if m.Subject != "Shift swap approved: Tue Dec 1 09:00–17:00" || !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, "Bakery shift on Tue Dec 1") || strings.Contains(m.Text, "#") {
			t.Errorf("swap e-mail:\n%s\n%s", m.Subject, m.Text)
		}
	})
}
