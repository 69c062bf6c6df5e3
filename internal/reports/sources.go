package reports

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// Sources returns the report sources that read the roster's tables.
// Attendance joins in when the attendance tables exist (issue 6).
func Sources(d *db.DB) map[string]Source {
	return map[string]Source{KindSchedule: &ScheduleSource{DB: d}, KindHours: &HoursSource{DB: d}}
}

// span is the query's days as UTC instants: [from 00:00, to+1 00:00) local.
func (q Query) span() (time.Time, time.Time) {
	return q.From.UTC(), q.To.AddDate(0, 0, 1).UTC()
}

func deptFilter(q Query, col string, args []any) (string, []any) {
	if q.DepartmentID == nil {
		return "", args
	}
	return " AND " + col + " = ?", append(args, *q.DepartmentID)
}

// ScheduleSource lists published shifts per department and day: the
// printable week.
type ScheduleSource struct{ DB *db.DB }

// Columns are the header.
func (*ScheduleSource) Columns() []string {
	return []string{"date", "day", "department", "employee", "from", "to", "hours", "position", "notes"}
}

// Stream emits one row per published shift in department, time order.
func (s *ScheduleSource) Stream(ctx context.Context, q Query, emit func([]any) error) error {
	from, to := q.span()
	where, args := deptFilter(q, "s.department_id", []any{"published", from, to})
	rows, err := s.DB.QueryContext(ctx, `SELECT s.starts_at, s.ends_at, d.name, u.first_name, u.last_name, s.position, s.notes
		FROM shifts s JOIN departments d ON d.id = s.department_id LEFT JOIN users u ON u.id = s.employee_id
		WHERE s.status = ? AND s.starts_at >= ? AND s.starts_at < ?`+where+`
		ORDER BY d.name, s.starts_at, s.id`, args...)
	if err != nil {
		return fmt.Errorf("reports: schedule: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st, en time.Time
		var dept, pos, notes string
		var first, last sql.NullString
		if err := rows.Scan(&st, &en, &dept, &first, &last, &pos, &notes); err != nil {
			return fmt.Errorf("reports: schedule scan: %w", err)
		}
		who := "(open)"
		if first.Valid {
			who = first.String + " " + last.String
		}
		ls, le := st.In(q.Location), en.In(q.Location)
		if err := emit([]any{ls.Format(dayLayout), ls.Format("Mon"), dept, who, ls.Format("15:04"), le.Format("15:04"),
			en.Sub(st).Hours(), pos, notes}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// HoursSource sums scheduled hours per person per week, with the hours
// over their weekly maximum as overtime. It reads published shifts (worked
// hours come with attendance).
type HoursSource struct{ DB *db.DB }

// Columns are the header.
func (*HoursSource) Columns() []string {
	return []string{"employee_id", "employee", "week_start", "shifts", "hours", "max_hours", "overtime_hours"}
}

type hoursRow struct {
	emp, shifts   int64
	name, week    string
	hours, maxHrs float64
}

func (h hoursRow) cells() []any {
	return []any{h.emp, h.name, h.week, h.shifts, h.hours, h.maxHrs, max(0, h.hours-h.maxHrs)}
}

// Stream walks the shifts in (person, start) order and emits a row each
// time the person or the week changes: one row in memory at a time.
func (s *HoursSource) Stream(ctx context.Context, q Query, emit func([]any) error) error {
	from, to := q.span()
	where, args := deptFilter(q, "s.department_id", []any{"published", from, to})
	rows, err := s.DB.QueryContext(ctx, `SELECT s.employee_id, u.first_name, u.last_name, u.max_hours_per_week, s.starts_at, s.ends_at
		FROM shifts s JOIN users u ON u.id = s.employee_id
		WHERE s.status = ? AND s.starts_at >= ? AND s.starts_at < ?`+where+`
		ORDER BY s.employee_id, s.starts_at, s.id`, args...)
	if err != nil {
		return fmt.Errorf("reports: hours: %w", err)
	}
	defer rows.Close()
	var cur *hoursRow
	for rows.Next() {
		var r hoursRow
		var first, last string
		var maxH int64
		var st, en time.Time
		if err := rows.Scan(&r.emp, &first, &last, &maxH, &st, &en); err != nil {
			return fmt.Errorf("reports: hours scan: %w", err)
		}
		r.name, r.maxHrs, r.week = first+" "+last, float64(maxH), weekStart(st.In(q.Location), q.WeekStart).Format(dayLayout)
		if cur != nil && (cur.emp != r.emp || cur.week != r.week) {
			if err := emit(cur.cells()); err != nil {
				return err
			}
			cur = nil
		}
		if cur == nil {
			cur = &r
		}
		cur.shifts++
		cur.hours += en.Sub(st).Hours()
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if cur != nil {
		return emit(cur.cells())
	}
	return nil
}

// weekStart is the local date the week of t begins on.
func weekStart(t time.Time, first time.Weekday) time.Time {
	back := (int(t.Weekday()) - int(first) + 7) % 7
	y, m, d := t.AddDate(0, 0, -back).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
