package reports

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// Sources returns the report sources that read the roster's and the
// attendance's tables.
func Sources(d *db.DB, clock func() time.Time) map[string]Source {
	return map[string]Source{KindSchedule: &ScheduleSource{DB: d}, KindHours: &HoursSource{DB: d},
		KindAttendance: &AttendanceSource{DB: d, Clock: clock}}
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
	return []string{"date", "day", "department", "employee", "from", "to", "hours", "position", "notes", "employee_id"}
}

// Stream emits one row per published shift in department, time order.
func (s *ScheduleSource) Stream(ctx context.Context, q Query, emit func([]any) error) error {
	from, to := q.span()
	where, args := deptFilter(q, "s.department_id", []any{"published", from, to})
	rows, err := s.DB.QueryContext(ctx, `SELECT s.starts_at, s.ends_at, d.name, s.employee_id, u.first_name, u.last_name, s.position, s.notes
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
		var emp sql.NullInt64
		if err := rows.Scan(&st, &en, &dept, &emp, &first, &last, &pos, &notes); err != nil {
			return fmt.Errorf("reports: schedule scan: %w", err)
		}
		who, id := "(open)", any("")
		if first.Valid {
			who, id = first.String+" "+last.String, emp.Int64
		}
		ls, le := st.In(q.Location), en.In(q.Location)
		if err := emit([]any{ls.Format(dayLayout), ls.Format("Mon"), dept, who, ls.Format("15:04"), le.Format("15:04"),
			en.Sub(st).Hours(), pos, notes, id}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// HoursSource gives, per person and week, the hours actually worked (from
// attendance: punches minus breaks, a punch counted in the week it was
// clocked in) next to the hours scheduled (published shifts, future ones
// included), and the worked hours over the person's weekly maximum as
// overtime. It holds one total per person-week, not the punches.
type HoursSource struct{ DB *db.DB }

// Columns are the header.
func (*HoursSource) Columns() []string {
	return []string{"employee_id", "employee", "week_start", "shifts", "scheduled_hours", "worked_hours", "break_hours", "max_hours", "overtime_hours"}
}

type hoursKey struct {
	emp  int64
	week string
}

type hoursRow struct {
	name                     string
	shifts                   int64
	maxHrs                   float64
	scheduled, worked, onBrk time.Duration
}

// Stream totals the published shifts, then the punches, and emits the
// person-weeks in (person, week) order.
func (s *HoursSource) Stream(ctx context.Context, q Query, emit func([]any) error) error {
	from, to := q.span()
	totals := map[hoursKey]*hoursRow{}
	row := func(emp int64, at time.Time, name string, maxH int64) *hoursRow {
		k := hoursKey{emp, weekStart(at.In(q.Location), q.WeekStart).Format(dayLayout)}
		r := totals[k]
		if r == nil {
			r = &hoursRow{name: name, maxHrs: float64(maxH)}
			totals[k] = r
		}
		return r
	}
	where, args := deptFilter(q, "s.department_id", []any{"published", from, to})
	rows, err := s.DB.QueryContext(ctx, `SELECT s.employee_id, u.first_name, u.last_name, u.max_hours_per_week, s.starts_at, s.ends_at
		FROM shifts s JOIN users u ON u.id = s.employee_id
		WHERE s.status = ? AND s.starts_at >= ? AND s.starts_at < ?`+where, args...)
	if err != nil {
		return fmt.Errorf("reports: hours: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var emp, maxH int64
		var first, last string
		var st, en time.Time
		if err := rows.Scan(&emp, &first, &last, &maxH, &st, &en); err != nil {
			return fmt.Errorf("reports: hours scan: %w", err)
		}
		r := row(emp, st, first+" "+last, maxH)
		r.shifts++
		r.scheduled += en.Sub(st)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: hours: %w", err)
	}
	rows.Close()

	where, args = deptFilter(q, "a.department_id", []any{from, to})
	punches, err := s.DB.QueryContext(ctx, recordPunches+where+` ORDER BY a.id, b.starts_at`, args...)
	if err != nil {
		return fmt.Errorf("reports: hours: %w", err)
	}
	defer punches.Close()
	c := &punchCursor{rows: punches}
	for {
		o, err := c.Next()
		if err != nil {
			return err
		}
		if o == nil {
			break
		}
		r := row(o.employee, o.at, o.name(), o.maxHours)
		for _, p := range o.punches {
			w, b := p.worked()
			r.worked, r.onBrk = r.worked+w, r.onBrk+b
		}
	}
	keys := make([]hoursKey, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b hoursKey) int { return cmp.Or(cmp.Compare(a.emp, b.emp), strings.Compare(a.week, b.week)) })
	for _, k := range keys {
		r := totals[k]
		worked := r.worked.Hours()
		if err := emit([]any{k.emp, r.name, k.week, r.shifts, r.scheduled.Hours(), worked, r.onBrk.Hours(), r.maxHrs, max(0, worked-r.maxHrs)}); err != nil {
			return err
		}
	}
	return nil
}

// weekStart is the local date the week of t begins on.
func weekStart(t time.Time, first time.Weekday) time.Time {
	back := (int(t.Weekday()) - int(first) + 7) % 7
	y, m, d := t.AddDate(0, 0, -back).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
