package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/cloud/scaling"
)

// The SNS webhook is served by whichever node the load balancer picks (and
// worker instances serve no HTTP at all), so a termination notice is posted
// to Redis under the instance's id and each node watches for its own.
const noticeTTL = 2 * time.Hour

func noticeKey(instanceID string) string { return "crumb:lifecycle:" + instanceID }

// PostNotice records a termination notice for its instance.
func PostNotice(ctx context.Context, r redis.UniversalClient, a scaling.Action) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return r.Set(ctx, noticeKey(a.InstanceID), b, noticeTTL).Err()
}

// Drainer is a component that can stop taking work and finish what it has:
// the hub (closing sockets so clients reconnect elsewhere) and the worker.
type Drainer interface {
	Drain(ctx context.Context) error
}

// Completer completes a lifecycle action (cloud/scaling.Completer).
type Completer interface {
	Complete(ctx context.Context, a scaling.Action) error
}

// Lifecycle watches for this instance's termination notice, drains, then
// lets Auto Scaling proceed.
type Lifecycle struct {
	Redis      redis.UniversalClient
	InstanceID string
	Drainers   []Drainer
	Completer  Completer
	// DrainTimeout bounds the drain; the action completes regardless.
	DrainTimeout time.Duration
	Interval     time.Duration
	Log          *slog.Logger
	// Done is called after the action completed (the process exits).
	Done func()
}

// Run polls until ctx ends or the notice was handled.
func (l *Lifecycle) Run(ctx context.Context) error {
	if l.InstanceID == "" {
		return nil
	}
	interval := l.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		handled, err := l.Check(ctx)
		if err != nil {
			l.Log.Warn("lifecycle check", "err", err)
		}
		if handled {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Check handles a pending notice for this instance, if any. GETDEL makes
// sure only one watcher of the instance handles it.
func (l *Lifecycle) Check(ctx context.Context) (bool, error) {
	b, err := l.Redis.GetDel(ctx, noticeKey(l.InstanceID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var a scaling.Action
	if err := json.Unmarshal(b, &a); err != nil {
		return false, fmt.Errorf("ops: lifecycle notice: %w", err)
	}
	l.Log.Info("termination notice: draining", "instance", a.InstanceID, "group", a.Group)
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.DrainTimeout)
	for _, d := range l.Drainers {
		if err := d.Drain(dctx); err != nil {
			l.Log.Warn("drain", "err", err)
		}
	}
	cancel()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := l.Completer.Complete(cctx, a); err != nil {
		return true, err
	}
	l.Log.Info("lifecycle action completed", "instance", a.InstanceID)
	if l.Done != nil {
		l.Done()
	}
	return true, nil
}
