package worker_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/comms"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

func withComms(f *fixture) *comms.Service {
	svc := &comms.Service{W: f.writer, People: f.people}
	f.h.Comms = svc
	return svc
}

// runQueued runs, twice, the task the queue holds under id (a redelivery
// must change nothing).
func (f *fixture) runQueued(queue, id string) error {
	f.t.Helper()
	info := taskOf(f.t, f.insp, queue, id)
	var err error
	for range 2 {
		err = errors.Join(err, f.h.Mux().ProcessTask(context.Background(), asynq.NewTask(info.Type, info.Payload)))
	}
	return err
}

func ackToken(t *testing.T, text string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "/ack#")
	if !ok {
		t.Fatalf("no acknowledgement link in %q", text)
	}
	tok, _, _ := strings.Cut(rest, "\n")
	tok, err := url.QueryUnescape(strings.TrimSpace(tok))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAckReminderGoesOnceToThoseWhoHaveNotAcknowledged(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		svc := withComms(f)
		ctx := context.Background()
		pub := roster.Published{DepartmentID: f.dept, WeekStart: "2026-11-30", ShiftCount: 2, EmployeeIDs: []int64{f.ann, f.bob}}
		publishedAt := f.clock.Now()
		if err := f.writer.Do(ctx, func(tx *outbox.Tx) error {
			tx.Emit(outbox.DeptTopic(f.dept), worker.EventSchedulePublished, pub)
			return svc.RecordPublish(ctx, tx, pub)
		}); err != nil {
			t.Fatal(err)
		}
		e := f.events(outbox.DeptTopic(f.dept), worker.EventSchedulePublished)[0]
		f.enqueueEvent(e)
		if err := f.runQueued(worker.QueueDefault, worker.TypeAckTimer+":"+itoa(e.Seq)); err != nil {
			t.Fatal(err)
		}
		remindAt := publishedAt.Add(24 * time.Hour) // the store's default
		remindID := "ackremind:" + itoa(f.dept) + ":2026-11-30:" + itoa(remindAt.Unix())
		taskOf(t, f.insp, worker.QueueDefault, remindID)

		week := comms.WeekInput{DepartmentID: f.dept, WeekStart: pub.WeekStart}
		if _, err := svc.AcknowledgeWeek(ctx, auth.Principal{UserID: f.ann, Role: auth.RoleEmployee, DeptIDs: []int64{f.dept}}, week); err != nil {
			t.Fatal(err)
		}
		// Early (a node whose clock is behind): back to the queue, nothing sent.
		if err := f.runQueued(worker.QueueDefault, remindID); err == nil {
			t.Error("a reminder before its time succeeded")
		}
		if n := len(f.mailbox("bob@example.com")); n != 0 {
			t.Fatalf("%d reminders before the delay", n)
		}

		f.clock.Advance(24 * time.Hour)
		// An embedded restart meanwhile rebuilds the timer from schedule_acks.
		if n, err := f.h.ResumeAckReminders(ctx); err != nil || n != 1 {
			t.Fatalf("resume: %d %v", n, err)
		}
		if err := f.runQueued(worker.QueueDefault, remindID); err != nil {
			t.Fatal(err)
		}
		if n, err := f.h.ResumeAckReminders(ctx); err != nil || n != 0 {
			t.Errorf("after the reminder, resume finds %d: %v", n, err)
		}
		if err := f.h.Mux().ProcessTask(ctx, asynq.NewTask(worker.TypeAckRemind, mustJSON(t, comms.Reminder{DepartmentID: f.dept, WeekStart: pub.WeekStart, At: remindAt}))); err != nil {
			t.Fatal(err)
		}
		if n := len(f.mailbox("ann@example.com")); n != 0 {
			t.Errorf("ann acknowledged and got %d reminders", n)
		}
		bob := f.mailbox("bob@example.com")
		if len(bob) != 1 || !strings.Contains(bob[0].Subject, "confirm your schedule for the week of 2026-11-30") {
			t.Fatalf("bob's reminders %+v, want exactly one", bob)
		}
		if n, _ := f.notify.Count(ctx, "ackremind:"+itoa(f.dept)+":2026-11-30:"+itoa(f.bob)+":"+itoa(publishedAt.Unix())); n != 1 {
			t.Errorf("%d notification rows", n)
		}

		// The e-mail's link acknowledges without a password, once.
		tok := ackToken(t, bob[0].Text)
		a, err := svc.AcknowledgeByLink(ctx, comms.LinkInput{Token: tok})
		if err != nil || a.UserID != f.bob || a.Status != "acknowledged" {
			t.Fatalf("link: %v %+v", err, a)
		}
		if _, err := svc.AcknowledgeByLink(ctx, comms.LinkInput{Token: tok}); !apperr.Is(err, apperr.Gone) {
			t.Errorf("reused link: %v", err)
		}
	})
}

func TestAnnouncementFansOutOncePerPersonAndChannel(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		svc := withComms(f)
		ctx := context.Background()
		mgr := auth.Principal{UserID: f.manager, Role: auth.RoleManager, DeptIDs: []int64{f.dept}}
		a, err := svc.Post(ctx, mgr, comms.AnnouncementInput{Title: "Oven service Friday", Body: "Details: https://example.com/oven <b>not bold</b>",
			DepartmentIDs: []int64{f.dept}, NeedsAck: true})
		if err != nil {
			t.Fatal(err)
		}
		e := f.events(outbox.DeptTopic(f.dept), comms.EventAnnouncementPosted)[0]
		if dups := f.enqueueEvent(e) + f.enqueueEvent(e); dups != 1 {
			t.Errorf("%d duplicate enqueues, want 1 (the relay's TaskID)", dups)
		}
		if err := f.runQueued(worker.QueueDefault, worker.TypeAnnounceFanout+":"+itoa(e.Seq)); err != nil {
			t.Fatal(err)
		}
		for _, uid := range []int64{f.ann, f.bob} {
			if err := f.runQueued(worker.QueueDefault, "announce:"+itoa(a.ID)+":"+itoa(uid)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.insp.GetTaskInfo(worker.QueueDefault, "announce:"+itoa(a.ID)+":"+itoa(f.manager)); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("the author is sent their own post: %v", err)
		}
		for _, to := range []string{"ann@example.com", "bob@example.com"} {
			msgs := f.mailbox(to)
			if len(msgs) != 1 || msgs[0].Subject != "Oven service Friday" {
				t.Fatalf("%s got %+v", to, msgs)
			}
			if strings.Contains(msgs[0].HTML, "<b>not bold</b>") {
				t.Errorf("the body's markup reached the HTML e-mail unescaped")
			}
		}
		if n, _ := f.notify.Count(ctx, "announcement:"+itoa(a.ID)); n != 2 {
			t.Errorf("%d notification rows, want 2", n)
		}
	})
}
