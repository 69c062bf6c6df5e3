package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/db"
)

// AttendanceSource lists each published, assigned shift with its punches
// (attendance_records with that shift: first clock-in, last clock-out,
// worked time minus breaks, late minutes, early leave, no-show) and, in
// time order among them, each punch that belongs to no published shift.
type AttendanceSource struct {
	DB    *db.DB
	Clock func() time.Time
}

// Columns are the header.
func (*AttendanceSource) Columns() []string {
	return []string{"date", "department", "employee", "scheduled_from", "scheduled_to", "scheduled_hours",
		"clock_in", "clock_out", "worked_hours", "break_minutes", "late_minutes", "early_leave_minutes", "status"}
}

// Row statuses of the attendance report.
const (
	attScheduled   = "scheduled"   // the shift has not ended and nobody clocked in
	attNoShow      = "no_show"     // the shift ended and nobody clocked in
	attWorked      = "worked"      // on time, stayed to the end
	attLate        = "late"        // clocked in after the start
	attLeftEarly   = "left_early"  // on time, clocked out before the end
	attUnscheduled = "unscheduled" // a punch without a published shift
)

// shiftPunches selects published, assigned shifts with all their records and breaks.
const shiftPunches = `SELECT s.id, s.starts_at, s.starts_at, s.ends_at, s.employee_id, u.max_hours_per_week, d.name, u.first_name, u.last_name,
	a.id, a.clock_in_at, a.clock_out_at, b.starts_at, b.ends_at
	FROM shifts s JOIN departments d ON d.id = s.department_id JOIN users u ON u.id = s.employee_id
	LEFT JOIN attendance_records a ON a.shift_id = s.id AND a.employee_id = s.employee_id
	LEFT JOIN attendance_breaks b ON b.record_id = a.id
	WHERE s.status = ? AND s.starts_at >= ? AND s.starts_at < ?`

// recordPunches selects attendance records (each its own owner) with their breaks.
const recordPunches = `SELECT a.id, a.clock_in_at, NULL, NULL, a.employee_id, u.max_hours_per_week, COALESCE(d.name, ''), u.first_name, u.last_name,
	a.id, a.clock_in_at, a.clock_out_at, b.starts_at, b.ends_at
	FROM attendance_records a JOIN users u ON u.id = a.employee_id LEFT JOIN departments d ON d.id = a.department_id
	LEFT JOIN attendance_breaks b ON b.record_id = a.id
	WHERE a.clock_in_at >= ? AND a.clock_in_at < ?`

// Stream merges two time-ordered queries (shifts with their punches, and
// punches without a shift), one owner of each in memory at a time.
func (s *AttendanceSource) Stream(ctx context.Context, q Query, emit func([]any) error) error {
	from, to := q.span()
	where, args := deptFilter(q, "s.department_id", []any{"published", from, to})
	shifts, err := s.DB.QueryContext(ctx, shiftPunches+where+` ORDER BY s.starts_at, s.id, a.clock_in_at, a.id, b.starts_at`, args...)
	if err != nil {
		return fmt.Errorf("reports: attendance: %w", err)
	}
	defer shifts.Close()
	where, args = deptFilter(q, "a.department_id", []any{from, to, "published"})
	loose, err := s.DB.QueryContext(ctx, recordPunches+
		` AND (a.shift_id IS NULL OR NOT EXISTS (SELECT 1 FROM shifts x WHERE x.id = a.shift_id AND x.employee_id = a.employee_id AND x.status = ?))`+
		where+` ORDER BY a.clock_in_at, a.id, b.starts_at`, args...)
	if err != nil {
		return fmt.Errorf("reports: attendance: %w", err)
	}
	defer loose.Close()
	now := time.Now()
	if s.Clock != nil {
		now = s.Clock()
	}
	a, b := &punchCursor{rows: shifts}, &punchCursor{rows: loose}
	na, err := a.Next()
	if err != nil {
		return err
	}
	nb, err := b.Next()
	if err != nil {
		return err
	}
	for na != nil || nb != nil {
		var o *owner
		if nb == nil || (na != nil && !nb.at.Before(na.at)) {
			o = na
			if na, err = a.Next(); err != nil {
				return err
			}
		} else {
			o = nb
			if nb, err = b.Next(); err != nil {
				return err
			}
		}
		if err := emit(attendanceRow(o, q.Location, now)); err != nil {
			return err
		}
	}
	return nil
}

// attendanceRow is the report line of a shift or an unscheduled punch.
func attendanceRow(o *owner, loc *time.Location, now time.Time) []any {
	clock := func(t time.Time) string { return t.In(loc).Format("15:04") }
	row := []any{o.at.In(loc).Format(dayLayout), o.dept, o.name(), "", "", 0.0, "", "", 0.0, int64(0), int64(0), int64(0), attUnscheduled}
	var worked, onBreak time.Duration
	for _, p := range o.punches {
		w, b := p.worked()
		worked, onBreak = worked+w, onBreak+b
	}
	row[8], row[9] = worked.Hours(), int64(attendance.Minutes(onBreak))
	var lastOut *time.Time
	if n := len(o.punches); n > 0 {
		row[6] = clock(o.punches[0].in)
		if out := o.punches[n-1].out; out.Valid {
			row[7], lastOut = clock(out.Time), &out.Time
		}
	}
	if !o.shiftFrom.Valid {
		return row
	}
	st, en := o.shiftFrom.Time, o.shiftTo.Time
	row[3], row[4], row[5] = clock(st), clock(en), en.Sub(st).Hours()
	if len(o.punches) == 0 {
		row[12] = attScheduled
		if en.Before(now) {
			row[12] = attNoShow
		}
		return row
	}
	late := int64(attendance.LateMinutes(st, o.punches[0].in, 0))
	early := int64(attendance.EarlyLeaveMinutes(en, lastOut))
	row[10], row[11], row[12] = late, early, attWorked
	switch {
	case late > 0:
		row[12] = attLate
	case early > 0:
		row[12] = attLeftEarly
	}
	return row
}
