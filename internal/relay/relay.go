// Package relay hands committed outbox events to the hub's broker and
// enqueues the background tasks they cause. The fast path
// runs right after commit (outbox.Writer.SetNotifier); a sweep publishes
// events committed but never marked relayed, so a crash between commit and
// publish loses nothing. Retention of the event table is the worker's
// maintenance task (worker.TypeMaintenance), not the relay's.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/worker"
)

// Defaults of Relay.
const (
	DefaultSweepInterval = 5 * time.Second
	// DefaultSweepAge is how old an unrelayed event must be before the sweep
	// takes it, so that it does not race the fast path.
	DefaultSweepAge = 5 * time.Second
	sweepPage       = 500
	fastQueue       = 1024
)

// Enqueuer enqueues tasks; *asynq.Client implements it.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

var _ Enqueuer = (*asynq.Client)(nil)

// Relay publishes events and enqueues their tasks.
type Relay struct {
	Broker   hub.Broker
	Events   outbox.Reader
	Enqueuer Enqueuer // nil enqueues nothing
	// Tasks maps an event to its tasks; nil means worker.TasksForEvent.
	Tasks func(outbox.Event) ([]*asynq.Task, error)
	// Sequence numbers committed events that no writer has numbered (a
	// crash between commit and numbering); the sweep runs it first. nil
	// skips the step.
	Sequence      func(context.Context) error
	Log           *slog.Logger
	Clock         func() time.Time
	SweepInterval time.Duration
	SweepAge      time.Duration

	fast chan []outbox.Event
}

var _ outbox.Notifier = (*Relay)(nil)

// Committed is the after-commit hook. It never blocks the writer: when the
// fast queue is full the sweep publishes the events a little later.
func (r *Relay) Committed(events []outbox.Event) {
	select {
	case r.fast <- events:
	default:
	}
}

// Init prepares the fast queue; call it before installing the notifier.
func (r *Relay) Init() *Relay {
	if r.fast == nil {
		r.fast = make(chan []outbox.Event, fastQueue)
	}
	if r.Tasks == nil {
		r.Tasks = worker.TasksForEvent
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.Clock == nil {
		r.Clock = time.Now
	}
	if r.SweepInterval <= 0 {
		r.SweepInterval = DefaultSweepInterval
	}
	if r.SweepAge <= 0 {
		r.SweepAge = DefaultSweepAge
	}
	return r
}

// Run relays until ctx ends, then publishes what the fast queue still holds.
// The fast path publishes at once and marks events relayed in batches (the
// mark is a database write; it must not sit between a commit and the next
// publish).
func (r *Relay) Run(ctx context.Context) error {
	r.Init()
	tick := time.NewTicker(r.SweepInterval)
	defer tick.Stop()
	markTick := time.NewTicker(markInterval)
	defer markTick.Stop()
	var marks []int64
	mark := func(ctx context.Context) {
		if len(marks) == 0 {
			return
		}
		if err := r.Events.MarkRelayed(ctx, marks, r.Clock()); err != nil {
			r.Log.Warn("relay: mark relayed failed; the sweep will republish", "err", err)
		}
		marks = marks[:0]
	}
	for {
		select {
		case <-ctx.Done():
			done, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		drain:
			for {
				select {
				case evs := <-r.fast:
					if seqs, err := r.publish(done, evs); err == nil {
						marks = append(marks, seqs...)
					}
				default:
					break drain
				}
			}
			mark(done)
			cancel()
			return nil
		case evs := <-r.fast:
			// Take whatever else is waiting: one publish round trip for all.
			for more := true; more && len(evs) < sweepPage; {
				select {
				case next := <-r.fast:
					evs = append(evs, next...)
				default:
					more = false
				}
			}
			seqs, err := r.publish(ctx, evs)
			if err != nil {
				r.Log.Warn("relay: publish failed; the sweep will retry", "err", err)
			}
			marks = append(marks, seqs...)
			if len(marks) >= sweepPage {
				mark(ctx)
			}
		case <-markTick.C:
			mark(ctx)
		case <-tick.C:
			mark(ctx)
			if _, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
				r.Log.Warn("relay: sweep failed", "err", err)
			}
		}
	}
}

