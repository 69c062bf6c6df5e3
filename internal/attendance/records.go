package attendance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Record is one clock-in to clock-out span with its breaks and figures.
type Record struct {
	ID           int64      `json:"id"`
	EmployeeID   int64      `json:"employee_id"`
	EmployeeName string     `json:"employee_name"`
	DepartmentID *int64     `json:"department_id"`
	ShiftID      *int64     `json:"shift_id"`
	ClockInAt    time.Time  `json:"clock_in_at"`
	ClockOutAt   *time.Time `json:"clock_out_at"`
	Breaks       []Break    `json:"breaks"`
	Source       string     `json:"source"`
	Note         string     `json:"note,omitempty"`
	Version      int64      `json:"version"`
	// Figures (calc.go), in whole minutes rounded down.
	Shift             *Interval `json:"shift,omitempty"`
	LateMinutes       int       `json:"late_minutes"`
	EarlyLeaveMinutes int       `json:"early_leave_minutes"`
	WorkedMinutes     int       `json:"worked_minutes"`
	BreakMinutes      int       `json:"break_minutes"`
	OnBreak           bool      `json:"on_break"`
}

// Break is one break of a record.
type Break struct {
	ID       int64      `json:"id"`
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
}

// ClockEvent is the payload of attendance.clock_in|clock_out|break_start|break_end.
type ClockEvent struct {
	EmployeeID int64     `json:"employee_id"`
	ShiftID    *int64    `json:"shift_id"`
	At         time.Time `json:"at"`
	RecordID   int64     `json:"record_id"`
}

// ClockInput is the body of POST /attendance/clock-in.
type ClockInput struct {
	ShiftID *int64 `json:"shift_id"`

	// at is when the punch was made, for a kiosk's punch saved without a
	// connection (KioskInput.OccurredAt); zero means now.
	at time.Time
}

// punchTime is when a punch counts: at, or the transaction's now.
func punchTime(tx *outbox.Tx, at time.Time) time.Time {
	if at.IsZero() {
		return tx.Now()
	}
	return at
}

// Action is what a person does at the clock.
type Action string

// The actions.
const (
	ActClockIn    Action = "clock-in"
	ActClockOut   Action = "clock-out"
	ActBreakStart Action = "break-start"
	ActBreakEnd   Action = "break-end"
)

// ValidAction reports whether a is an action.
func ValidAction(a Action) bool {
	switch a {
	case ActClockIn, ActClockOut, ActBreakStart, ActBreakEnd:
		return true
	}
	return false
}

// Clock performs an action for the caller themselves.
func (s *Service) Clock(ctx context.Context, p auth.Principal, a Action, in ClockInput) (Record, error) {
	if p.Role == auth.RoleKiosk {
		return Record{}, apperr.New(apperr.Forbidden, "a kiosk clocks people in with their PIN: POST /attendance/kiosk/%s", a)
	}
	return s.clock(ctx, p.UserID, a, in, SourceSelf)
}

func (s *Service) clock(ctx context.Context, employeeID int64, a Action, in ClockInput, source string) (Record, error) {
	if !ValidAction(a) {
		return Record{}, apperr.NotFoundf("attendance action")
	}
	if a != ActClockIn && in.ShiftID != nil {
		return Record{}, apperr.Field("shift_id", "only clock-in takes a shift")
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Record{}, err
	}
	var id int64
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		var err error
		switch a {
		case ActClockIn:
			id, err = s.clockIn(ctx, tx, st, employeeID, in, source)
		case ActClockOut:
			id, err = s.clockOut(ctx, tx, st, employeeID, in.at)
		default:
			id, err = s.toggleBreak(ctx, tx, st, employeeID, a == ActBreakStart, in.at)
		}
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return s.getRecord(ctx, st, id)
}

