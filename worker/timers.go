package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Timer task types.
const (
	// TypeShiftTimers schedules the reminder and the late/no-show checks
	// of the shifts in a personal shift event.
	TypeShiftTimers = "shift:timers"
	// TypeNoShow checks a started shift for a clock-in.
	TypeNoShow = "attendance:no_show"
)

// NoShowAfter is how long after the start a missing clock-in turns from
// late into a no-show (GET /attendance/alerts lists by the same rule).
const NoShowAfter = attendance.NoShowAfter

// Check stages of TypeNoShow.
const (
	StageLate   = "late"
	StageNoShow = "no_show"
)

// ShiftLookup reads a shift as it is now (from the roster). Timers
// scheduled for an earlier version of a shift check it and stand down.
type ShiftLookup interface {
	// LookupShift returns db.ErrNotFound for a deleted shift.
	LookupShift(ctx context.Context, id int64) (Shift, error)
}

// ClockIns answers whether a person clocked in for a shift (from
// attendance).
type ClockIns interface {
	ClockedIn(ctx context.Context, s Shift, employeeID int64) (bool, error)
}

// ShiftTimer is the payload of reminders and no-show checks: the shift as
// it was when the timer was set.
type ShiftTimer struct {
	Shift      Shift  `json:"shift"`
	EmployeeID int64  `json:"employee_id"`
	Stage      string `json:"stage,omitempty"`
}

func reminderID(s Shift) string { return fmt.Sprintf("reminder:%d:%d", s.ID, s.StartsAt.Unix()) }
func noShowID(s Shift, stage string) string {
	return fmt.Sprintf("noshow:%d:%d:%s", s.ID, s.StartsAt.Unix(), stage)
}

// shiftTimers sets (or, for a cancelled shift, removes) the reminder and
// the late check of every published shift in the event. TaskIDs per shift
// start make a repeated event harmless.
func (h *Handlers) shiftTimers(ctx context.Context, t *asynq.Task) error {
	var p EventTask
	var ev ShiftEvent
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(p.Data, &ev); err != nil {
		return fmt.Errorf("worker: %s event data: %w", p.Type, asynq.SkipRetry)
	}
	st, err := h.Store(ctx)
	if err != nil {
		return err
	}
	now := h.Clock()
	for _, s := range ev.Shifts {
		if p.Type == EventShiftCancelled {
			h.deleteTask(QueueDefault, reminderID(s))
			h.deleteTask(QueueCritical, noShowID(s, StageLate))
			continue
		}
		if s.Status != "published" || s.EmployeeID == nil || *s.EmployeeID != p.UserID {
			continue
		}
		if err := h.setTimers(st, now, s); err != nil {
			return err
		}
	}
	return nil
}

// setTimers schedules the reminder (when still ahead) and the late check
// (while the shift has not ended) of a published shift with a person.
func (h *Handlers) setTimers(st people.Store, now time.Time, s Shift) error {
	emp := *s.EmployeeID
	if at := s.StartsAt.Add(-time.Duration(st.ReminderHours) * time.Hour); st.ReminderHours > 0 && at.After(now) {
		if err := h.enqueueTimer(TypeEmailReminder, QueueDefault, reminderID(s), at, ShiftTimer{Shift: s, EmployeeID: emp}); err != nil {
			return err
		}
	}
	if at := s.StartsAt.Add(time.Duration(st.LateGraceMinutes) * time.Minute); s.EndsAt.After(now) {
		if err := h.enqueueTimer(TypeNoShow, QueueCritical, noShowID(s, StageLate), at, ShiftTimer{Shift: s, EmployeeID: emp, Stage: StageLate}); err != nil {
			return err
		}
	}
	return nil
}

// RescheduleTimers sets the timers of shifts (published, with a person, as
// roster.Service.UpcomingAssigned lists them) again, for a queue that lost
// them (the embedded server's, after a restart). Work a timer already did
// is not done twice: a reminder is sent once per shift start (its
// notifications row), an alert is raised once per stage, and a late check
// that finds its alert raised schedules the no-show check it may have
// died before scheduling. It returns how many shifts it covered.
func (h *Handlers) RescheduleTimers(ctx context.Context, shifts []Shift) (int, error) {
	st, err := h.Store(ctx)
	if err != nil {
		return 0, fmt.Errorf("worker: reschedule timers: %w", err)
	}
	now := h.Clock()
	n := 0
	for _, s := range shifts {
		if s.Status != "published" || s.EmployeeID == nil {
			continue
		}
		if err := h.setTimers(st, now, s); err != nil {
			return n, fmt.Errorf("worker: reschedule timers: %w", err)
		}
		n++
	}
	return n, nil
}

func (h *Handlers) enqueueTimer(typ, queue, id string, at time.Time, p ShiftTimer) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = h.Queue.Enqueue(asynq.NewTask(typ, b), asynq.TaskID(id), asynq.Queue(queue), asynq.ProcessAt(at),
		asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour))
	if err != nil && !isDuplicate(err) {
		return fmt.Errorf("worker: schedule %s: %w", id, err)
	}
	return nil
}

