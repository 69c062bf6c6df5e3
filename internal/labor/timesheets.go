package labor

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
)

// Punch is one attendance record on a timesheet, priced.
type Punch struct {
	RecordID          int64      `json:"record_id"`
	ShiftID           *int64     `json:"shift_id"`
	DepartmentID      *int64     `json:"department_id"`
	Day               string     `json:"day"`
	ClockInAt         time.Time  `json:"clock_in_at"`
	ClockOutAt        *time.Time `json:"clock_out_at"`
	ScheduledStart    *time.Time `json:"scheduled_start"`
	ScheduledEnd      *time.Time `json:"scheduled_end"`
	Position          string     `json:"position"`
	WorkedMinutes     int        `json:"worked_minutes"`
	BreakMinutes      int        `json:"break_minutes"`
	RegularMinutes    int        `json:"regular_minutes"`
	OvertimeMinutes   int        `json:"overtime_minutes"`
	RateCents         int64      `json:"rate_cents"`
	CostCents         int64      `json:"cost_cents"`
	LateMinutes       int        `json:"late_minutes"`
	EarlyLeaveMinutes int        `json:"early_leave_minutes"`
	BreakShort        bool       `json:"break_short"`
	Open              bool       `json:"open"`
	Version           int64      `json:"version"`
	Flags             []Flag     `json:"flags"`

	breaks []attendance.Interval
}