// markInterval is how long the fast path holds relayed seqs before marking
// them; well under SweepAge, so the sweep rarely republishes.
const markInterval = 200 * time.Millisecond

// Relay publishes events, enqueues their tasks and marks them relayed.
// Anything that fails leaves them unmarked for the sweep; publishing twice is
// harmless (hubs drop duplicates by seq, tasks carry a TaskID per event).
func (r *Relay) Relay(ctx context.Context, evs []outbox.Event) error {
	seqs, err := r.publish(ctx, evs)
	if merr := r.Events.MarkRelayed(ctx, seqs, r.Clock()); merr != nil {
		err = errors.Join(err, merr)
	}
	return err
}

// publish publishes evs and enqueues their tasks; it returns the seqs that
// are fully relayed.
func (r *Relay) publish(ctx context.Context, evs []outbox.Event) ([]int64, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	if err := r.Broker.Publish(ctx, evs); err != nil {
		return nil, err
	}
	seqs := make([]int64, 0, len(evs))
	var errs []error
	for _, e := range evs {
		if err := r.enqueue(ctx, e); err != nil {
			errs = append(errs, err)
			continue
		}
		seqs = append(seqs, e.Seq)
	}
	return seqs, errors.Join(errs...)
}

// enqueue enqueues the tasks of e with TaskID "<type>:<seq>". asynq offers
// no way to read a task's own options, so the relay's TaskID always applies
// (it is deterministic per event, which is what idempotency needs).
func (r *Relay) enqueue(ctx context.Context, e outbox.Event) error {
	tasks, err := r.Tasks(e)
	if err != nil {
		r.Log.Error("relay: tasks for event", "seq", e.Seq, "event", e.Type, "err", err)
		return nil // a bad mapping is a bug; retrying will not fix it
	}
	if len(tasks) > 0 && r.Enqueuer == nil {
		return nil
	}
	for _, t := range tasks {
		_, err := r.Enqueuer.EnqueueContext(ctx, t, asynq.TaskID(fmt.Sprintf("%s:%d", t.Type(), e.Seq)))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
			return fmt.Errorf("relay: enqueue %s for event %d: %w", t.Type(), e.Seq, err)
		}
	}
	return nil
}

// Requeue enqueues again the tasks of the events created since t, without
// publishing them, and returns how many events it went through. The
// embedded server calls it on start: its queue lived in its memory, so the
// tasks of events it relayed before it stopped may be lost. The tasks'
// TaskIDs and their handlers' claims (notifications, push deliveries) make
// a task that did run a no-op.
func (r *Relay) Requeue(ctx context.Context, t time.Time) (int, error) {
	r.Init()
	total := 0
	var after int64
	for {
		evs, err := r.Events.CreatedSince(ctx, t, after, sweepPage)
		if err != nil {
			return total, err
		}
		for _, e := range evs {
			if err := r.enqueue(ctx, e); err != nil {
				return total, err
			}
			after = e.Seq
		}
		total += len(evs)
		if len(evs) < sweepPage {
			return total, nil
		}
	}
}

// Sweep relays events committed at least SweepAge ago that are not marked
// relayed, oldest first, and returns how many it relayed.
func (r *Relay) Sweep(ctx context.Context) (int, error) {
	r.Init()
	if r.Sequence != nil {
		if err := r.Sequence(ctx); err != nil {
			return 0, err
		}
	}
	total := 0
	for {
		evs, err := r.Events.Unrelayed(ctx, r.Clock().Add(-r.SweepAge), sweepPage)
		if err != nil {
			return total, err
		}
		if err := r.Relay(ctx, evs); err != nil {
			return total, err
		}
		total += len(evs)
		if len(evs) < sweepPage {
			return total, nil
		}
	}
}
