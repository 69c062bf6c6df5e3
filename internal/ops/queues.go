package ops

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/worker"
)

// Queues shows the asynq queues to admins.
type Queues struct{ Inspector *asynq.Inspector }

// QueueStat is one queue's numbers.
type QueueStat struct {
	Queue          string  `json:"queue"`
	Paused         bool    `json:"paused"`
	Size           int     `json:"size"`
	Pending        int     `json:"pending"`
	Active         int     `json:"active"`
	Scheduled      int     `json:"scheduled"`
	Retry          int     `json:"retry"`
	Archived       int     `json:"archived"`
	LatencySeconds float64 `json:"latency_seconds"`
	ProcessedToday int     `json:"processed_today"`
	FailedToday    int     `json:"failed_today"`
}

// Task is one failed task.
type Task struct {
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	State        string     `json:"state"`
	Retried      int        `json:"retried"`
	MaxRetry     int        `json:"max_retry"`
	LastError    string     `json:"last_error"`
	LastFailedAt *time.Time `json:"last_failed_at"`
}

var queueNames = []string{worker.QueueCritical, worker.QueueDefault, worker.QueueReports}

func knownQueue(q string) error {
	for _, n := range queueNames {
		if n == q {
			return nil
		}
	}
	return apperr.NotFoundf("queue")
}

// Overview returns every queue's numbers.
func (q *Queues) Overview(p auth.Principal) ([]QueueStat, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return nil, err
	}
	known, err := q.Inspector.Queues()
	if err != nil {
		return nil, fmt.Errorf("ops: queues: %w", err)
	}
	out := make([]QueueStat, 0, len(queueNames))
	for _, name := range queueNames {
		if !slices.Contains(known, name) { // no task was ever enqueued there
			out = append(out, QueueStat{Queue: name})
			continue
		}
		info, err := q.Inspector.GetQueueInfo(name)
		if err != nil {
			return nil, fmt.Errorf("ops: queue %s: %w", name, err)
		}
		out = append(out, QueueStat{Queue: name, Paused: info.Paused, Size: info.Size, Pending: info.Pending, Active: info.Active,
			Scheduled: info.Scheduled, Retry: info.Retry, Archived: info.Archived, LatencySeconds: info.Latency.Seconds(),
			ProcessedToday: info.Processed, FailedToday: info.Failed})
	}
	return out, nil
}

// Failed lists a queue's tasks waiting for a retry ("retry") or given up
// ("archived"), one page of 50.
func (q *Queues) Failed(p auth.Principal, queue, state string, page int) ([]Task, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return nil, err
	}
	if err := knownQueue(queue); err != nil {
		return nil, err
	}
	list := q.Inspector.ListArchivedTasks
	switch state {
	case "archived", "":
	case "retry":
		list = q.Inspector.ListRetryTasks
	default:
		return nil, apperr.Field("state", "must be archived or retry")
	}
	infos, err := list(queue, asynq.PageSize(50), asynq.Page(max(page, 1)))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return []Task{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ops: list tasks: %w", err)
	}
	out := make([]Task, 0, len(infos))
	for _, ti := range infos {
		t := Task{ID: ti.ID, Type: ti.Type, State: ti.State.String(), Retried: ti.Retried, MaxRetry: ti.MaxRetry, LastError: ti.LastErr}
		if !ti.LastFailedAt.IsZero() {
			at := ti.LastFailedAt.UTC()
			t.LastFailedAt = &at
		}
		out = append(out, t)
	}
	return out, nil
}

// Retry runs an archived or retrying task now.
func (q *Queues) Retry(p auth.Principal, queue, id string) error {
	if err := auth.RequireAdmin(p); err != nil {
		return err
	}
	if err := knownQueue(queue); err != nil {
		return err
	}
	err := q.Inspector.RunTask(queue, id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return apperr.NotFoundf("task")
	}
	return err
}
