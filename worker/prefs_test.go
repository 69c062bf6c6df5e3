package worker_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

var halifax, _ = time.LoadLocation("America/Halifax")

// setPrefs applies a preferences patch written as JSON.
func (f *fixture) setPrefs(who int64, patch string) {
	f.t.Helper()
	var in notify.PreferencesPatch
	if err := json.Unmarshal([]byte(patch), &in); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.notify.SetPreferences(context.Background(), auth.Principal{UserID: who, Role: auth.RoleEmployee}, in); err != nil {
		f.t.Fatal(err)
	}
}

// shiftEvent commits a shift event for who with one shift at start and
// runs its e-mail task (e-mail and SMS) as asynq would.
func (f *fixture) shiftEvent(typ string, who int64, start time.Time) outbox.Event {
	f.t.Helper()
	emp := who
	e := f.emit(outbox.UserTopic(who), typ, worker.ShiftEvent{EmployeeID: who, DepartmentID: f.dept, Reason: "changed",
		Shifts: []worker.Shift{{ID: start.Unix() % 100000, DepartmentID: f.dept, EmployeeID: &emp, StartsAt: start, EndsAt: start.Add(8 * time.Hour),
			Position: "Bench", Status: "published", Version: 1}}})
	tasks, err := worker.TasksForEvent(e)
	if err != nil || tasks[0].Type() != worker.TypeEmailShift {
		f.t.Fatalf("tasks %v, %v", tasks, err)
	}
	if err := f.h.Mux().ProcessTask(context.Background(), tasks[0]); err != nil {
		f.t.Fatal(err)
	}
	return e
}

// delivery returns the delivery log's row of (event, person, channel).
func (f *fixture) delivery(e outbox.Event, who int64, channel string) notify.Delivery {
	f.t.Helper()
	page, err := f.notify.Deliveries(context.Background(), auth.System, notify.DeliveryFilter{UserID: who, Channel: channel}, paging.ListParams{Limit: 200})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range page.Items {
		if d.Ref == "seq:"+itoa(e.Seq) {
			return d
		}
	}
	return notify.Delivery{}
}

// TestPreferencesAndQuietHours: a kind turned off for e-mail sends none
// (suppressed in the delivery log); during quiet hours a change to a shift
// days away waits, as a task scheduled on Redis for the end of the quiet
// hours in the store's zone, and goes out when it runs then; a change to a
// shift within 12 hours goes at once. The test clock moves the worker's time.
func TestPreferencesAndQuietHours(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		night := time.Date(2037, 11, 27, 3, 0, 0, 0, halifax) // ahead of the real clock, which asynq schedules by
		f.clock.Set(night)
		inDays := time.Date(2037, 11, 30, 9, 0, 0, 0, halifax)

		f.setPrefs(f.ann, `{"choices":{"shift":{"email":false}}}`)
		e := f.shiftEvent(worker.EventShiftChanged, f.ann, inDays)
		if got := f.mailbox("ann@example.com"); len(got) != 0 {
			t.Errorf("ann turned shift e-mails off and got %d", len(got))
		}
		if got := f.delivery(e, f.ann, "email"); got.Status != notify.StatusSuppressed || got.Detail != notify.ReasonPreference {
			t.Errorf("ann's delivery: %+v", got)
		}

		f.setPrefs(f.bob, `{"quiet_hours":{"start":"22:00","end":"07:00"}}`)
		e = f.shiftEvent(worker.EventShiftChanged, f.bob, inDays)
		if got := f.mailbox("bob@example.com"); len(got) != 0 {
			t.Fatalf("bob got %d e-mails during his quiet hours", len(got))
		}
		morning := time.Date(2037, 11, 27, 7, 0, 0, 0, halifax)
		if got := f.delivery(e, f.bob, "email"); got.Status != notify.StatusDeferred || got.SendAt == nil || !got.SendAt.Equal(morning) {
			t.Errorf("bob's delivery: %+v", got)
		}
		scheduled, err := f.insp.ListScheduledTasks(worker.QueueDefault)
		if err != nil {
			t.Fatal(err)
		}
		var later *asynq.TaskInfo
		for _, ti := range scheduled {
			if ti.Type == worker.TypeEmailShift {
				later = ti
			}
		}
		if later == nil || !later.NextProcessAt.Equal(morning) {
			t.Fatalf("the deferred e-mail is not scheduled for %v: %+v", morning, later)
		}

		// Within 12 hours of its start, a change cannot wait for the morning.
		soon := f.shiftEvent(worker.EventShiftChanged, f.bob, night.Add(4*time.Hour))
		if got := f.mailbox("bob@example.com"); len(got) != 1 || !strings.Contains(got[0].Text, "07:00") {
			t.Fatalf("urgent change: %d e-mails", len(got))
		}
		if got := f.delivery(soon, f.bob, "email"); got.Status != notify.StatusSent {
			t.Errorf("urgent delivery: %+v", got)
		}

		// The deferred task runs at the end of the quiet hours.
		f.clock.Set(morning)
		if err := f.h.Mux().ProcessTask(ctx, asynq.NewTask(later.Type, later.Payload)); err != nil {
			t.Fatal(err)
		}
		got := f.mailbox("bob@example.com")
		if len(got) != 2 || !strings.Contains(got[0].Text, "Mon Nov 30 09:00") {
			t.Fatalf("after the quiet hours: %d e-mails", len(got))
		}
		if d := f.delivery(e, f.bob, "email"); d.Status != notify.StatusSent {
			t.Errorf("deferred delivery after sending: %+v", d)
		}
		// Every e-mail carries the preferences link and an unsubscribe link.
		if !strings.Contains(got[0].Text, "http://crumb.test"+worker.PreferencesPath) || !strings.Contains(got[0].HTML, "http://crumb.test"+worker.UnsubscribePath+"?token=crumbl_") {
			t.Errorf("footer links:\n%s\n%s", got[0].Text, got[0].HTML)
		}
	})
}

