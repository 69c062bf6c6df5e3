package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

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

func (h *Handlers) location(ctx context.Context) (*time.Location, error) {
	st, err := h.Store(ctx)
	if err != nil {
		return nil, err
	}
	return st.Location(), nil
}

func eventRef(seq int64) string { return fmt.Sprintf("seq:%d", seq) }

// emailShift sends the digest of a publish, or one changed shift, by
// e-mail and SMS.
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
	n := note{ref: eventRef(p.Seq), userID: p.UserID, kind: notify.KindShift, event: p.Type, soonest: ev.Shifts[0].StartsAt}
	views := make([]shiftView, len(ev.Shifts))
	for i, s := range ev.Shifts {
		views[i] = viewShift(s, loc)
		if s.StartsAt.Before(n.soonest) {
			n.soonest = s.StartsAt
		}
	}
	mailErr := h.sendEmail(ctx, t, n, func(ctx context.Context, r notify.Recipient) (string, map[string]any, error) {
		ackLink, err := h.publishAckLink(ctx, p.UserID, ev)
		if err != nil {
			return "", nil, err
		}
		return tmplShift, map[string]any{
			"Name": r.FirstName, "Event": p.Type, "Reason": ev.Reason, "WeekStart": ev.WeekStart, "SwappedTo": ev.SwappedTo,
			"Shifts": views, "Link": h.BaseURL + "/my/shifts", "AckLink": ackLink,
		}, nil
	})
	return errors.Join(mailErr, h.sendSMS(ctx, t, n, shiftSMS(p.Type, views)))
}

// emailDecision tells a person their time-off or swap request was decided,
// by e-mail and SMS.
func (h *Handlers) emailDecision(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	n := note{ref: eventRef(p.Seq), userID: p.UserID, event: p.Type}
	tmpl, data, text := tmplTimeOff, map[string]any{}, ""
	switch p.Type {
	case EventTimeOffDecided:
		var d TimeOffEvent
		if err := json.Unmarshal(p.Data, &d); err != nil {
			return fmt.Errorf("worker: timeoff data: %w", asynq.SkipRetry)
		}
		if d.Status == "pending" {
			return nil
		}
		n.kind = notify.KindTimeOff
		data = map[string]any{"StartsOn": d.StartsOn, "EndsOn": d.EndsOn, "Status": d.Status, "Reason": d.Reason}
		text = fmt.Sprintf("Time off %s to %s: %s.", d.StartsOn, d.EndsOn, d.Status)
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
		n.kind = notify.KindSwap
		tmpl, data = tmplSwap, map[string]any{"Status": d.Status, "Day": v.Day, "From": v.From, "To": v.To,
			"Department": d.DepartmentName, "Offerer": d.FromName, "Colleague": d.ToName}
		text = fmt.Sprintf("Swap of your %s %s–%s shift: %s.", v.Day, v.From, v.To, d.Status)
	default:
		return fmt.Errorf("worker: decision event %q: %w", p.Type, asynq.SkipRetry)
	}
	mailErr := h.sendEmail(ctx, t, n, func(_ context.Context, r notify.Recipient) (string, map[string]any, error) {
		data["Name"], data["Link"] = r.FirstName, h.BaseURL+"/"
		return tmpl, data, nil
	})
	return errors.Join(mailErr, h.sendSMS(ctx, t, n, smsText(text)))
}

// emailReport tells the requester their export is ready (or failed). It
// follows only the e-mail switch: the person asked for it.
func (h *Handlers) emailReport(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	var d ReportReady
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(p.Data, &d); err != nil {
		return fmt.Errorf("worker: report data: %w", asynq.SkipRetry)
	}
	n := note{ref: eventRef(p.Seq), userID: p.UserID, kind: "report", event: p.Type}
	return h.sendEmail(ctx, t, n, func(_ context.Context, r notify.Recipient) (string, map[string]any, error) {
		return tmplReport, map[string]any{"Name": r.FirstName, "Kind": d.Kind, "Format": d.Format,
			"Status": d.Status, "DownloadURL": d.DownloadURL}, nil
	})
}