func (s *Service) clockIn(ctx context.Context, tx *outbox.Tx, st people.Store, employeeID int64, in ClockInput, source string) (int64, error) {
	var active bool
	if err := tx.QueryRowContext(ctx, "SELECT active FROM users WHERE id = ?", employeeID).Scan(&active); err != nil || !active {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("attendance: clock in: %w", err)
		}
		return 0, apperr.NotFoundf("employee")
	}
	now := punchTime(tx, in.at)
	if err := refuseLocked(ctx, tx, now); err != nil {
		return 0, err
	}
	if !in.at.IsZero() {
		// A punch sent late may not reach back before the person's last one.
		var last sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT clock_out_at FROM attendance_records WHERE employee_id = ? AND clock_out_at IS NOT NULL
			ORDER BY clock_out_at DESC LIMIT 1`, employeeID).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("attendance: clock in: %w", err)
		}
		if err := notBefore(st, now, last); err != nil {
			return 0, err
		}
	}
	shift, err := s.pickShift(ctx, tx, st, employeeID, in.ShiftID, now)
	if err != nil {
		return 0, err
	}
	var dept, sid any
	if shift != nil {
		dept, sid = shift.DepartmentID, shift.ID
	} else {
		depts, err := auth.DeptIDs(ctx, tx, employeeID)
		if err != nil {
			return 0, err
		}
		if len(depts) > 0 {
			dept = depts[0]
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO attendance_records (employee_id, department_id, shift_id, clock_in_at, open_employee_id,
		source, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		employeeID, dept, sid, now, employeeID, source, tx.Now(), tx.Now())
	if db.IsDuplicate(err) {
		var since time.Time
		if err := tx.QueryRowContext(ctx, "SELECT clock_in_at FROM attendance_records WHERE open_employee_id = ?", employeeID).Scan(&since); err != nil {
			return 0, apperr.New(apperr.Conflict, "already clocked in")
		}
		return 0, apperr.New(apperr.Conflict, "already clocked in since %s", since.In(st.Location()).Format("15:04"))
	}
	if err != nil {
		return 0, fmt.Errorf("attendance: clock in: %w", err)
	}
	id, _ := res.LastInsertId()
	ev := ClockEvent{EmployeeID: employeeID, At: now, RecordID: id}
	if shift != nil {
		ev.ShiftID = &shift.ID
	}
	emitDept(tx, dept, EventClockIn, ev)
	return id, nil
}

// emitDept sends a clock event to the record's department. Clock-ins and
// clock-outs are for everyone there (the department's live board); breaks only for its
// managers, who run the floor.
func emitDept(tx *outbox.Tx, dept any, typ string, ev any) {
	d, ok := dept.(int64)
	switch {
	case !ok || d == 0:
	case typ == EventBreakStart || typ == EventBreakEnd:
		tx.EmitManagers(outbox.DeptTopic(d), typ, ev)
	default:
		tx.Emit(outbox.DeptTopic(d), typ, ev)
	}
}

// pickShift finds the shift a clock-in is for (see the package comment).
func (s *Service) pickShift(ctx context.Context, q Querier, st people.Store, employeeID int64, shiftID *int64, now time.Time) (*PlannedShift, error) {
	early := time.Duration(st.ClockInEarlyMinutes) * time.Minute
	loc := st.Location()
	if shiftID != nil {
		got, err := s.published(ctx, q, ShiftFilter{IDs: []int64{*shiftID}, EmployeeID: employeeID})
		if err != nil {
			return nil, err
		}
		if len(got) == 0 {
			return nil, apperr.Field("shift_id", "is not a published shift of yours")
		}
		sh := got[0]
		switch {
		case now.Before(sh.StartsAt.Add(-early)):
			return nil, apperr.Field("shift_id", "you can clock in for this shift from "+sh.StartsAt.Add(-early).In(loc).Format("Mon 15:04"))
		case !now.Before(sh.EndsAt):
			return nil, apperr.Field("shift_id", "this shift has ended")
		}
		return &sh, nil
	}
	now2 := now
	got, err := s.published(ctx, q, ShiftFilter{From: now2, To: now2.Add(early + time.Second), EmployeeID: employeeID})
	if err != nil {
		return nil, err
	}
	for _, sh := range got {
		if !now.Before(sh.StartsAt.Add(-early)) && now.Before(sh.EndsAt) {
			return &sh, nil
		}
	}
	_, dayEnd := DayBounds(LocalDate(now, loc), loc)
	later, err := s.published(ctx, q, ShiftFilter{From: now, To: dayEnd, EmployeeID: employeeID})
	if err != nil {
		return nil, err
	}
	if len(later) > 0 {
		sh := later[0]
		return nil, apperr.Field("shift_id", fmt.Sprintf("your shift starts at %s; you can clock in from %s",
			sh.StartsAt.In(loc).Format("15:04"), sh.StartsAt.Add(-early).In(loc).Format("15:04")))
	}
	return nil, nil
}

type openRecord struct {
	ID      int64
	Dept    sql.NullInt64
	ShiftID sql.NullInt64
	ClockIn time.Time
}

func lockOpen(ctx context.Context, tx *outbox.Tx, employeeID int64) (openRecord, error) {
	var r openRecord
	err := tx.QueryRowContext(ctx, "SELECT id, department_id, shift_id, clock_in_at FROM attendance_records WHERE open_employee_id = ?"+tx.DB.ForUpdate(),
		employeeID).Scan(&r.ID, &r.Dept, &r.ShiftID, &r.ClockIn)
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.New(apperr.Conflict, "not clocked in")
	}
	if err != nil {
		return r, fmt.Errorf("attendance: open record: %w", err)
	}
	return r, nil
}

// lastPunch is the latest time punched on the open record: its clock-in or
// a break's start or end.
func (r openRecord) lastPunch(ctx context.Context, tx *outbox.Tx) (sql.NullTime, error) {
	var starts, ends sql.NullTime
	err := tx.QueryRowContext(ctx, "SELECT starts_at, ends_at FROM attendance_breaks WHERE record_id = ? ORDER BY starts_at DESC LIMIT 1", r.ID).Scan(&starts, &ends)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return sql.NullTime{}, fmt.Errorf("attendance: last punch: %w", err)
	}
	last := sql.NullTime{Time: r.ClockIn, Valid: true}
	for _, t := range []sql.NullTime{starts, ends} {
		if t.Valid && t.Time.After(last.Time) {
			last = t
		}
	}
	return last, nil
}

// at is when a punch on the open record counts: at (checked not to reach
// back before the record's last punch), or now.
func (r openRecord) at(ctx context.Context, tx *outbox.Tx, st people.Store, at time.Time) (time.Time, error) {
	if at.IsZero() {
		return tx.Now(), nil
	}
	last, err := r.lastPunch(ctx, tx)
	if err != nil {
		return time.Time{}, err
	}
	return at, notBefore(st, at, last)
}

// notBefore refuses a late-sent punch at that is earlier than last.
func notBefore(st people.Store, at time.Time, last sql.NullTime) error {
	if last.Valid && at.Before(last.Time) {
		loc := st.Location()
		return apperr.New(apperr.Conflict, "the saved punch at %s is earlier than the last punch at %s",
			at.In(loc).Format("15:04"), last.Time.In(loc).Format("15:04"))
	}
	return nil
}

func (r openRecord) event(employeeID int64, at time.Time) ClockEvent {
	ev := ClockEvent{EmployeeID: employeeID, At: at, RecordID: r.ID}
	if r.ShiftID.Valid {
		ev.ShiftID = &r.ShiftID.Int64
	}
	return ev
}

func (r openRecord) dept() any {
	if r.Dept.Valid {
		return r.Dept.Int64
	}
	return nil
}

func (s *Service) clockOut(ctx context.Context, tx *outbox.Tx, st people.Store, employeeID int64, at time.Time) (int64, error) {
	r, err := lockOpen(ctx, tx, employeeID)
	if err != nil {
		return 0, err
	}
	now, err := r.at(ctx, tx, st, at)
	if err != nil {
		return 0, err
	}
	if err := refuseLocked(ctx, tx, r.ClockIn, now); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE attendance_breaks SET ends_at = ?, open_record_id = NULL WHERE open_record_id = ?", now, r.ID); err != nil {
		return 0, fmt.Errorf("attendance: clock out: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE attendance_records SET clock_out_at = ?, open_employee_id = NULL, version = version + 1, updated_at = ?
		WHERE id = ?`, now, tx.Now(), r.ID); err != nil {
		return 0, fmt.Errorf("attendance: clock out: %w", err)
	}
	emitDept(tx, r.dept(), EventClockOut, r.event(employeeID, now))
	return r.ID, nil
}

