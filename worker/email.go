package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
)

// E-mail task types.
const (
	TypeEmailShift    = "email:shift"
	TypeEmailDecision = "email:decision"
	TypeEmailReport   = "email:report"
	TypeEmailReminder = "email:reminder"
)

// emailMaxRetry bounds retries of a failing mail server (asynq backs off
// exponentially between them).
const emailMaxRetry = 8

// shiftView is a shift as an e-mail shows it, in the store's zone.
type shiftView struct {
	Day, From, To, Position, Notes string
}

func viewShift(s Shift, loc *time.Location) shiftView {
	st, en := s.StartsAt.In(loc), s.EndsAt.In(loc)
	return shiftView{Day: st.Format("Mon Jan 2"), From: st.Format("15:04"), To: en.Format("15:04"), Position: s.Position, Notes: s.Notes}
}

func decodePayload(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("worker: %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}

// sendOnce sends the message build returns to userID, at most once per ref:
// the notifications row is claimed before sending and given back only when
// the send fails (so the retry may send). A person who turned e-mail off,
// left, or no longer exists gets nothing.
func (h *Handlers) sendOnce(ctx context.Context, ref string, userID int64, kind string, build func(r notify.Recipient) (mail.Message, error)) error {
	r, err := h.Notify.Recipient(ctx, userID)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !r.Active || !r.EmailEnabled {
		return nil
	}
	msg, err := build(r)
	if err != nil {
		return fmt.Errorf("%v: %w", err, asynq.SkipRetry)
	}
	if err := h.Notify.Claim(ctx, ref, userID, notify.ChannelEmail, kind); errors.Is(err, notify.ErrAlreadySent) {
		return nil
	} else if err != nil {
		return err
	}
	if err := h.Mail.Send(ctx, msg); err != nil {
		if rerr := h.Notify.Release(ctx, ref, userID, notify.ChannelEmail); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return h.Notify.MarkSent(ctx, ref, userID, notify.ChannelEmail)
}

func (h *Handlers) location(ctx context.Context) (*time.Location, error) {
	st, err := h.Store(ctx)
	if err != nil {
		return nil, err
	}
	return st.Location(), nil
}

func eventRef(seq int64) string { return fmt.Sprintf("seq:%d", seq) }

// emailShift sends the digest of a publish, or one changed shift.
func (h *Handlers) emailShift(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	var ev ShiftEvent
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(p.Data, &ev); err != nil || len(ev.Shifts) == 0 {
		return fmt.Errorf("worker: %s event data: %w", p.Type, asynq.SkipRetry)
	}
	loc, err := h.location(ctx)
	if err != nil {
		return err
	}
	return h.sendOnce(ctx, eventRef(p.Seq), p.UserID, p.Type, func(r notify.Recipient) (mail.Message, error) {
		views := make([]shiftView, len(ev.Shifts))
		for i, s := range ev.Shifts {
			views[i] = viewShift(s, loc)
		}
		ackLink, err := h.publishAckLink(ctx, p.UserID, ev)
		if err != nil {
			return mail.Message{}, err
		}
		return h.render(tmplShift, r.Email, map[string]any{
			"Name": r.FirstName, "Event": p.Type, "Reason": ev.Reason, "WeekStart": ev.WeekStart, "SwappedTo": ev.SwappedTo,
			"Shifts": views, "Link": h.BaseURL + "/my/shifts", "AckLink": ackLink,
		})
	})
}

// emailDecision tells a person their time-off or swap request was decided.
func (h *Handlers) emailDecision(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	kind, data := tmplTimeOff, map[string]any{}
	switch p.Type {
	case EventTimeOffDecided:
		var d TimeOffEvent
		if err := json.Unmarshal(p.Data, &d); err != nil {
			return fmt.Errorf("worker: timeoff data: %w", asynq.SkipRetry)
		}
		if d.Status == "pending" {
			return nil
		}
		data = map[string]any{"StartsOn": d.StartsOn, "EndsOn": d.EndsOn, "Status": d.Status, "Reason": d.Reason}
	case EventSwapDecided:
		var d SwapDecision
		if err := json.Unmarshal(p.Data, &d); err != nil {
			return fmt.Errorf("worker: swap data: %w", asynq.SkipRetry)
		}
		loc, err := h.location(ctx)
		if err != nil {
			return err
		}
		v := viewShift(Shift{StartsAt: d.ShiftStartsAt, EndsAt: d.ShiftEndsAt}, loc)
		kind, data = tmplSwap, map[string]any{"Status": d.Status, "Day": v.Day, "From": v.From, "To": v.To,
			"Department": d.DepartmentName, "Offerer": d.FromName, "Colleague": d.ToName}
	default:
		return fmt.Errorf("worker: decision event %q: %w", p.Type, asynq.SkipRetry)
	}
	return h.sendOnce(ctx, eventRef(p.Seq), p.UserID, p.Type, func(r notify.Recipient) (mail.Message, error) {
		data["Name"], data["Link"] = r.FirstName, h.BaseURL+"/"
		return h.render(kind, r.Email, data)
	})
}

// emailReport tells the requester their export is ready (or failed).
func (h *Handlers) emailReport(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	var d ReportReady
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(p.Data, &d); err != nil {
		return fmt.Errorf("worker: report data: %w", asynq.SkipRetry)
	}
	return h.sendOnce(ctx, eventRef(p.Seq), p.UserID, p.Type, func(r notify.Recipient) (mail.Message, error) {
		return h.render(tmplReport, r.Email, map[string]any{"Name": r.FirstName, "Kind": d.Kind, "Format": d.Format,
			"Status": d.Status, "DownloadURL": d.DownloadURL})
	})
}
