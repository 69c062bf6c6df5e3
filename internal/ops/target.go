package ops

import (
	"context"
	"log/slog"
	"time"
)

// TargetWatch drains as soon as Auto Scaling has decided to terminate this
// instance: its target lifecycle state (instance metadata
// autoscaling/target-lifecycle-state) turns "Terminated" when the
// termination starts, before the load balancer has finished deregistering
// the instance and before the termination hook's notice or SIGTERM arrive,
// in whatever order AWS sends those. So the sockets are closed by the app
// (reconnect, 1012) within the deregistration delay, not cut by the load
// balancer when it ends. The hook and SIGTERM drain again later, which
// finds nothing left.
type TargetWatch struct {
	// State returns the target lifecycle state ("InService", "Terminated", ...).
	State        func(ctx context.Context) (string, error)
	Drainers     []Drainer
	DrainTimeout time.Duration
	Interval     time.Duration
	Log          *slog.Logger
}

// DefaultTargetInterval is how often TargetWatch reads the state.
const DefaultTargetInterval = 5 * time.Second

// Run polls until ctx ends or it has drained once.
func (w *TargetWatch) Run(ctx context.Context) {
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultTargetInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		state, err := w.State(ctx)
		if err == nil && state == "Terminated" {
			w.Log.Info("instance is being terminated: draining")
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.DrainTimeout)
			for _, d := range w.Drainers {
				if err := d.Drain(dctx); err != nil {
					w.Log.Warn("drain", "err", err)
				}
			}
			cancel()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
