package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/push"
)

// TypePush sends a Web Push notification about one event to one person.
const TypePush = "push:send"

// PushPayload is the event a push task notifies about.
type PushPayload struct {
	Seq    int64           `json:"seq"`
	UserID int64           `json:"user_id"`
	Event  string          `json:"event"`
	Data   json.RawMessage `json:"data"`
}

// NewPushTask returns the push task of a personal event (on user:<id>), or
// nil when the event notifies nobody. Its TaskID names the event and the
// person, so the relay's retries enqueue it once; push_deliveries makes the
// handler itself idempotent too.
func NewPushTask(e outbox.Event) (*asynq.Task, error) {
	uid, ok := push.UserOf(e.Topic)
	if !ok || !push.Events[e.Type] {
		return nil, nil
	}
	b, err := json.Marshal(PushPayload{Seq: e.Seq, UserID: uid, Event: e.Type, Data: e.Data})
	if err != nil {
		return nil, fmt.Errorf("worker: push payload: %w", err)
	}
	return asynq.NewTask(TypePush, b, asynq.TaskID(fmt.Sprintf("%s:%d:%d", TypePush, e.Seq, uid)),
		asynq.Queue(QueueCritical), asynq.MaxRetry(8), asynq.Timeout(time.Minute), asynq.Retention(time.Hour)), nil
}

// pushTasks is the push part of TasksForEvent.
func pushTasks(e outbox.Event) ([]*asynq.Task, error) {
	t, err := NewPushTask(e)
	if err != nil || t == nil {
		return nil, err
	}
	return []*asynq.Task{t}, nil
}

// sendPush delivers one push task; without a push service it does nothing.
func (h *Handlers) sendPush(ctx context.Context, t *asynq.Task) error {
	var p PushPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("worker: push payload: %v: %w", err, asynq.SkipRetry)
	}
	if h.Push == nil {
		return nil
	}
	loc, err := h.pushLocation(ctx)
	if err != nil {
		return err
	}
	msg, ok := push.MessageFor(p.Event, p.Data, p.Seq, loc)
	if !ok {
		return nil
	}
	n := note{ref: eventRef(p.Seq), userID: p.UserID, kind: pushKind(p.Event), event: p.Event, soonest: soonestShift(p.Data)}
	return h.deliver(ctx, t, n, notify.ChannelPush, false, func(ctx context.Context) error {
		res, err := h.Push.Deliver(ctx, push.EventRef(p.Seq), p.UserID, msg)
		if res.Removed > 0 {
			h.Log.Info("expired push subscriptions removed", "user_id", p.UserID, "count", res.Removed)
		}
		return err
	})
}

// pushKind is the preference kind of a pushed event.
func pushKind(event string) string {
	switch event {
	case EventTimeOffDecided:
		return notify.KindTimeOff
	case EventSwapDecided:
		return notify.KindSwap
	case "shift.reminder":
		return notify.KindReminder
	}
	return notify.KindShift
}

// soonestShift is the earliest shift start in a shift event's data (zero
// for other events).
func soonestShift(data json.RawMessage) time.Time {
	var ev ShiftEvent
	var soonest time.Time
	if json.Unmarshal(data, &ev) == nil {
		for _, s := range ev.Shifts {
			if soonest.IsZero() || s.StartsAt.Before(soonest) {
				soonest = s.StartsAt
			}
		}
	}
	return soonest
}

// pushReminder sends the shift reminder to the person's devices, once per
// ref (the reminder's id), beside the reminder e-mail. It does nothing
// without a push service.
func (h *Handlers) pushReminder(ctx context.Context, t *asynq.Task, n note, startsAt, endsAt time.Time) error {
	if h.Push == nil {
		return nil
	}
	loc, err := h.pushLocation(ctx)
	if err != nil {
		return err
	}
	data, err := json.Marshal(map[string]time.Time{"starts_at": startsAt, "ends_at": endsAt})
	if err != nil {
		return err
	}
	msg, _ := push.MessageFor("shift.reminder", data, 0, loc)
	msg.Tag = n.ref
	return h.deliver(ctx, t, n, notify.ChannelPush, false, func(ctx context.Context) error {
		_, err := h.Push.Deliver(ctx, n.ref, n.userID, msg)
		return err
	})
}

// pushLocation is the store's zone for times in messages (UTC without a store).
func (h *Handlers) pushLocation(ctx context.Context) (*time.Location, error) {
	if h.Store == nil {
		return time.UTC, nil
	}
	st, err := h.Store(ctx)
	if err != nil {
		return nil, err
	}
	return st.Location(), nil
}