// Flag is a person's note that a punch is wrong.
type Flag struct {
	ID         int64      `json:"id"`
	RecordID   int64      `json:"record_id"`
	Comment    string     `json:"comment"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

// Timesheet is one person's pay period.
type Timesheet struct {
	EmployeeID        int64      `json:"employee_id"`
	Name              string     `json:"name"`
	DepartmentIDs     []int64    `json:"department_ids"`
	ScheduledMinutes  int        `json:"scheduled_minutes"`
	WorkedMinutes     int        `json:"worked_minutes"`
	RegularMinutes    int        `json:"regular_minutes"`
	OvertimeMinutes   int        `json:"overtime_minutes"`
	BreakMinutes      int        `json:"break_minutes"`
	LateMinutes       int        `json:"late_minutes"`
	EarlyLeaveMinutes int        `json:"early_leave_minutes"`
	CostCents         int64      `json:"cost_cents"`
	OpenPunches       int        `json:"open_punches"`
	BreakWarnings     int        `json:"break_warnings"`
	OpenFlags         int        `json:"open_flags"`
	Approved          bool       `json:"approved"`
	ApprovedAt        *time.Time `json:"approved_at"`
	Punches           []Punch    `json:"punches"`

	fingerprint string
}

// Timesheets is the answer of GET /timesheets.
type Timesheets struct {
	Period   Period      `json:"period"`
	Currency string      `json:"currency"`
	Items    []Timesheet `json:"items"`
	// Totals add up the listed timesheets.
	RegularMinutes  int   `json:"regular_minutes"`
	OvertimeMinutes int   `json:"overtime_minutes"`
	CostCents       int64 `json:"cost_cents"`
}

// sheetQuery is who to build timesheets for.
type sheetQuery struct {
	visible func(emp int64, depts []int64) bool
	dept    int64 // 0: every department
	only    int64 // 0: everyone visible
}

// buildSheets reads a period's punches, breaks, published shifts, flags,
// approvals and rates, and prices each person's punches. It reads period
// wide and keeps the people q allows, so a payroll of 500 people is a
// handful of statements.
func (s *Service) buildSheets(ctx context.Context, q querier, st people.Store, set Settings, per Period, sq sheetQuery) ([]Timesheet, error) {
	loc := st.Location()
	from, to := per.start.UTC(), per.end.UTC()
	sheets := map[int64]*Timesheet{}
	var order []int64
	sheet := func(emp int64) *Timesheet {
		if t, ok := sheets[emp]; ok {
			return t
		}
		t := &Timesheet{EmployeeID: emp, Punches: []Punch{}, DepartmentIDs: []int64{}}
		sheets[emp] = t
		order = append(order, emp)
		return t
	}
	// People: names and departments of everyone with a punch or a shift.
	type who struct {
		name  string
		depts []int64
	}
	folks := map[int64]*who{}
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.first_name, u.last_name, ud.department_id FROM users u
		LEFT JOIN user_departments ud ON ud.user_id = u.id
		WHERE u.id IN (SELECT employee_id FROM attendance_records WHERE clock_in_at >= ? AND clock_in_at < ?)
		   OR u.id IN (SELECT employee_id FROM shifts WHERE status = 'published' AND starts_at >= ? AND starts_at < ?)
		ORDER BY u.id, ud.department_id`, from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("labor: timesheets: %w", err)
	}
	for rows.Next() {
		var id int64
		var first, last string
		var dept sql.NullInt64
		if err := rows.Scan(&id, &first, &last, &dept); err != nil {
			rows.Close()
			return nil, fmt.Errorf("labor: timesheets: %w", err)
		}
		w := folks[id]
		if w == nil {
			w = &who{name: first + " " + last}
			folks[id] = w
		}
		if dept.Valid {
			w.depts = append(w.depts, dept.Int64)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("labor: timesheets: %w", err)
	}
	keep := func(emp int64) bool {
		w := folks[emp]
		if w == nil || (sq.only != 0 && emp != sq.only) || (sq.dept != 0 && !slices.Contains(w.depts, sq.dept)) {
			return false
		}
		return sq.visible(emp, w.depts)
	}
	// Published shifts: scheduled time and the punches' plan.
	shifts := map[int64]plannedShift{}
	planned, err := queryPlanned(ctx, q, "status = 'published' AND employee_id IS NOT NULL AND starts_at >= ? AND starts_at < ?", from, to)
	if err != nil {
		return nil, err
	}
	for _, sh := range planned {
		shifts[sh.id] = sh
		if keep(sh.emp) {
			sheet(sh.emp).ScheduledMinutes += ScheduledMinutes(sh.start, sh.end, set.Rules())
		}
	}
	// Punches.
	recIdx := map[int64][2]int{} // record → (person, index)
	rows, err = q.QueryContext(ctx, `SELECT id, employee_id, department_id, shift_id, clock_in_at, clock_out_at, version FROM attendance_records
		WHERE clock_in_at >= ? AND clock_in_at < ? ORDER BY clock_in_at, id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("labor: punches: %w", err)
	}
	for rows.Next() {
		var pu Punch
		var emp int64
		var dept, shift sql.NullInt64
		var out sql.NullTime
		if err := rows.Scan(&pu.RecordID, &emp, &dept, &shift, &pu.ClockInAt, &out, &pu.Version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("labor: punches: %w", err)
		}
		if !keep(emp) {
			continue
		}
		pu.ClockInAt = pu.ClockInAt.UTC()
		if out.Valid {
			t := out.Time.UTC()
			pu.ClockOutAt = &t
		}
		if dept.Valid {
			pu.DepartmentID = &dept.Int64
		}
		if shift.Valid {
			pu.ShiftID = &shift.Int64
		}
		pu.Flags = []Flag{}
		t := sheet(emp)
		recIdx[pu.RecordID] = [2]int{int(emp), len(t.Punches)}
		t.Punches = append(t.Punches, pu)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("labor: punches: %w", err)
	}
	punch := func(rec int64) *Punch {
		at, ok := recIdx[rec]
		if !ok {
			return nil
		}
		return &sheets[int64(at[0])].Punches[at[1]]
	}
	inPeriod := "SELECT id FROM attendance_records WHERE clock_in_at >= ? AND clock_in_at < ?"
	rows, err = q.QueryContext(ctx, "SELECT record_id, starts_at, ends_at FROM attendance_breaks WHERE record_id IN ("+inPeriod+") ORDER BY starts_at", from, to)
	if err != nil {
		return nil, fmt.Errorf("labor: breaks: %w", err)
	}
	for rows.Next() {
		var rec int64
		var iv attendance.Interval
		var end sql.NullTime
		if err := rows.Scan(&rec, &iv.Start, &end); err != nil {
			rows.Close()
			return nil, fmt.Errorf("labor: breaks: %w", err)
		}
		if pu := punch(rec); pu != nil {
			if end.Valid {
				iv.End = end.Time
			}
			pu.breaks = append(pu.breaks, iv)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("labor: breaks: %w", err)
	}
	rows, err = q.QueryContext(ctx, "SELECT id, record_id, comment, created_at, resolved_at FROM punch_flags WHERE record_id IN ("+inPeriod+") ORDER BY id", from, to)
	if err != nil {
		return nil, fmt.Errorf("labor: flags: %w", err)
	}
	for rows.Next() {
		var f Flag
		var res sql.NullTime
		if err := rows.Scan(&f.ID, &f.RecordID, &f.Comment, &f.CreatedAt, &res); err != nil {
			rows.Close()
			return nil, fmt.Errorf("labor: flags: %w", err)
		}
		f.CreatedAt = f.CreatedAt.UTC()
		if res.Valid {
			t := res.Time.UTC()
			f.ResolvedAt = &t
		}
		if pu := punch(f.RecordID); pu != nil {
			pu.Flags = append(pu.Flags, f)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("labor: flags: %w", err)
	}
	approvals := map[int64]struct {
		fp string
		at time.Time
	}{}
	rows, err = q.QueryContext(ctx, "SELECT employee_id, fingerprint, approved_at FROM timesheet_approvals WHERE period_start = ?", per.StartsOn)
	if err != nil {
		return nil, fmt.Errorf("labor: approvals: %w", err)
	}
	for rows.Next() {
		var emp int64
		var fp string
		var at time.Time
		if err := rows.Scan(&emp, &fp, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("labor: approvals: %w", err)
		}
		approvals[emp] = struct {
			fp string
			at time.Time
		}{fp, at.UTC()}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("labor: approvals: %w", err)
	}
	rates, err := loadRates(ctx, q, order)
	if err != nil {
		return nil, err
	}
	out := make([]Timesheet, 0, len(order))
	for _, emp := range order {
		t := sheets[emp]
		t.Name, t.DepartmentIDs = folks[emp].name, folks[emp].depts
		if t.DepartmentIDs == nil {
			t.DepartmentIDs = []int64{}
		}
		priceSheet(t, shifts, rates, set, st, loc)
		if a, ok := approvals[emp]; ok && a.fp == t.fingerprint {
			t.Approved = true
			at := a.at
			t.ApprovedAt = &at
		}
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Timesheet) int {
		return strings.Compare(a.Name+strconv.FormatInt(a.EmployeeID, 10), b.Name+strconv.FormatInt(b.EmployeeID, 10))
	})
	return out, nil
}

// priceSheet computes one person's figures from their punches.
func priceSheet(t *Timesheet, shifts map[int64]plannedShift, rates rateBook, set Settings, st people.Store, loc *time.Location) {
	rules := set.Rules()
	var work []Work
	var idx []int
	h := sha256.New()
	for i := range t.Punches {
		pu := &t.Punches[i]
		fmt.Fprintf(h, "%d:%d;", pu.RecordID, pu.Version)
		pu.Day = attendance.LocalDate(pu.ClockInAt, loc).Format(time.DateOnly)
		if pu.ShiftID != nil {
			if sh, ok := shifts[*pu.ShiftID]; ok {
				s, e := sh.start, sh.end
				pu.ScheduledStart, pu.ScheduledEnd, pu.Position = &s, &e, sh.position
				pu.LateMinutes = attendance.LateMinutes(sh.start, pu.ClockInAt, st.LateGraceMinutes)
				pu.EarlyLeaveMinutes = attendance.EarlyLeaveMinutes(sh.end, pu.ClockOutAt)
			}
		}
		pu.RateCents = rates.rate(t.EmployeeID, pu.Position, pu.Day)
		t.LateMinutes += pu.LateMinutes
		t.EarlyLeaveMinutes += pu.EarlyLeaveMinutes
		for _, f := range pu.Flags {
			if f.ResolvedAt == nil {
				t.OpenFlags++
			}
		}
		if pu.ClockOutAt == nil {
			pu.Open = true
			t.OpenPunches++
			continue
		}
		_, b := attendance.Worked(pu.ClockInAt, *pu.ClockOutAt, pu.breaks)
		pu.BreakMinutes = attendance.Minutes(b)
		pu.WorkedMinutes = PaidMinutes(pu.ClockInAt, *pu.ClockOutAt, pu.breaks)
		pu.BreakShort, _ = BreakShort(pu.ClockInAt, *pu.ClockOutAt, pu.breaks, rules)
		if pu.BreakShort {
			t.BreakWarnings++
		}
		t.WorkedMinutes += pu.WorkedMinutes
		t.BreakMinutes += pu.BreakMinutes
		work = append(work, Work{ID: pu.RecordID, Start: pu.ClockInAt, Minutes: pu.WorkedMinutes, RateCents: pu.RateCents})
		idx = append(idx, i)
	}
	priced, tot := Price(work, rules, loc, st.WeekStartsOn)
	for k, pr := range priced {
		pu := &t.Punches[idx[k]]
		pu.RegularMinutes, pu.OvertimeMinutes, pu.CostCents = pr.RegularMinutes, pr.OvertimeMinutes, pr.CostCents
	}
	t.RegularMinutes, t.OvertimeMinutes, t.CostCents = tot.RegularMinutes, tot.OvertimeMinutes, tot.CostCents
	t.fingerprint = hex.EncodeToString(h.Sum(nil))
}

// visibleFor is the policy of timesheets: admins everyone, managers the
// people of their departments and themselves, others themselves.
func visibleFor(p auth.Principal) func(emp int64, depts []int64) bool {
	return func(emp int64, depts []int64) bool {
		return CanSeeWages(p, auth.Person{ID: emp, DeptIDs: depts})
	}
}