func (h *Handlers) deleteTask(queue, id string) {
	if h.Inspector == nil {
		return
	}
	if err := h.Inspector.DeleteTask(queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
		h.Log.Warn("delete timer", "task", id, "err", err)
	}
}

// current returns the shift as it is now, and whether the timer set for
// p.Shift still applies (same person, same start, still published).
func (h *Handlers) current(ctx context.Context, p ShiftTimer) (Shift, bool, error) {
	if h.Shifts == nil {
		return p.Shift, true, nil
	}
	s, err := h.Shifts.LookupShift(ctx, p.Shift.ID)
	if errors.Is(err, db.ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	ok := s.Status == "published" && s.EmployeeID != nil && *s.EmployeeID == p.EmployeeID && s.StartsAt.Equal(p.Shift.StartsAt)
	return s, ok, nil
}

// emailReminder reminds a person of a shift, if it still stands.
func (h *Handlers) emailReminder(ctx context.Context, t *asynq.Task) error {
	var p ShiftTimer
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	s, ok, err := h.current(ctx, p)
	if err != nil || !ok {
		return err
	}
	loc, err := h.location(ctx)
	if err != nil {
		return err
	}
	n := note{ref: reminderID(s), userID: p.EmployeeID, kind: notify.KindReminder, event: "reminder", soonest: s.StartsAt}
	v := viewShift(s, loc)
	mailErr := h.sendEmail(ctx, t, n, func(_ context.Context, r notify.Recipient) (string, map[string]any, error) {
		return tmplReminder, map[string]any{"Name": r.FirstName, "Shift": v, "Link": h.BaseURL + "/my/shifts"}, nil
	})
	smsErr := h.sendSMS(ctx, t, n, smsText(fmt.Sprintf("Reminder: your shift %s %s–%s.", v.Day, v.From, v.To)))
	return errors.Join(mailErr, smsErr, h.pushReminder(ctx, t, n, s.StartsAt, s.EndsAt))
}

// Attendance alert payload (attendance.late | attendance.no_show).
type attendanceAlert struct {
	ShiftID      int64     `json:"shift_id"`
	EmployeeID   int64     `json:"employee_id"`
	EmployeeName string    `json:"employee_name"`
	StartsAt     time.Time `json:"starts_at"`
	LateMinutes  int       `json:"late_minutes"`
}

// noShow checks for a clock-in after the grace period (stage late) and again
// NoShowAfter the start (stage no_show), alerting the department's managers
// live. The alert and its notifications row commit together: exactly once.
func (h *Handlers) noShow(ctx context.Context, t *asynq.Task) error {
	var p ShiftTimer
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	if p.Stage != StageLate && p.Stage != StageNoShow {
		return fmt.Errorf("worker: no-show stage %q: %w", p.Stage, asynq.SkipRetry)
	}
	if h.ClockIns == nil {
		h.Log.Warn("no-show check skipped: attendance is not wired", "shift", p.Shift.ID)
		return nil
	}
	s, ok, err := h.current(ctx, p)
	if err != nil || !ok {
		return err
	}
	in, err := h.ClockIns.ClockedIn(ctx, s, p.EmployeeID)
	if err != nil || in {
		return err
	}
	r, err := h.Notify.Recipient(ctx, p.EmployeeID)
	if err != nil {
		return err
	}
	typ := EventLate
	if p.Stage == StageNoShow {
		typ = EventNoShow
	}
	alert := attendanceAlert{ShiftID: s.ID, EmployeeID: p.EmployeeID, EmployeeName: strings.TrimSpace(r.FirstName + " " + r.LastName),
		StartsAt: s.StartsAt.UTC(), LateMinutes: int(h.Clock().Sub(s.StartsAt) / time.Minute)}
	err = h.Writer.Do(ctx, func(tx *outbox.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (ref, user_id, channel, kind, created_at, sent_at) VALUES (?, ?, ?, ?, ?, ?)`,
			noShowID(s, p.Stage), p.EmployeeID, notify.ChannelAlert, typ, tx.Now(), tx.Now()); err != nil {
			return err
		}
		tx.EmitManagers(outbox.DeptTopic(s.DepartmentID), typ, alert)
		return nil
	})
	// A duplicate is an alert raised before: by a redelivery, or by a late
	// check rebuilt after a restart, which still schedules the no-show
	// check the first run may have died before scheduling.
	if err != nil && !db.IsDuplicate(err) {
		return fmt.Errorf("worker: %s alert: %w", typ, err)
	}
	if p.Stage == StageLate {
		return h.enqueueTimer(TypeNoShow, QueueCritical, noShowID(s, StageNoShow), s.StartsAt.Add(NoShowAfter),
			ShiftTimer{Shift: s, EmployeeID: p.EmployeeID, Stage: StageNoShow})
	}
	return nil
}