// verifyPhone gives who a verified phone through the texted code.
func (f *fixture) verifyPhone(who int64, phone string) {
	f.t.Helper()
	ctx := context.Background()
	p := auth.Principal{UserID: who, Role: auth.RoleEmployee}
	if _, err := f.notify.SetPhone(ctx, p, notify.PhoneInput{Phone: phone}); err != nil {
		f.t.Fatal(err)
	}
	texts := f.mailbox(phone)
	_, code, _ := strings.Cut(texts[0].Text, "code: ")
	if _, err := f.notify.VerifyPhone(ctx, p, notify.CodeInput{Code: code[:6]}); err != nil {
		f.t.Fatal(err)
	}
}

// TestSMSSuppressedAfterSTOP: no text reaches a phone before it is
// verified (only its code); then shift changes arrive as short texts with
// the day and time in the store's zone; after the phone replies STOP none
// does (suppressed in the delivery log), while e-mail goes on.
func TestSMSSuppressedAfterSTOP(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		const phone = "+19025550177"
		start := time.Date(2037, 11, 30, 13, 0, 0, 0, time.UTC) // 09:00 in Halifax

		if _, err := f.notify.SetPhone(ctx, auth.Principal{UserID: f.bob, Role: auth.RoleEmployee}, notify.PhoneInput{Phone: phone}); err != nil {
			t.Fatal(err)
		}
		e := f.shiftEvent(worker.EventShiftAssigned, f.bob, start)
		if got := f.mailbox(phone); len(got) != 1 {
			t.Fatalf("%d texts to an unverified phone, want only its code", len(got))
		}
		if got := f.delivery(e, f.bob, "sms"); got.Status != notify.StatusSuppressed || got.Detail != notify.ReasonNoPhone {
			t.Errorf("unverified: %+v", got)
		}
		f.clock.Advance(notify.CodeInterval)
		d.ExecContext(ctx, `DELETE FROM mailbox WHERE to_addr = ?`, phone)
		f.verifyPhone(f.bob, phone)

		e = f.shiftEvent(worker.EventShiftChanged, f.bob, start.Add(24*time.Hour))
		texts := smsOnly(f.mailbox(phone))
		if len(texts) != 1 || texts[0].Text != "CrumbCommander: Shift changed: Tue Dec 1 09:00-17:00 (Bench)." {
			t.Fatalf("texts after verifying: %+v", texts)
		}
		if got := f.delivery(e, f.bob, "sms"); got.Status != notify.StatusSent {
			t.Errorf("sent: %+v", got)
		}

		if err := f.notify.InboundSMS(ctx, "in-1", phone, "STOP"); err != nil {
			t.Fatal(err)
		}
		e = f.shiftEvent(worker.EventShiftChanged, f.bob, start.Add(48*time.Hour))
		if got := smsOnly(f.mailbox(phone)); len(got) != 1 {
			t.Errorf("%d texts after STOP, want still 1", len(got))
		}
		if got := f.delivery(e, f.bob, "sms"); got.Status != notify.StatusSuppressed || got.Detail != notify.ReasonSMSStopped {
			t.Errorf("after STOP: %+v", got)
		}
		if got := f.delivery(e, f.bob, "email"); got.Status != notify.StatusSent {
			t.Errorf("e-mail after STOP: %+v", got)
		}
	})
}

func smsOnly(msgs []mail.Stored) []mail.Stored {
	var out []mail.Stored
	for _, m := range msgs {
		if !strings.Contains(m.Text, "code:") {
			out = append(out, m)
		}
	}
	return out
}
