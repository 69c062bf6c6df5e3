package ops

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/cloud/scaling"
	"github.com/crumbcommander/crumb/internal/cloud/sns"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/worker"
)

// maxSNSBody bounds a webhook body (SNS messages are at most 256 KiB).
const maxSNSBody = 300 << 10

// seenTTL is how long an SNS MessageId is remembered (SNS retries within it).
const seenTTL = 24 * time.Hour

// QueuePauser pauses and resumes queues (asynq.Inspector).
type QueuePauser interface {
	PauseQueue(queue string) error
	UnpauseQueue(queue string) error
}

// TaskEnqueuer enqueues a task (asynq.Client).
type TaskEnqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Hook serves POST /hooks/sns.
type Hook struct {
	Verifier *sns.Verifier
	// TopicARN, when set, is the only topic accepted.
	TopicARN string
	// PauseAlarms are the alarms whose ALARM state pauses the reports queue.
	PauseAlarms []string
	Queues      QueuePauser
	Tasks       TaskEnqueuer
	Writer      *outbox.Writer
	Redis       redis.UniversalClient
	Log         *slog.Logger
	Clock       func() time.Time
}

// alarmMessage is the CloudWatch alarm notification inside an SNS message.
type alarmMessage struct {
	AlarmName       string `json:"AlarmName"`
	NewStateValue   string `json:"NewStateValue"`
	NewStateReason  string `json:"NewStateReason"`
	StateChangeTime string `json:"StateChangeTime"`
}

type lifecycleMessage struct {
	scaling.Action
	Event string `json:"Event"`
}

// ServeHTTP verifies and handles one SNS message. Anything that fails
// verification is 403 and changes nothing.
func (h *Hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSNSBody))
	var m sns.Message
	if err == nil {
		err = json.Unmarshal(body, &m)
	}
	if err != nil {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if err := h.Verifier.Verify(ctx, &m); err != nil || (h.TopicARN != "" && m.TopicArn != h.TopicARN) {
		h.Log.Warn("sns message refused", "type", m.Type, "topic", m.TopicArn, "err", err)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	switch m.Type {
	case sns.TypeSubscriptionConfirmation:
		err = h.Verifier.Confirm(ctx, &m)
		if err == nil {
			h.Log.Info("sns subscription confirmed", "topic", m.TopicArn)
		}
	case sns.TypeNotification:
		err = h.notification(ctx, &m)
	}
	if err != nil {
		h.Log.Error("sns message failed", "type", m.Type, "message_id", m.MessageID, "err", err)
		// 5xx makes SNS deliver again later.
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Hook) notification(ctx context.Context, m *sns.Message) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(m.Message), &probe); err != nil {
		h.Log.Info("sns notification ignored: not JSON", "message_id", m.MessageID)
		return nil
	}
	if _, ok := probe["AlarmName"]; ok {
		var a alarmMessage
		if err := json.Unmarshal([]byte(m.Message), &a); err != nil {
			return nil
		}
		return h.alarm(ctx, m.MessageID, a)
	}
	if _, ok := probe["LifecycleTransition"]; ok {
		var l lifecycleMessage
		if err := json.Unmarshal([]byte(m.Message), &l); err != nil {
			return nil
		}
		if l.Transition != "autoscaling:EC2_INSTANCE_TERMINATING" || l.InstanceID == "" {
			return nil
		}
		return PostNotice(ctx, h.Redis, l.Action)
	}
	return nil
}

// alarm pauses or resumes the reports queue, tells the admins live and by
// e-mail. A repeated SNS delivery (same MessageId) repeats only the
// idempotent parts.
func (h *Hook) alarm(ctx context.Context, msgID string, a alarmMessage) error {
	at, err := time.Parse(time.RFC3339, a.StateChangeTime)
	if err != nil {
		at, err = time.Parse("2006-01-02T15:04:05.000-0700", a.StateChangeTime)
	}
	if err != nil {
		at = h.Clock()
	}
	ev := worker.Alarm{Alarm: a.AlarmName, State: a.NewStateValue, Reason: a.NewStateReason, At: at.UTC(), MessageID: msgID}
	if slices.Contains(h.PauseAlarms, a.AlarmName) {
		switch a.NewStateValue {
		case "ALARM":
			if err := h.Queues.PauseQueue(worker.QueueReports); err != nil && !alreadyPaused(err) {
				return err
			}
			ev.Paused = true
		case "OK":
			if err := h.Queues.UnpauseQueue(worker.QueueReports); err != nil && !alreadyPaused(err) {
				return err
			}
			ev.Resumed = true
		}
	}
	first, err := h.Redis.SetNX(ctx, "crumb:sns:"+msgID, 1, seenTTL).Result()
	if err != nil {
		return err
	}
	if first {
		if err := worker.EmitAlarm(ctx, h.Writer, ev); err != nil {
			h.Redis.Del(context.WithoutCancel(ctx), "crumb:sns:"+msgID)
			return err
		}
	}
	t, err := worker.NewAlarmTask(ev)
	if err != nil {
		return err
	}
	if _, err := h.Tasks.EnqueueContext(ctx, t); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	return nil
}

// alreadyPaused: asynq refuses to pause a paused queue (and to unpause a
// running one); both mean the wanted state holds.
func alreadyPaused(err error) bool {
	return strings.Contains(err.Error(), "already paused") || strings.Contains(err.Error(), "not paused")
}
