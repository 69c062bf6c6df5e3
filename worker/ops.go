package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/cloud/metrics"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Ops task types.
const (
	TypeMetrics = "metrics:publish"
	TypeAlarm   = "scaling:alarm"
)

// MetricsInterval is how often queue metrics go to CloudWatch.
const MetricsInterval = time.Minute

// MetricsPublisher sends data points (cloud/metrics.Publisher).
type MetricsPublisher interface {
	Publish(ctx context.Context, at time.Time, ds []metrics.Datum) error
}

// Gauges reports this process's live numbers for CloudWatch.
type Gauges struct {
	Node string
	// Group is the Auto Scaling group this node belongs to: the serve
	// group's scaling policy and alarm read ConnectedSockets by
	// AutoScalingGroupName, so without it no socket metric is sent.
	Group            string
	ConnectedSockets func() int // nil on a worker-only node
	ExportsInFlight  func() int
}

// NewMetricsTask returns the publish task of the period containing now
// (one per period across the fleet, by TaskID).
func NewMetricsTask(now time.Time) *asynq.Task {
	period := now.Unix() / int64(MetricsInterval/time.Second)
	return asynq.NewTask(TypeMetrics, []byte(fmt.Sprintf(`{"period":%d}`, period)),
		asynq.TaskID(fmt.Sprintf("metrics:%d", period)), asynq.Queue(QueueCritical), asynq.MaxRetry(1),
		asynq.Retention(MetricsInterval), asynq.Timeout(30*time.Second))
}

// QueueData returns the pending tasks and the latency per queue as
// CloudWatch data.
func QueueData(insp *asynq.Inspector) ([]metrics.Datum, error) {
	known, err := insp.Queues()
	if err != nil {
		return nil, fmt.Errorf("worker: queues: %w", err)
	}
	var ds []metrics.Datum
	for _, q := range []string{QueueCritical, QueueDefault, QueueReports} {
		info := &asynq.QueueInfo{Queue: q} // a queue that never had a task does not exist yet
		if slices.Contains(known, q) {
			if info, err = insp.GetQueueInfo(q); err != nil {
				return nil, fmt.Errorf("worker: queue %s: %w", q, err)
			}
		}
		dim := map[string]string{"Queue": q}
		ds = append(ds,
			// Pending only: Size also counts active, scheduled, retrying,
			// archived and completed (retained) tasks, none of which a new
			// worker could pick up.
			metrics.Datum{Name: "QueueSize", Value: float64(info.Pending), Dimensions: dim},
			metrics.Datum{Name: "QueueLatencySeconds", Value: info.Latency.Seconds(), Unit: types.StandardUnitSeconds, Dimensions: dim})
	}
	return ds, nil
}

// publishMetrics sends queue sizes and latencies (fleet-wide numbers, once
// per period). Per-node gauges are sent by each node's own loop.
func (h *Handlers) publishMetrics(ctx context.Context, t *asynq.Task) error {
	if h.Metrics == nil || h.Inspector == nil {
		return nil
	}
	ds, err := QueueData(h.Inspector)
	if err != nil {
		return err
	}
	return h.Metrics.Publish(ctx, h.Clock(), ds)
}

// NodeData returns this node's gauges.
func (g Gauges) NodeData() []metrics.Datum {
	dim := map[string]string{"Node": g.Node}
	var ds []metrics.Datum
	if g.ConnectedSockets != nil && g.Group != "" {
		ds = append(ds, metrics.Datum{Name: "ConnectedSockets", Value: float64(g.ConnectedSockets()),
			Dimensions: map[string]string{"AutoScalingGroupName": g.Group}})
	}
	if g.ExportsInFlight != nil {
		ds = append(ds, metrics.Datum{Name: "ExportsInFlight", Value: float64(g.ExportsInFlight()), Dimensions: dim})
	}
	return ds
}

// PublishGauges sends g's data every MetricsInterval until ctx ends (serve
// nodes without an embedded worker, whose scheduler loop would otherwise
// send them).
func PublishGauges(ctx context.Context, p MetricsPublisher, g *Gauges, clock func() time.Time, log *slog.Logger) {
	tick := time.NewTicker(MetricsInterval)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		if err := p.Publish(pctx, clock(), g.NodeData()); err != nil && ctx.Err() == nil {
			log.Warn("publish node metrics", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Alarm is a CloudWatch alarm state change as the ops.alarm event carries it.
type Alarm struct {
	Alarm  string    `json:"alarm"`
	State  string    `json:"state"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	// MessageID is the SNS message id (the task's idempotency key).
	MessageID string `json:"message_id"`
	Paused    bool   `json:"paused,omitempty"`
	Resumed   bool   `json:"resumed,omitempty"`
}

// NewAlarmTask returns the e-mail-the-admins task of one SNS message.
func NewAlarmTask(a Alarm) (*asynq.Task, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeAlarm, b, asynq.TaskID("alarm:"+a.MessageID), asynq.Queue(QueueCritical),
		asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour)), nil
}

// alarm e-mails every admin about an alarm change, once per admin.
func (h *Handlers) alarm(ctx context.Context, t *asynq.Task) error {
	var a Alarm
	if err := decodePayload(t, &a); err != nil {
		return err
	}
	admins, err := h.Notify.Admins(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range admins {
		n := note{ref: "alarm:" + a.MessageID, userID: id, kind: "alarm", event: TypeAlarm}
		errs = append(errs, h.sendEmail(ctx, t, n, func(_ context.Context, r notify.Recipient) (string, map[string]any, error) {
			return tmplAlarm, map[string]any{"Name": r.FirstName, "Alarm": a.Alarm, "State": a.State,
				"Reason": a.Reason, "At": a.At.UTC().Format(time.RFC3339), "Paused": a.Paused, "Resumed": a.Resumed}, nil
		}))
	}
	return errors.Join(errs...)
}

// EmitAlarm records the ops.alarm event for the store topic (admins, live).
func EmitAlarm(ctx context.Context, w *outbox.Writer, a Alarm) error {
	return w.Do(ctx, func(tx *outbox.Tx) error {
		tx.Emit(outbox.TopicStore, EventOpsAlarm, map[string]any{"alarm": a.Alarm, "state": a.State, "reason": a.Reason, "at": a.At.UTC()})
		return nil
	})
}
