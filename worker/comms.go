package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/comms"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/push"
)

// Team communication task types.
const (
	// TypeAnnounceFanout turns an announcement.posted event into one
	// TypeAnnounceSend per recipient.
	TypeAnnounceFanout = "announce:fanout"
	// TypeAnnounceSend sends one announcement to one person (e-mail and push).
	TypeAnnounceSend = "announce:send"
	// TypeAckTimer sets the acknowledgement reminder of a published week.
	TypeAckTimer = "ack:timer"
	// TypeAckRemind reminds the people of a week who have not acknowledged it.
	TypeAckRemind = "ack:remind"
)

// Event types of team communication.
const (
	EventAnnouncementPosted = comms.EventAnnouncementPosted
	EventSchedulePublished  = "schedule.published"
)

// Comms is what the communication tasks need of internal/comms.
type Comms interface {
	Recipients(ctx context.Context, id int64) (comms.Announcement, []int64, error)
	PendingReminders(ctx context.Context, week *comms.WeekInput) ([]comms.Reminder, error)
	DueReminders(ctx context.Context, in comms.WeekInput, now time.Time) ([]comms.WeekAck, error)
	MarkReminded(ctx context.Context, in comms.WeekInput, userID int64, at time.Time) error
	IssueAckLink(ctx context.Context, userID int64, in comms.WeekInput) (string, error)
}

var _ Comms = (*comms.Service)(nil)

// AnnounceSend is the payload of TypeAnnounceSend.
type AnnounceSend struct {
	AnnouncementID int64 `json:"announcement_id"`
	UserID         int64 `json:"user_id"`
}

// commsTasks are the tasks of department events: the fan-out of a post and
// the reminder timer of a publish. The relay's TaskID names the event; a
// post to several departments fans out once per department, and the
// per-person TaskIDs and claims make that one message per person.
func commsTasks(e outbox.Event) ([]*asynq.Task, error) {
	if _, ok := outbox.DeptOfTopic(e.Topic); !ok && e.Topic != outbox.TopicStore {
		return nil, nil
	}
	var typ string
	switch e.Type {
	case EventAnnouncementPosted:
		typ = TypeAnnounceFanout
	case EventSchedulePublished:
		typ = TypeAckTimer
	default:
		return nil, nil
	}
	b, err := json.Marshal(EventTask{Seq: e.Seq, Type: e.Type, Data: e.Data})
	if err != nil {
		return nil, fmt.Errorf("worker: %s payload: %w", typ, err)
	}
	return []*asynq.Task{asynq.NewTask(typ, b, asynq.Queue(QueueDefault), asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour))}, nil
}

func announceSendID(annID, userID int64) string { return fmt.Sprintf("announce:%d:%d", annID, userID) }

// announcementRef names a post in the notifications and push deliveries.
func announcementRef(id int64) string { return fmt.Sprintf("announcement:%d", id) }

// announceFanout enqueues one send per recipient.
func (h *Handlers) announceFanout(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	var a struct {
		ID int64 `json:"id"`
	}
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(p.Data, &a); err != nil || a.ID <= 0 {
		return fmt.Errorf("worker: %s data: %w", t.Type(), asynq.SkipRetry)
	}
	if h.Comms == nil {
		return nil
	}
	_, ids, err := h.Comms.Recipients(ctx, a.ID)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, uid := range ids {
		b, err := json.Marshal(AnnounceSend{AnnouncementID: a.ID, UserID: uid})
		if err != nil {
			return err
		}
		_, err = h.Queue.EnqueueContext(ctx, asynq.NewTask(TypeAnnounceSend, b), asynq.TaskID(announceSendID(a.ID, uid)),
			asynq.Queue(QueueDefault), asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour))
		if err != nil && !isDuplicate(err) {
			return fmt.Errorf("worker: enqueue announcement: %w", err)
		}
	}
	return nil
}

