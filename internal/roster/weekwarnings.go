package roster

import (
	"context"
	"fmt"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
)

// ShiftWarnings are the soft-rule warnings of one stored shift.
type ShiftWarnings struct {
	ShiftID  int64     `json:"shift_id"`
	Warnings []Warning `json:"warnings"`
}

// WeekWarnings is the answer of GET /schedules/warnings.
type WeekWarnings struct {
	DepartmentID int64           `json:"department_id"`
	WeekStart    string          `json:"week_start"`
	Items        []ShiftWarnings `json:"items"`
}

// WeekWarningsInput selects the week of GET /schedules/warnings.
type WeekWarningsInput struct {
	DepartmentID int64
	WeekStart    string
}

// WeekWarnings checks the department's assigned shifts starting in the week
// against the soft rules as they stand now, the same rules a write reports
// (conflicts.go), so the week builder shows them after a reload and not only
// after the write. Only shifts with warnings are listed. Managers of the
// department and admins may ask.
func (s *Service) WeekWarnings(ctx context.Context, p auth.Principal, in WeekWarningsInput) (WeekWarnings, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return WeekWarnings{}, err
	}
	if err := requireManagerOfDept(p, in.DepartmentID); err != nil {
		return WeekWarnings{}, err
	}
	week, err := weekFromDate("week_start", in.WeekStart, st.Location(), st.WeekStartsOn)
	if err != nil {
		return WeekWarnings{}, err
	}
	out := WeekWarnings{DepartmentID: in.DepartmentID, WeekStart: week.Date(), Items: []ShiftWarnings{}}
	q := s.W.DB
	shifts, err := queryShifts(ctx, q, "SELECT "+shiftColumns+" FROM shifts WHERE department_id = ? AND employee_id IS NOT NULL AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id",
		in.DepartmentID, week.Start.UTC(), week.End.UTC())
	if err != nil || len(shifts) == 0 {
		return out, err
	}
	var asks []ruleAsk
	var emps []any
	maxHours := map[int64]int{}
	for _, sh := range shifts {
		asks = append(asks, ruleAsk{st: st, emp: sh.employee(), iv: sh.Interval()})
		if _, ok := maxHours[sh.employee()]; !ok {
			maxHours[sh.employee()] = 0
			emps = append(emps, sh.employee())
		}
	}
	rows, err := q.QueryContext(ctx, "SELECT id, max_hours_per_week FROM users WHERE id IN ("+db.Placeholders(len(emps))+")", emps...)
	if err != nil {
		return out, fmt.Errorf("roster: week warnings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var hours int
		if err := rows.Scan(&id, &hours); err != nil {
			return out, fmt.Errorf("roster: week warnings: %w", err)
		}
		maxHours[id] = hours
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("roster: week warnings: %w", err)
	}
	f, err := loadFacts(ctx, q, asks, nil)
	if err != nil {
		return out, err
	}
	pay, err := s.payRules(ctx)
	if err != nil {
		return out, err
	}
	for _, sh := range shifts {
		r := f.rules(st, sh.employee(), sh.Interval(), maxHours[sh.employee()])
		r.Pay = pay
		if w := Warnings(r); len(w) > 0 {
			if err := s.priceOvertime(ctx, q, w, sh); err != nil {
				return out, err
			}
			out.Items = append(out.Items, ShiftWarnings{ShiftID: sh.ID, Warnings: w})
		}
	}
	return out, nil
}
