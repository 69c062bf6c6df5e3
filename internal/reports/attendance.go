package reports

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// AttendanceSource compares each published, assigned shift with its first
// clock-in record (attendance_records): scheduled vs worked hours,
// late minutes, no-shows.
type AttendanceSource struct {
	DB    *db.DB
	Clock func() time.Time
}

// Columns are the header.
func (*AttendanceSource) Columns() []string {
	return []string{"date", "department", "employee", "scheduled_from", "scheduled_to", "scheduled_hours",
		"clock_in", "clock_out", "worked_hours", "late_minutes", "status"}
}

// Stream emits one row per shift, in time order.
func (s *AttendanceSource) Stream(ctx context.Context, q Query, emit func([]any) error) error {
	from, to := q.span()
	where, args := deptFilter(q, "s.department_id", []any{"published", from, to})
	rows, err := s.DB.QueryContext(ctx, `SELECT s.starts_at, s.ends_at, d.name, u.first_name, u.last_name, a.clock_in_at, a.clock_out_at
		FROM shifts s JOIN departments d ON d.id = s.department_id JOIN users u ON u.id = s.employee_id
		LEFT JOIN attendance_records a ON a.id = (SELECT MIN(r.id) FROM attendance_records r WHERE r.shift_id = s.id)
		WHERE s.status = ? AND s.starts_at >= ? AND s.starts_at < ?`+where+`
		ORDER BY s.starts_at, s.id`, args...)
	if err != nil {
		return fmt.Errorf("reports: attendance: %w", err)
	}
	defer rows.Close()
	now := time.Now()
	if s.Clock != nil {
		now = s.Clock()
	}
	for rows.Next() {
		var st, en time.Time
		var dept, first, last string
		var in, out sql.NullTime
		if err := rows.Scan(&st, &en, &dept, &first, &last, &in, &out); err != nil {
			return fmt.Errorf("reports: attendance scan: %w", err)
		}
		ls := st.In(q.Location)
		row := []any{ls.Format(dayLayout), dept, first + " " + last, ls.Format("15:04"), en.In(q.Location).Format("15:04"),
			en.Sub(st).Hours(), "", "", 0.0, int64(0), "scheduled"}
		switch {
		case in.Valid:
			row[6] = in.Time.In(q.Location).Format("15:04")
			late := max(0, int64(in.Time.Sub(st)/time.Minute))
			row[9], row[10] = late, "worked"
			if late > 0 {
				row[10] = "late"
			}
			if out.Valid {
				row[7], row[8] = out.Time.In(q.Location).Format("15:04"), out.Time.Sub(in.Time).Hours()
			}
		case en.Before(now):
			row[10] = "no_show"
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	return rows.Err()
}
