package worker

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/notify"
)

// note is one message to one person: what every channel's send shares.
type note struct {
	ref    string // the at-most-once key, with the person and the channel
	userID int64
	kind   string // the preference kind (notify.Kind*), or another name for messages no one chooses about
	event  string // what the notifications row records as its kind
	// soonest is the start of the earliest shift the message is about.
	soonest time.Time
	urgent  bool
}

// deliver sends n on channel through send, honouring notify.Decide: a
// suppressed message is only logged, a deferred one is queued again (a copy
// of task t, which re-runs every channel; those already sent are skipped by
// their claims) for the end of quiet hours. claim makes the notifications
// row the at-most-once guard; push has its own (push_deliveries). Every
// outcome goes to the delivery log admins read.
func (h *Handlers) deliver(ctx context.Context, t *asynq.Task, n note, channel string, claim bool, send func(ctx context.Context) error) error {
	d, err := h.Notify.Decide(ctx, notify.Ask{UserID: n.userID, Kind: n.kind, Channel: channel, Now: h.Clock(), Soonest: n.soonest, Urgent: n.urgent})
	if err != nil {
		return err
	}
	switch d.Action {
	case notify.Suppress:
		if d.Reason == notify.ReasonGone {
			return nil // nobody to log it against
		}
		return h.Notify.Record(ctx, n.ref, n.userID, channel, n.kind, notify.StatusSuppressed, d.Reason, time.Time{})
	case notify.Defer:
		if err := h.deferTask(t, n, d.At); err != nil {
			return err
		}
		return h.Notify.Record(ctx, n.ref, n.userID, channel, n.kind, notify.StatusDeferred, "quiet hours", d.At)
	}
	if claim {
		if err := h.Notify.Claim(ctx, n.ref, n.userID, channel, n.event); errors.Is(err, notify.ErrAlreadySent) {
			return nil
		} else if err != nil {
			return err
		}
	}
	if err := send(ctx); err != nil {
		if claim {
			if rerr := h.Notify.Release(ctx, n.ref, n.userID, channel); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		if rerr := h.Notify.Record(ctx, n.ref, n.userID, channel, n.kind, notify.StatusFailed, err.Error(), time.Time{}); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if errors.Is(err, sms.ErrSpendLimit) {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return err
	}
	if claim {
		if err := h.Notify.MarkSent(ctx, n.ref, n.userID, channel); err != nil {
			return err
		}
	}
	return h.Notify.Record(ctx, n.ref, n.userID, channel, n.kind, notify.StatusSent, "", time.Time{})
}

// deferTask queues a copy of t at at. Its TaskID names the task, the
// message, the person and the time, so every channel deferred to the same
// end of quiet hours shares one copy.
func (h *Handlers) deferTask(t *asynq.Task, n note, at time.Time) error {
	id := fmt.Sprintf("%s:%s:%d:at:%d", t.Type(), n.ref, n.userID, at.Unix())
	_, err := h.Queue.Enqueue(asynq.NewTask(t.Type(), t.Payload()), asynq.TaskID(id), asynq.Queue(queueOf(t.Type())),
		asynq.ProcessAt(at), asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour))
	if err != nil && !isDuplicate(err) {
		return fmt.Errorf("worker: defer %s: %w", id, err)
	}
	return nil
}

// mailBuilder returns the template and data of an e-mail for its recipient.
// Its error (a link that could not be issued, say) is retried.
type mailBuilder func(ctx context.Context, r notify.Recipient) (tmpl string, data map[string]any, err error)

// sendEmail sends the e-mail build makes, once per n.ref, with a fresh
// unsubscribe link (for n.kind) in its footer.
func (h *Handlers) sendEmail(ctx context.Context, t *asynq.Task, n note, build mailBuilder) error {
	return h.deliver(ctx, t, n, notify.ChannelEmail, true, func(ctx context.Context) error {
		r, err := h.Notify.Recipient(ctx, n.userID)
		if err != nil {
			return err
		}
		tok, err := h.Notify.IssueUnsubscribe(ctx, n.userID, n.kind)
		if err != nil {
			return err
		}
		tmpl, data, err := build(ctx, r)
		if err != nil {
			return err
		}
		data["Unsubscribe"] = h.BaseURL + UnsubscribePath + "?token=" + url.QueryEscape(tok)
		msg, err := h.render(tmpl, r.Email, data)
		if err != nil {
			return fmt.Errorf("%v: %w", err, asynq.SkipRetry)
		}
		return h.Mail.Send(ctx, msg)
	})
}

// sendSMS texts body to the person's verified phone, once per n.ref.
// Without an SMS sender it does nothing.
func (h *Handlers) sendSMS(ctx context.Context, t *asynq.Task, n note, body string) error {
	if h.SMS == nil {
		return nil
	}
	return h.deliver(ctx, t, n, notify.ChannelSMS, true, func(ctx context.Context) error {
		phone, err := h.Notify.Phone(ctx, n.userID)
		if err != nil {
			return err
		}
		if phone == "" {
			return fmt.Errorf("worker: sms: the phone of user %d is no longer verified: %w", n.userID, asynq.SkipRetry)
		}
		return h.SMS.Send(ctx, phone, body)
	})
}
