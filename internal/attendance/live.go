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

// Live is the floor right now (GET /attendance/live).
type Live struct {
	At          time.Time  `json:"at"`
	Date        string     `json:"date"`
	Departments []DeptLive `json:"departments"`
}

// DeptLive is one department's floor.
type DeptLive struct {
	DepartmentID int64        `json:"department_id"`
	OnFloor      []FloorEntry `json:"on_floor"`
	OnBreak      []FloorEntry `json:"on_break"`
	// Late: their shift started more than the grace period ago and they
	// have not clocked in.
	Late []FloorEntry `json:"late"`
	// NotArrived: their shift starts later today (or within the grace period).
	NotArrived []FloorEntry   `json:"not_arrived"`
	Coverage   []HourCoverage `json:"coverage"`
}

// FloorEntry is one person on (or missing from) the floor.
type FloorEntry struct {
	EmployeeID   int64      `json:"employee_id"`
	EmployeeName string     `json:"employee_name"`
	ShiftID      *int64     `json:"shift_id"`
	StartsAt     *time.Time `json:"starts_at,omitempty"`
	EndsAt       *time.Time `json:"ends_at,omitempty"`
	Since        *time.Time `json:"since,omitempty"`
	LateMinutes  int        `json:"late_minutes"`
}

// Live returns the floor of the departments p manages (all for admins),
// or of one of them.
func (s *Service) Live(ctx context.Context, p auth.Principal, departmentID int64) (Live, error) {
	fd, err := s.floorDay(ctx, p, departmentID)
	if err != nil {
		return Live{}, err
	}
	st, loc, now, day, depts, shifts, rs, names := fd.st, fd.loc, fd.now, fd.day, fd.depts, fd.shifts, fd.records, fd.names
	out := Live{At: now, Date: day.Format(time.DateOnly), Departments: []DeptLive{}}
	grace := time.Duration(st.LateGraceMinutes) * time.Minute
	for _, d := range depts {
		dl := DeptLive{DepartmentID: d, OnFloor: []FloorEntry{}, OnBreak: []FloorEntry{}, Late: []FloorEntry{}, NotArrived: []FloorEntry{}}
		var sched, present []Interval
		attended := map[int64]bool{} // shift ids with a record
		in := map[int64]bool{}       // people clocked in now
		for _, r := range rs {
			if r.DepartmentID == nil || *r.DepartmentID != d {
				continue
			}
			iv := Interval{Start: r.ClockInAt}
			if r.ClockOutAt != nil {
				iv.End = *r.ClockOutAt
			}
			present = append(present, iv)
			if r.ShiftID != nil {
				attended[*r.ShiftID] = true
			}
			if r.ClockOutAt != nil {
				continue
			}
			in[r.EmployeeID] = true
			since := r.ClockInAt
			e := FloorEntry{EmployeeID: r.EmployeeID, EmployeeName: r.EmployeeName, ShiftID: r.ShiftID, Since: &since, LateMinutes: r.LateMinutes}
			if r.Shift != nil {
				e.StartsAt, e.EndsAt = &r.Shift.Start, &r.Shift.End
			}
			if r.OnBreak {
				dl.OnBreak = append(dl.OnBreak, e)
			} else {
				dl.OnFloor = append(dl.OnFloor, e)
			}
		}
		for _, sh := range shifts {
			if sh.DepartmentID != d {
				continue
			}
			sched = append(sched, Interval{Start: sh.StartsAt, End: sh.EndsAt})
			if attended[sh.ID] || in[sh.EmployeeID] || !now.Before(sh.EndsAt) {
				continue
			}
			e := FloorEntry{EmployeeID: sh.EmployeeID, EmployeeName: names[sh.EmployeeID], ShiftID: &sh.ID, StartsAt: &sh.StartsAt, EndsAt: &sh.EndsAt}
			if now.Sub(sh.StartsAt) > grace {
				e.LateMinutes = LateMinutes(sh.StartsAt, now, st.LateGraceMinutes)
				dl.Late = append(dl.Late, e)
			} else {
				dl.NotArrived = append(dl.NotArrived, e)
			}
		}
		dl.Coverage = Coverage(day, loc, now, sched, present)
		out.Departments = append(out.Departments, dl)
	}
	return out, nil
}

// floorDay is what the floor and the alerts of today are made of: the
// store's day, the published shifts of some departments and the clock
// records touching it.
type floorDay struct {
	st      people.Store
	loc     *time.Location
	now     time.Time
	day     time.Time // the store's date, midnight UTC
	depts   []int64
	shifts  []PlannedShift
	records []recordRow
	names   map[int64]string // of the people with a shift
}

// floorDay reads today of the departments p manages (all for admins), or
// of one of them.
func (s *Service) floorDay(ctx context.Context, p auth.Principal, departmentID int64) (floorDay, error) {
	if err := auth.RequireManager(p); err != nil {
		return floorDay{}, err
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return floorDay{}, err
	}
	fd := floorDay{st: st, loc: st.Location(), now: s.W.Clock().UTC()}
	fd.day = LocalDate(fd.now, fd.loc)
	dayStart, dayEnd := DayBounds(fd.day, fd.loc)
	if fd.depts, err = s.liveDepartments(ctx, p, departmentID); err != nil || len(fd.depts) == 0 {
		return fd, err
	}
	if fd.shifts, err = s.published(ctx, s.W.DB, ShiftFilter{From: dayStart, To: dayEnd, DepartmentIDs: fd.depts}); err != nil {
		return fd, err
	}
	args := []any{dayStart.Add(-24 * time.Hour).UTC(), dayEnd.UTC(), dayStart.UTC()}
	for _, d := range fd.depts {
		args = append(args, d)
	}
	fd.records, err = s.queryRecords(ctx, s.W.DB, "r.clock_in_at >= ? AND r.clock_in_at < ? AND (r.clock_out_at IS NULL OR r.clock_out_at > ?) AND r.department_id IN ("+
		db.Placeholders(len(fd.depts))+")", args...)
	if err != nil {
		return fd, err
	}
	if err := s.fill(ctx, s.W.DB, st, fd.now, fd.records); err != nil {
		return fd, err
	}
	fd.names, err = s.names(ctx, fd.shifts)
	return fd, err
}

func (s *Service) liveDepartments(ctx context.Context, p auth.Principal, only int64) ([]int64, error) {
	if only != 0 {
		if !p.Manages(only) {
			return nil, apperr.New(apperr.Forbidden, "you do not manage that department")
		}
		return []int64{only}, nil
	}
	if !p.IsAdmin() {
		return slices.Clone(p.DeptIDs), nil
	}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT id FROM departments ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("attendance: departments: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("attendance: departments: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Service) names(ctx context.Context, shifts []PlannedShift) (map[int64]string, error) {
	out := map[int64]string{}
	if len(shifts) == 0 {
		return out, nil
	}
	var args []any
	for _, sh := range shifts {
		args = append(args, sh.EmployeeID)
	}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT id, first_name, last_name FROM users WHERE id IN ("+db.Placeholders(len(args))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("attendance: names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var f, l string
		if err := rows.Scan(&id, &f, &l); err != nil {
			return nil, fmt.Errorf("attendance: names: %w", err)
		}
		out[id] = strings.TrimSpace(f + " " + l)
	}
	return out, rows.Err()
}
