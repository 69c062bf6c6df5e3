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

// ReportTimeout bounds one export attempt; a killed worker's task comes
// back after its lease expires and runs again.
const ReportTimeout = 30 * time.Minute

// ReportPayload names the report.
type ReportPayload struct {
	ReportID int64 `json:"report_id"`
}

// NewReportTask returns the export task of a report; its TaskID makes a
// second enqueue of the same report a no-op.
func NewReportTask(id int64) (*asynq.Task, error) {
	b, err := json.Marshal(ReportPayload{ReportID: id})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeReportExport, b, asynq.TaskID(fmt.Sprintf("report:%d", id)), asynq.Queue(QueueReports),
		asynq.MaxRetry(5), asynq.Timeout(ReportTimeout), asynq.Retention(24*time.Hour)), nil
}

// ReportQueue enqueues exports through asynq (reports.Enqueuer).
type ReportQueue struct{ Client *asynq.Client }

var _ reports.Enqueuer = ReportQueue{}

// EnqueueExport queues report id once.
func (q ReportQueue) EnqueueExport(ctx context.Context, id int64) error {
	t, err := NewReportTask(id)
	if err != nil {
		return err
	}
	if _, err := q.Client.EnqueueContext(ctx, t); err != nil && !isDuplicate(err) {
		return fmt.Errorf("worker: enqueue report %d: %w", id, err)
	}
	return nil
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
