package attendance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/people"
)

// Filter narrows GET /attendance. From/To bound the clock-in instant.
type Filter struct {
	From, To     time.Time
	DepartmentID int64
	EmployeeID   int64
}

// MaxListDays bounds the range of one list; MaxListRecords its size.
const (
	MaxListDays    = 62
	MaxListRecords = 5000
)

// List is the answer of GET /attendance.
type List struct {
	Items []Record `json:"items"`
	// Totals are weekly sums of the listed records per person.
	Totals []PersonTotals `json:"totals"`
}

// PersonTotals is one person's weeks.
type PersonTotals struct {
	EmployeeID int64       `json:"employee_id"`
	Weeks      []WeekTotal `json:"weeks"`
}

type recordRow struct {
	Record
	maxHours int
}

const recordSelect = `SELECT r.id, r.employee_id, u.first_name, u.last_name, u.max_hours_per_week, r.department_id, r.shift_id,
	r.clock_in_at, r.clock_out_at, r.source, r.note, r.version FROM attendance_records r JOIN users u ON u.id = r.employee_id`

func (s *Service) queryRecords(ctx context.Context, q Querier, where string, args ...any) ([]recordRow, error) {
	rows, err := q.QueryContext(ctx, recordSelect+" WHERE "+where+" ORDER BY r.clock_in_at, r.id LIMIT "+fmt.Sprint(MaxListRecords+1), args...)
	if err != nil {
		return nil, fmt.Errorf("attendance: list: %w", err)
	}
	defer rows.Close()
	var out []recordRow
	for rows.Next() {
		var r recordRow
		var first, last string
		var dept, shift nullInt
		var out2 nullTime
		if err := rows.Scan(&r.ID, &r.EmployeeID, &first, &last, &r.maxHours, &dept, &shift, &r.ClockInAt, &out2,
			&r.Source, &r.Note, &r.Version); err != nil {
			return nil, fmt.Errorf("attendance: list: %w", err)
		}
		r.EmployeeName = first + " " + last
		r.DepartmentID, r.ShiftID, r.ClockOutAt = dept.ptr(), shift.ptr(), out2.ptr()
		r.ClockInAt = r.ClockInAt.UTC()
		r.Breaks = []Break{}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attendance: list: %w", err)
	}
	if len(out) > MaxListRecords {
		return nil, apperr.New(apperr.BadRequest, "more than %d records; narrow the range", MaxListRecords)
	}
	return out, nil
}