// announceSend e-mails and pushes one post to one person, once per channel
// (kind "announcement"); an expired or deleted post is not sent.
func (h *Handlers) announceSend(ctx context.Context, t *asynq.Task) error {
	var p AnnounceSend
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if h.Comms == nil {
		return nil
	}
	a, _, err := h.Comms.Recipients(ctx, p.AnnouncementID)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.ExpiresAt != nil && !a.ExpiresAt.After(h.Clock()) {
		return nil
	}
	n := note{ref: announcementRef(a.ID), userID: p.UserID, kind: notify.KindAnnouncement, event: "announcement"}
	mailErr := h.sendEmail(ctx, t, n, func(_ context.Context, r notify.Recipient) (string, map[string]any, error) {
		return tmplAnnouncement, map[string]any{"Name": r.FirstName, "Title": a.Title, "Body": a.Body,
			"Author": a.AuthorName, "NeedsAck": a.NeedsAck, "Link": h.BaseURL + "/home"}, nil
	})
	if h.Push == nil {
		return mailErr
	}
	msg := push.Message{Title: a.Title, Body: clip(a.Body, 180), URL: "/home", Event: EventAnnouncementPosted, Tag: n.ref}
	return errors.Join(mailErr, h.deliver(ctx, t, n, notify.ChannelPush, false, func(ctx context.Context) error {
		_, err := h.Push.Deliver(ctx, n.ref, n.userID, msg)
		return err
	}))
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func ackRemindID(r comms.Reminder) string {
	return fmt.Sprintf("ackremind:%d:%s:%d", r.DepartmentID, r.WeekStart, r.At.Unix())
}

// ackTimer schedules the reminder of the published week, at the time its
// rows say (the store's delay after the publish).
func (h *Handlers) ackTimer(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	var pub struct {
		DepartmentID int64  `json:"department_id"`
		WeekStart    string `json:"week_start"`
	}
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(p.Data, &pub); err != nil || pub.DepartmentID <= 0 {
		return fmt.Errorf("worker: %s data: %w", t.Type(), asynq.SkipRetry)
	}
	if h.Comms == nil {
		return nil
	}
	rs, err := h.Comms.PendingReminders(ctx, &comms.WeekInput{DepartmentID: pub.DepartmentID, WeekStart: pub.WeekStart})
	if err != nil {
		return err
	}
	return h.scheduleReminders(rs)
}

// ResumeAckReminders schedules again every acknowledgement reminder not yet
// sent (the embedded server's queue died with its process); it returns
// how many. The TaskIDs make a reminder already queued a no-op.
func (h *Handlers) ResumeAckReminders(ctx context.Context) (int, error) {
	if h.Comms == nil {
		return 0, nil
	}
	rs, err := h.Comms.PendingReminders(ctx, nil)
	if err != nil {
		return 0, err
	}
	return len(rs), h.scheduleReminders(rs)
}

func (h *Handlers) scheduleReminders(rs []comms.Reminder) error {
	for _, r := range rs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = h.Queue.Enqueue(asynq.NewTask(TypeAckRemind, b), asynq.TaskID(ackRemindID(r)), asynq.Queue(QueueDefault),
			asynq.ProcessAt(r.At), asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour))
		if err != nil && !isDuplicate(err) {
			return fmt.Errorf("worker: schedule %s: %w", ackRemindID(r), err)
		}
	}
	return nil
}

// errNotDue sends a reminder that ran before its time (a node whose clock
// is behind) back to the queue.
var errNotDue = errors.New("worker: acknowledgement reminder not due yet")

// ackRemind sends the one reminder (kind "reminder", e-mail with a
// sign-in-free acknowledgement link, and push) to each person of the week
// who has not acknowledged it, and records it, so nobody gets two.
func (h *Handlers) ackRemind(ctx context.Context, t *asynq.Task) error {
	var r comms.Reminder
	if err := decodePayload(t, &r); err != nil {
		return err
	}
	if h.Comms == nil {
		return nil
	}
	now := h.Clock()
	if now.Before(r.At) {
		return errNotDue
	}
	week := comms.WeekInput{DepartmentID: r.DepartmentID, WeekStart: r.WeekStart}
	due, err := h.Comms.DueReminders(ctx, week, now)
	if err != nil {
		return err
	}
	for _, a := range due {
		ref := fmt.Sprintf("ackremind:%d:%s:%d:%d", a.DepartmentID, a.WeekStart, a.UserID, a.PublishedAt.Unix())
		n := note{ref: ref, userID: a.UserID, kind: notify.KindReminder, event: "reminder"}
		err := h.sendEmail(ctx, t, n, func(ctx context.Context, rc notify.Recipient) (string, map[string]any, error) {
			tok, err := h.Comms.IssueAckLink(ctx, a.UserID, week)
			if err != nil {
				return "", nil, err
			}
			return tmplAckReminder, map[string]any{"Name": rc.FirstName, "WeekStart": a.WeekStart,
				"Department": a.DepartmentName, "AckLink": h.BaseURL + "/ack#" + url.QueryEscape(tok), "Link": h.BaseURL + "/home"}, nil
		})
		if err != nil {
			return err
		}
		if h.Push != nil {
			msg := push.Message{Title: "Please confirm your schedule", Body: "Week of " + a.WeekStart + ", " + a.DepartmentName,
				URL: "/home", Event: "schedule.reminder", Tag: ref}
			if err := h.deliver(ctx, t, n, notify.ChannelPush, false, func(ctx context.Context) error {
				_, err := h.Push.Deliver(ctx, ref, a.UserID, msg)
				return err
			}); err != nil {
				return err
			}
		}
		if err := h.Comms.MarkReminded(ctx, week, a.UserID, now); err != nil {
			return err
		}
	}
	return nil
}

// publishAckLink is the acknowledgement link of a publish's digest e-mail
// ("" for other shift e-mails, or without Comms).
func (h *Handlers) publishAckLink(ctx context.Context, userID int64, ev ShiftEvent) (string, error) {
	if h.Comms == nil || ev.Reason != "published" || ev.WeekStart == "" {
		return "", nil
	}
	tok, err := h.Comms.IssueAckLink(ctx, userID, comms.WeekInput{DepartmentID: ev.DepartmentID, WeekStart: ev.WeekStart})
	if err != nil {
		return "", err
	}
	return h.BaseURL + "/ack#" + url.QueryEscape(tok), nil
}
