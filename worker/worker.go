// Package worker holds the asynq task types (Type* constants, New*Task
// constructors, payload structs) and their handlers. `crumb worker` runs them
// as a fleet; the embedded default runs them in the serving process.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/idem"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/internal/reports"
)

// Queues and their weights: alerts first, reports only with spare capacity.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueReports  = "reports"
)

// QueueWeights are the asynq priorities of the queues.
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueReports: 1}

// Task types.
const (
	TypeMaintenance = "maintenance:cleanup"
)

// MaintenanceInterval is how often the cleanup task is scheduled.
const MaintenanceInterval = 10 * time.Minute

// MaintenancePayload names the period a cleanup run belongs to; its TaskID
// is derived from it, so every node may schedule it and it still runs once.
type MaintenancePayload struct {
	Period int64 `json:"period"`
}

// NewMaintenanceTask returns the cleanup task for the period containing now.
func NewMaintenanceTask(now time.Time) (*asynq.Task, error) {
	period := now.Unix() / int64(MaintenanceInterval/time.Second)
	b, err := json.Marshal(MaintenancePayload{Period: period})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeMaintenance, b,
		asynq.TaskID(fmt.Sprintf("maintenance:%d", period)), asynq.Queue(QueueDefault),
		asynq.Retention(MaintenanceInterval), asynq.MaxRetry(3)), nil
}

// Deps are what handlers need.
type Deps struct {
	Log      *slog.Logger
	Clock    func() time.Time
	Sessions *auth.Sessions
	Idem     *idem.Store
	Events   outbox.Reader
	// Retention returns the event retention in days (a store setting).
	Retention func(ctx context.Context) (int, error)

	// Store returns the store settings (zone, reminder hours, grace).
	Store  func(ctx context.Context) (people.Store, error)
	Writer *outbox.Writer
	Notify *notify.Store
	Mail   mail.Sender
	// BaseURL is the app's public address, for links in e-mails.
	BaseURL   string
	Queue     *asynq.Client
	Inspector *asynq.Inspector
	Reports   *reports.Service
	// Shifts and ClockIns come from the roster and attendance; nil means
	// timers trust their payload and no-show checks stand down.
	Shifts   ShiftLookup
	ClockIns ClockIns
	// Metrics, when set, receives queue metrics (CloudWatch) and Gauges.
	Metrics MetricsPublisher
	Gauges  *Gauges
	// Drain, when closed, makes Run stop taking new tasks.
	Drain <-chan struct{}
	// Push sends Web Push notifications; nil sends none.
	Push *push.Service
	// Comms is announcements and schedule acknowledgements; nil sends
	// neither.
	Comms Comms
	// SMS sends text messages to verified phones; nil sends none.
	SMS sms.Sender
}

// Handlers implements every task type.
type Handlers struct{ Deps }

// Mux routes task types to handlers.
func (h *Handlers) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeMaintenance, h.maintenance)
	mux.HandleFunc(TypeEmailShift, h.emailShift)
	mux.HandleFunc(TypeEmailDecision, h.emailDecision)
	mux.HandleFunc(TypeEmailReport, h.emailReport)
	mux.HandleFunc(TypeEmailReminder, h.emailReminder)
	mux.HandleFunc(TypeShiftTimers, h.shiftTimers)
	mux.HandleFunc(TypeNoShow, h.noShow)
	mux.HandleFunc(TypeReportExport, h.reportExport)
	mux.HandleFunc(TypeMetrics, h.publishMetrics)
	mux.HandleFunc(TypeAlarm, h.alarm)
	mux.HandleFunc(TypePush, h.sendPush)
	mux.HandleFunc(TypeNotifyRequest, h.notifyRequest)
	mux.HandleFunc(TypeAnnounceFanout, h.announceFanout)
	mux.HandleFunc(TypeAnnounceSend, h.announceSend)
	mux.HandleFunc(TypeAckTimer, h.ackTimer)
	mux.HandleFunc(TypeAckRemind, h.ackRemind)
	return mux
}

// maintenance deletes expired sessions and links, old idempotency keys and
// events past retention. Running it twice is harmless.
func (h *Handlers) maintenance(ctx context.Context, t *asynq.Task) error {
	var p MaintenancePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("worker: maintenance payload: %v: %w", err, asynq.SkipRetry)
	}
	now := h.Clock()
	if err := h.Sessions.DeleteExpired(ctx, now.Add(-24*time.Hour)); err != nil {
		return err
	}
	if err := auth.DeleteExpiredLinks(ctx, h.Sessions.W.DB, now.Add(-24*time.Hour)); err != nil {
		return err
	}
	if err := h.Idem.DeleteOlderThan(ctx, now.Add(-idem.Retention)); err != nil {
		return err
	}
	days, err := h.Retention(ctx)
	if err != nil {
		return err
	}
	n, err := h.Events.DeleteBefore(ctx, now.Add(-time.Duration(days)*24*time.Hour))
	if err != nil {
		return err
	}
	h.Log.Info("maintenance done", "events_deleted", n)
	return nil
}

