package app

import (
	"context"
	"fmt"
	"time"
)

// ReplayWindow is how far back the embedded server, on start, queues again
// the tasks of committed events (e-mail, push, shift timers). Their queue
// lived in the process's memory; a task older than this (its e-mail retries
// long over) is not worth sending late.
const ReplayWindow = 24 * time.Hour

// resumeEmbedded re-derives, from the database, the work the embedded
// server's in-process queue held when the process last stopped (killed or
// not): claims of notifications whose send never finished are given back,
// the tasks of recent events are queued again, every unfinished report
// gets its next attempt, every published shift that has not ended gets its
// reminder and late check again, and every schedule acknowledgement reminder
// not yet sent is set again (from schedule_acks, however old its publish).
// Handlers are idempotent (claims, TaskIDs, the report status, the
// reminded_at mark), so work that did finish is not done twice. Call it before
// the worker starts, so no send is in flight while claims are released.
func (a *App) resumeEmbedded(ctx context.Context) error {
	released, err := a.Fleet.Notify.ReleaseUnsent(ctx)
	if err != nil {
		return fmt.Errorf("app: resume: %w", err)
	}
	events, err := a.Relay.Requeue(ctx, a.Clock().Add(-ReplayWindow))
	if err != nil {
		return fmt.Errorf("app: resume: %w", err)
	}
	h := a.Handlers()
	unfinished, err := a.Fleet.Reports.Unfinished(ctx)
	if err != nil {
		return fmt.Errorf("app: resume: %w", err)
	}
	if _, err := h.RetryReports(ctx, unfinished); err != nil {
		return fmt.Errorf("app: resume: %w", err)
	}
	// Reminders and late and no-show checks of shifts published before the
	// replay window: their timers were set by events not replayed.
	upcoming, err := a.Roster.UpcomingAssigned(ctx, a.Clock())
	if err != nil {
		return fmt.Errorf("app: resume: %w", err)
	}
	timed, err := h.RescheduleTimers(ctx, upcoming)
	if err != nil {
		return fmt.Errorf("app: resume: %w", err)
	}
	reminders, err := h.ResumeAckReminders(ctx)
	if err != nil {
		return fmt.Errorf("app: resume: %w", err)
	}
	a.Log.Info("embedded queue rebuilt", "unsent_claims_released", released, "events_requeued", events,
		"reports_resumed", len(unfinished), "shift_timers_set", timed, "ack_reminders", reminders)
	return nil
}
