// Package worker holds the asynq task types (Type* constants, New*Task
// constructors, payload structs) and their handlers. `crumb worker` runs them
// as a fleet; the embedded default runs them in the serving process.
package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/idem"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/push"
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
	// Push sends Web Push notifications; nil sends none.
	Push *push.Service
	// Location is the store's time zone (for times in messages).
	Location func(ctx context.Context) (*time.Location, error)
}

// Handlers implements every task type.
type Handlers struct{ Deps }

// Mux routes task types to handlers.
func (h *Handlers) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeMaintenance, h.maintenance)
	mux.HandleFunc(TypePush, h.sendPush)
	return mux
}

// maintenance deletes expired sessions, old idempotency keys and events past
// retention. Running it twice is harmless.
func (h *Handlers) maintenance(ctx context.Context, t *asynq.Task) error {
	var p MaintenancePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("worker: maintenance payload: %v: %w", err, asynq.SkipRetry)
	}
	now := h.Clock()
	if err := h.Sessions.DeleteExpired(ctx, now.Add(-24*time.Hour)); err != nil {
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

// Run serves tasks until ctx ends, then shuts down: the server stops taking
// tasks and waits up to shutdownTimeout for running handlers.
func Run(ctx context.Context, opt asynq.RedisConnOpt, h *Handlers, concurrency int, shutdownTimeout time.Duration) error {
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:     concurrency,
		Queues:          QueueWeights,
		ShutdownTimeout: shutdownTimeout,
		Logger:          slogAdapter{h.Log},
		LogLevel:        asynq.WarnLevel,
	})
	if err := srv.Start(h.Mux()); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	stopSched := make(chan struct{})
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		h.scheduleMaintenance(opt, stopSched)
	}()
	<-ctx.Done()
	close(stopSched)
	<-schedDone
	srv.Shutdown()
	return nil
}

// scheduleMaintenance enqueues the cleanup task once per interval. Every
// worker does this; the TaskID makes the duplicates collapse.
func (h *Handlers) scheduleMaintenance(opt asynq.RedisConnOpt, stop <-chan struct{}) {
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
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func isDuplicate(err error) bool {
	return err == asynq.ErrTaskIDConflict || err == asynq.ErrDuplicateTask
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
