package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/reports"
)

// TypeReportExport builds one report.
const TypeReportExport = "report:export"

// ReportTimeout bounds one export attempt. A killed worker's export is
// retried by the report sweep once its reports.LeaseTTL lapses.
const ReportTimeout = 30 * time.Minute

// ReportPayload names the report.
type ReportPayload struct {
	ReportID int64 `json:"report_id"`
}

// NewReportTask returns the export task of a report after its attempt-th
// attempt (0 when none ran); its TaskID makes a second enqueue for the same
// attempt a no-op. A lapsed attempt's task may still sit leased in the
// queue, so the next attempt's task needs an ID of its own.
func NewReportTask(id int64, attempt int) (*asynq.Task, error) {
	b, err := json.Marshal(ReportPayload{ReportID: id})
	if err != nil {
		return nil, err
	}
	taskID := fmt.Sprintf("report:%d", id)
	if attempt > 0 {
		taskID = fmt.Sprintf("report:%d:%d", id, attempt)
	}
	return asynq.NewTask(TypeReportExport, b, asynq.TaskID(taskID), asynq.Queue(QueueReports),
		asynq.MaxRetry(5), asynq.Timeout(ReportTimeout), asynq.Retention(24*time.Hour)), nil
}

// ReportQueue enqueues exports through asynq (reports.Enqueuer).
type ReportQueue struct{ Client *asynq.Client }

var _ reports.Enqueuer = ReportQueue{}

// EnqueueExport queues report id once.
func (q ReportQueue) EnqueueExport(ctx context.Context, id int64) error {
	return q.enqueue(ctx, reports.Attempt{ReportID: id})
}

// enqueue queues the task that follows attempt a.
func (q ReportQueue) enqueue(ctx context.Context, a reports.Attempt) error {
	t, err := NewReportTask(a.ReportID, a.Attempt)
	if err != nil {
		return err
	}
	if _, err := q.Client.EnqueueContext(ctx, t); err != nil && !isDuplicate(err) {
		return fmt.Errorf("worker: enqueue report %d: %w", a.ReportID, err)
	}
	return nil
}

// ReportSweepInterval is how often every worker looks for exports whose
// lease lapsed (reports.LeaseTTL).
const ReportSweepInterval = 5 * time.Second

// RetryReports queues the next attempt of each report in as and marks it
// retrying (reports.Service.Retry, which fails one that used all its
// attempts). The worker's sweep passes the lapsed reports; the embedded
// server, on start, every unfinished one, since its queue did not survive
// the process. The task is queued before the status changes, so a failure
// in between leaves the report for the next sweep rather than stranded.
func (h *Handlers) RetryReports(ctx context.Context, as []reports.Attempt) (int, error) {
	q := ReportQueue{Client: h.Queue}
	n := 0
	for _, a := range as {
		if a.Attempt < reports.MaxAttempts {
			if err := q.enqueue(ctx, a); err != nil {
				return n, err
			}
		}
		retried, err := h.Reports.Retry(ctx, a)
		if err != nil {
			return n, err
		}
		if retried {
			h.Log.Info("report export retried", "report", a.ReportID, "attempts", a.Attempt)
			n++
		}
	}
	return n, nil
}

// sweepReports retries lapsed exports every ReportSweepInterval until stop.
func (h *Handlers) sweepReports(stop <-chan struct{}) {
	tick := time.NewTicker(ReportSweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), ReportSweepInterval)
		lapsed, err := h.Reports.Lapsed(ctx)
		if err == nil {
			_, err = h.RetryReports(ctx, lapsed)
		}
		cancel()
		if err != nil {
			h.Log.Warn("report sweep", "err", err)
		}
	}
}

// reportExport builds the report; the last failed attempt marks it failed
// with the error as reason.
func (h *Handlers) reportExport(ctx context.Context, t *asynq.Task) error {
	var p ReportPayload
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	st, err := h.Store(ctx)
	if err != nil {
		return err
	}
	err = h.Reports.Export(ctx, p.ReportID, st)
	if err == nil {
		return nil
	}
	retried, _ := asynq.GetRetryCount(ctx)
	max, _ := asynq.GetMaxRetry(ctx)
	if retried >= max && ctx.Err() == nil {
		h.Log.Warn("report export failed", "report", p.ReportID, "err", err)
		return h.Reports.Fail(context.WithoutCancel(ctx), p.ReportID, "the export failed; try again later")
	}
	return err
}