// TaskCheckInterval is how often an idle processor polls for work: with
// asynq's default (1 s) a new task waits up to a second before it starts.
const TaskCheckInterval = 50 * time.Millisecond

// EmbeddedTaskCheckInterval is the idle poll on the in-process Redis
// (miniredis, embedded mode). It runs each of asynq's Lua scripts in a fresh
// Lua VM, and an idle poll runs one per queue: every 50 ms, that cost an
// idle server 6 % of a core and a steady stream of garbage, and the hub's
// p99 at 1,000 subscribers about a sixth. At this interval a task starts
// within about 0.4 s of its enqueue, which is still well within a second
// for e-mail and push. Real Redis runs the scripts natively and keeps
// TaskCheckInterval.
const EmbeddedTaskCheckInterval = 250 * time.Millisecond

// RetryDelay is the backoff between attempts: exponential from 10 s,
// capped at an hour, with up to 10% jitter.
func RetryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := 10 * time.Second << min(n, 9)
	d = min(d, time.Hour)
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// ServerConfig is the asynq configuration of every worker.
func ServerConfig(log *slog.Logger, concurrency int, shutdownTimeout time.Duration) asynq.Config {
	return asynq.Config{
		Concurrency:       concurrency,
		Queues:            QueueWeights,
		ShutdownTimeout:   shutdownTimeout,
		TaskCheckInterval: TaskCheckInterval,
		RetryDelayFunc:    RetryDelay,
		Logger:            slogAdapter{log},
		LogLevel:          asynq.WarnLevel,
	}
}

// Run serves tasks until ctx ends, then shuts down: the server stops taking
// tasks and waits up to shutdownTimeout for running handlers; those still
// running go back to the queue for another worker. Closing h.Drain earlier
// stops taking new tasks (an Auto Scaling termination notice). checkEvery
// is the idle poll (TaskCheckInterval or EmbeddedTaskCheckInterval).
func Run(ctx context.Context, opt asynq.RedisConnOpt, h *Handlers, concurrency int, shutdownTimeout, checkEvery time.Duration) error {
	cfg := ServerConfig(h.Log, concurrency, shutdownTimeout)
	cfg.TaskCheckInterval = checkEvery
	srv := asynq.NewServer(opt, cfg)
	if err := srv.Start(h.Mux()); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	stopSched := make(chan struct{})
	schedDone := make(chan struct{}, 2)
	go func() {
		defer func() { schedDone <- struct{}{} }()
		h.schedulePeriodic(opt, stopSched)
	}()
	go func() {
		defer func() { schedDone <- struct{}{} }()
		if h.Reports != nil {
			h.sweepReports(stopSched)
		}
	}()
	select {
	case <-ctx.Done():
	case <-h.Drain:
		srv.Stop()
		<-ctx.Done()
	}
	// Order: stop scheduling periodic tasks and sweeping reports, then let
	// handlers finish.
	close(stopSched)
	<-schedDone
	<-schedDone
	srv.Shutdown()
	return nil
}

// schedulePeriodic enqueues the cleanup task once per interval and, with
// CloudWatch on, the queue-metrics task and this node's gauges. Every worker
// does this; the TaskIDs make the duplicates collapse.
func (h *Handlers) schedulePeriodic(opt asynq.RedisConnOpt, stop <-chan struct{}) {
	client := asynq.NewClient(opt)
	defer client.Close()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		t, err := NewMaintenanceTask(h.Clock())
		if err == nil {
			_, err = client.Enqueue(t)
		}
		if err != nil && !isDuplicate(err) {
			h.Log.Warn("schedule maintenance", "err", err)
		}
		if h.Metrics != nil {
			if _, err := client.Enqueue(NewMetricsTask(h.Clock())); err != nil && !isDuplicate(err) {
				h.Log.Warn("schedule metrics", "err", err)
			}
			if h.Gauges != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				if err := h.Metrics.Publish(ctx, h.Clock(), h.Gauges.NodeData()); err != nil {
					h.Log.Warn("publish node metrics", "err", err)
				}
				cancel()
			}
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func isDuplicate(err error) bool {
	return errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
