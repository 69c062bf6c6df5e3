package worker

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/roster"
)

// Event types the worker reacts to; their payloads are listed in docs/api.md.
const (
	EventShiftAssigned  = "shift.assigned"
	EventShiftChanged   = "shift.changed"
	EventShiftCancelled = "shift.cancelled"
	EventTimeOffDecided = "timeoff.decided"
	EventSwapDecided    = "swap.decided"
	EventReportReady    = "report.ready"
	EventOpsAlarm       = "ops.alarm"
	EventLate           = "attendance.late"
	EventNoShow         = "attendance.no_show"
)

// Shift is the roster's shift, as events carry it.
type Shift = roster.Shift

// ShiftEvent is the payload of shift.assigned|changed|cancelled on a user topic.
type ShiftEvent struct {
	EmployeeID   int64   `json:"employee_id"`
	DepartmentID int64   `json:"department_id"`
	Reason       string  `json:"reason"`
	WeekStart    string  `json:"week_start,omitempty"`
	Shifts       []Shift `json:"shifts"`
	SwappedTo    string  `json:"swapped_to,omitempty"`
}

// TimeOffEvent is the payload of timeoff.requested and timeoff.decided
// (DecidedBy is 0 until a manager decided).
type TimeOffEvent struct {
	ID         int64  `json:"id"`
	EmployeeID int64  `json:"employee_id"`
	StartsOn   string `json:"starts_on"`
	EndsOn     string `json:"ends_on"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	DecidedBy  int64  `json:"decided_by"`
}

// SwapDecision is the payload of swap.decided.
type SwapDecision struct {
	ID             int64  `json:"id"`
	ShiftID        int64  `json:"shift_id"`
	FromEmployeeID int64  `json:"from_employee_id"`
	ToEmployeeID   int64  `json:"to_employee_id"`
	Status         string `json:"status"`
	// The shift as people know it.
	ShiftStartsAt  time.Time `json:"shift_starts_at"`
	ShiftEndsAt    time.Time `json:"shift_ends_at"`
	DepartmentName string    `json:"department_name"`
	FromName       string    `json:"from_name"`
	ToName         string    `json:"to_name"`
}

// ReportReady is the payload of report.ready.
type ReportReady struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Format      string `json:"format"`
	Status      string `json:"status"`
	DownloadURL string `json:"download_url,omitempty"`
}

// EventTask is the payload of every task made from one event for one person:
// the event itself plus the person (from its user:<id> topic).
type EventTask struct {
	Seq    int64           `json:"seq"`
	Type   string          `json:"type"`
	UserID int64           `json:"user_id"`
	Data   json.RawMessage `json:"data"`
}

// TasksForEvent maps a committed event to the background tasks it causes.
// The relay enqueues them with asynq.TaskID("<task type>:<seq>"), so a
// retried relay never enqueues twice. Only personal (user:<id>) events cause
// e-mail; their handlers re-check preferences and the notifications table.
func TasksForEvent(e outbox.Event) ([]*asynq.Task, error) {
	mailTasks, err := emailTasks(e)
	if err != nil {
		return nil, err
	}
	pushed, err := pushTasks(e)
	if err != nil {
		return nil, err
	}
	requests, err := requestTasks(e)
	if err != nil {
		return nil, err
	}
	talk, err := commsTasks(e)
	if err != nil {
		return nil, err
	}
	return append(append(append(mailTasks, pushed...), requests...), talk...), nil
}

// emailTasks are the e-mail and timer tasks of an event.
func emailTasks(e outbox.Event) ([]*asynq.Task, error) {
	userID, ok := userOfTopic(e.Topic)
	if !ok {
		return nil, nil
	}
	p := EventTask{Seq: e.Seq, Type: e.Type, UserID: userID, Data: e.Data}
	var types []string
	switch e.Type {
	case EventShiftAssigned, EventShiftChanged, EventShiftCancelled:
		types = []string{TypeEmailShift, TypeShiftTimers}
	case EventTimeOffDecided, EventSwapDecided:
		types = []string{TypeEmailDecision}
	case EventReportReady:
		types = []string{TypeEmailReport}
	default:
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("worker: event task payload: %w", err)
	}
	tasks := make([]*asynq.Task, 0, len(types))
	for _, typ := range types {
		tasks = append(tasks, asynq.NewTask(typ, b, asynq.Queue(queueOf(typ)), asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour)))
	}
	return tasks, nil
}

// EventTaskID is the TaskID the relay gives a task made from event seq.
func EventTaskID(t *asynq.Task, seq int64) string { return fmt.Sprintf("%s:%d", t.Type(), seq) }

func queueOf(typ string) string {
	switch typ {
	case TypeNoShow, TypeShiftTimers:
		return QueueCritical
	case TypeReportExport:
		return QueueReports
	default:
		return QueueDefault
	}
}

func userOfTopic(topic string) (int64, bool) {
	rest, ok := strings.CutPrefix(topic, "user:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}
