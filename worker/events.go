package worker

import (
	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/outbox"
)

// TasksForEvent maps a committed event to the background tasks it causes
// (e-mail, push, alerts). The relay enqueues them with asynq.TaskID derived
// from the event's seq, so a retried relay never enqueues twice.
//
// No event causes a task yet; the e-mail and alert tasks arrive with the
// worker issue.
func TasksForEvent(e outbox.Event) ([]*asynq.Task, error) {
	return pushTasks(e)
}
