package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/cloud/scaling"
	"github.com/crumbcommander/crumb/internal/cloud/sns"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/worker"
)

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

// Hook handles the SNS messages POSTed to /hooks/sns.
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
	// SMS hears texts people send to our number (two-way SMS publishes
	// them to the topic); nil ignores them.
	SMS InboundSMS
}

// InboundSMS applies a text a person sent (notify.Store: STOP, START, HELP).
type InboundSMS interface {
	InboundSMS(ctx context.Context, messageID, from, body string) error
}

// inboundSMS is a two-way SMS message inside an SNS notification.
type inboundSMS struct {
	OriginationNumber string `json:"originationNumber"`
	DestinationNumber string `json:"destinationNumber"`
	MessageBody       string `json:"messageBody"`
	InboundMessageID  string `json:"inboundMessageId"`
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

// Handle verifies and handles one SNS message body (POST /hooks/sns). A
// message that is not SNS JSON is bad_request and one that fails
// verification forbidden, changing nothing. When the signing certificate
// cannot be fetched (DNS, timeout, an SNS 5xx) the answer is unavailable, as
// is any failure to apply a verified message, so that SNS delivers again.
func (h *Hook) Handle(ctx context.Context, body []byte) error {
	var m sns.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return apperr.New(apperr.BadRequest, "the body is not an SNS message")
	}
	err := h.Verifier.Verify(ctx, &m)
	if err == nil && h.TopicARN != "" && m.TopicArn != h.TopicARN {
		err = fmt.Errorf("%w: topic %s", sns.ErrInvalid, m.TopicArn)
	}
	if err != nil {
		h.Log.Warn("sns message refused", "type", m.Type, "topic", m.TopicArn, "err", err)
		if errors.Is(err, sns.ErrInvalid) {
			return apperr.New(apperr.Forbidden, "the message's signature or topic is not accepted")
		}
		return &apperr.Error{Code: apperr.Unavailable, RetryAfter: time.Minute,
			Message: "the signing certificate could not be fetched; deliver again later"}
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
		return fmt.Errorf("ops: sns %s %s: %w", m.Type, m.MessageID, err)
	}
	return nil
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
	if _, ok := probe["originationNumber"]; ok {
		var in inboundSMS
		if err := json.Unmarshal([]byte(m.Message), &in); err != nil || h.SMS == nil {
			return nil
		}
		id := in.InboundMessageID
		if id == "" {
			id = m.MessageID
		}
		return h.SMS.InboundSMS(ctx, id, in.OriginationNumber, in.MessageBody)
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
	apply := slices.Contains(h.PauseAlarms, a.AlarmName)
	if apply {
		// SNS neither orders nor stops retrying: a state change older than
		// the last one applied for this alarm is history, not a command.
		if apply, err = newestState(ctx, h.Redis, a.AlarmName, at); err != nil {
			return err
		}
	}
	if apply {
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

// alarmStateKey holds, per alarm, the StateChangeTime (Unix ms) of the
// newest state change applied to the reports queue.
const alarmStateKey = "crumb:sns:alarm-state:"

// newestStateScript stores ARGV[1] unless a later time is stored already and
// answers whether it did: redeliveries of the newest change apply again
// (pausing is idempotent), older changes do not.
var newestStateScript = redis.NewScript(`
local cur = tonumber(redis.call("GET", KEYS[1]) or "-1")
local at = tonumber(ARGV[1])
if at < cur then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1`)

// newestState reports whether a state change of alarm at at is not older
// than the newest one applied, recording it when so.
func newestState(ctx context.Context, rc redis.UniversalClient, alarm string, at time.Time) (bool, error) {
	n, err := newestStateScript.Run(ctx, rc, []string{alarmStateKey + alarm}, at.UnixMilli(), alarmStateTTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("ops: alarm state %s: %w", alarm, err)
	}
	return n == 1, nil
}

// alarmStateTTL bounds how long an applied state is remembered: far longer
// than SNS keeps retrying a delivery.
const alarmStateTTL = 14 * 24 * time.Hour

// alreadyPaused: asynq refuses to pause a paused queue (and to unpause a
// running one); both mean the wanted state holds.
func alreadyPaused(err error) bool {
	return strings.Contains(err.Error(), "already paused") || strings.Contains(err.Error(), "not paused")
}