// fill loads breaks and shifts and computes the figures.
func (s *Service) fill(ctx context.Context, q Querier, st people.Store, now time.Time, rs []recordRow) error {
	if len(rs) == 0 {
		return nil
	}
	idx := map[int64]int{}
	ids := make([]any, len(rs))
	var shiftIDs []int64
	for i, r := range rs {
		idx[r.ID] = i
		ids[i] = r.ID
		if r.ShiftID != nil {
			shiftIDs = append(shiftIDs, *r.ShiftID)
		}
	}
	rows, err := q.QueryContext(ctx, "SELECT id, record_id, starts_at, ends_at FROM attendance_breaks WHERE record_id IN ("+
		db.Placeholders(len(ids))+") ORDER BY starts_at, id", ids...)
	if err != nil {
		return fmt.Errorf("attendance: breaks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Break
		var rid int64
		var end nullTime
		if err := rows.Scan(&b.ID, &rid, &b.StartsAt, &end); err != nil {
			return fmt.Errorf("attendance: breaks: %w", err)
		}
		b.StartsAt, b.EndsAt = b.StartsAt.UTC(), end.ptr()
		rs[idx[rid]].Breaks = append(rs[idx[rid]].Breaks, b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("attendance: breaks: %w", err)
	}
	rows.Close()
	shifts := map[int64]PlannedShift{}
	if len(shiftIDs) > 0 {
		slices.Sort(shiftIDs)
		got, err := s.published(ctx, q, ShiftFilter{IDs: slices.Compact(shiftIDs)})
		if err != nil {
			return err
		}
		for _, sh := range got {
			shifts[sh.ID] = sh
		}
	}
	for i := range rs {
		figures(&rs[i].Record, shifts, st.LateGraceMinutes, now)
	}
	return nil
}

func (r Record) calcShift(now time.Time) Shift {
	sh := Shift{In: r.ClockInAt, Out: now}
	if r.ClockOutAt != nil {
		sh.Out = *r.ClockOutAt
	}
	for _, b := range r.Breaks {
		iv := Interval{Start: b.StartsAt}
		if b.EndsAt != nil {
			iv.End = *b.EndsAt
		}
		sh.Breaks = append(sh.Breaks, iv)
	}
	return sh
}

func figures(r *Record, shifts map[int64]PlannedShift, grace int, now time.Time) {
	c := r.calcShift(now)
	w, b := Worked(c.In, c.Out, c.Breaks)
	r.WorkedMinutes, r.BreakMinutes = Minutes(w), Minutes(b)
	r.OnBreak = r.ClockOutAt == nil && len(r.Breaks) > 0 && r.Breaks[len(r.Breaks)-1].EndsAt == nil
	if r.ShiftID != nil {
		if sh, ok := shifts[*r.ShiftID]; ok {
			r.Shift = &Interval{Start: sh.StartsAt, End: sh.EndsAt}
			r.LateMinutes = LateMinutes(sh.StartsAt, r.ClockInAt, grace)
			r.EarlyLeaveMinutes = EarlyLeaveMinutes(sh.EndsAt, r.ClockOutAt)
		}
	}
}

func (s *Service) getRecord(ctx context.Context, st people.Store, id int64) (Record, error) {
	rs, err := s.queryRecords(ctx, s.W.DB, "r.id = ?", id)
	if err != nil {
		return Record{}, err
	}
	if len(rs) == 0 {
		return Record{}, apperr.NotFoundf("attendance record")
	}
	if err := s.fill(ctx, s.W.DB, st, s.W.Clock().UTC(), rs); err != nil {
		return Record{}, err
	}
	return rs[0].Record, nil
}

// scope limits what p may list: the records of the people p may see
// (people.VisibleTo), and managers also every record in the departments
// they manage.
func scope(p auth.Principal) (string, []any) {
	vis, args := people.VisibleTo(p, "r.employee_id")
	if p.IsAdmin() || p.Role != auth.RoleManager || len(p.DeptIDs) == 0 {
		return vis, args
	}
	for _, d := range p.DeptIDs {
		args = append(args, d)
	}
	return "(" + vis + " OR r.department_id IN (" + db.Placeholders(len(p.DeptIDs)) + "))", args
}

// List returns the records p may see in a range, with weekly totals.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) (List, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return List{}, err
	}
	loc := st.Location()
	now := s.W.Clock().UTC()
	if f.From.IsZero() {
		start, _ := DayBounds(WeekStart(now, loc, st.WeekStartsOn), loc)
		f.From = start
	}
	if f.To.IsZero() {
		f.To = f.From.AddDate(0, 0, 7)
	}
	if !f.To.After(f.From) || f.To.Sub(f.From) > MaxListDays*24*time.Hour {
		return List{}, apperr.New(apperr.BadRequest, "to must be after from, at most %d days later", MaxListDays)
	}
	where, args := scope(p)
	conds := []string{where, "r.clock_in_at >= ?", "r.clock_in_at < ?"}
	args = append(args, f.From.UTC(), f.To.UTC())
	if f.DepartmentID != 0 {
		conds = append(conds, "r.department_id = ?")
		args = append(args, f.DepartmentID)
	}
	if f.EmployeeID != 0 {
		conds = append(conds, "r.employee_id = ?")
		args = append(args, f.EmployeeID)
	}
	rs, err := s.queryRecords(ctx, s.W.DB, strings.Join(conds, " AND "), args...)
	if err != nil {
		return List{}, err
	}
	if err := s.fill(ctx, s.W.DB, st, now, rs); err != nil {
		return List{}, err
	}
	out := List{Items: make([]Record, len(rs)), Totals: []PersonTotals{}}
	per := map[int64][]Shift{}
	maxH := map[int64]int{}
	var order []int64
	for i, r := range rs {
		out.Items[i] = r.Record
		if _, ok := per[r.EmployeeID]; !ok {
			order = append(order, r.EmployeeID)
		}
		per[r.EmployeeID] = append(per[r.EmployeeID], r.calcShift(now))
		maxH[r.EmployeeID] = r.maxHours
	}
	slices.Sort(order)
	for _, id := range order {
		out.Totals = append(out.Totals, PersonTotals{EmployeeID: id, Weeks: WeeklyTotals(per[id], now, loc, st.WeekStartsOn, maxH[id])})
	}
	return out, nil
}