func (s *Service) toggleBreak(ctx context.Context, tx *outbox.Tx, st people.Store, employeeID int64, start bool, at time.Time) (int64, error) {
	r, err := lockOpen(ctx, tx, employeeID)
	if err != nil {
		return 0, err
	}
	now, err := r.at(ctx, tx, st, at)
	if err != nil {
		return 0, err
	}
	if err := refuseLocked(ctx, tx, r.ClockIn, now); err != nil {
		return 0, err
	}
	if start {
		_, err := tx.ExecContext(ctx, "INSERT INTO attendance_breaks (record_id, starts_at, open_record_id) VALUES (?, ?, ?)", r.ID, now, r.ID)
		if db.IsDuplicate(err) {
			return 0, apperr.New(apperr.Conflict, "already on a break")
		}
		if err != nil {
			return 0, fmt.Errorf("attendance: break: %w", err)
		}
	} else {
		res, err := tx.ExecContext(ctx, "UPDATE attendance_breaks SET ends_at = ?, open_record_id = NULL WHERE open_record_id = ?", now, r.ID)
		if err != nil {
			return 0, fmt.Errorf("attendance: break: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, apperr.New(apperr.Conflict, "not on a break")
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE attendance_records SET version = version + 1, updated_at = ? WHERE id = ?", tx.Now(), r.ID); err != nil {
		return 0, fmt.Errorf("attendance: break: %w", err)
	}
	typ := EventBreakEnd
	if start {
		typ = EventBreakStart
	}
	emitDept(tx, r.dept(), typ, r.event(employeeID, now))
	return r.ID, nil
}

// ClockedIn reports whether a person clocked in for a shift: a record
// linked to it, or (for a clock-in that could not be linked) a record of
// the person that is open now. The worker's no-show check asks this.
func (s *Service) ClockedIn(ctx context.Context, shiftID, employeeID int64) (bool, error) {
	var n int
	err := s.W.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM attendance_records
		WHERE employee_id = ? AND (shift_id = ? OR open_employee_id = ?)`, employeeID, shiftID, employeeID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("attendance: clocked in: %w", err)
	}
	return n > 0, nil
}
