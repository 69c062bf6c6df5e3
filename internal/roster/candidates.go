package roster

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/crumbcommander/crumb/internal/auth"
)

// Candidate is a person who could take a shift.
type Candidate struct {
	EmployeeID    int64     `json:"employee_id"`
	FirstName     string    `json:"first_name"`
	LastName      string    `json:"last_name"`
	HoursThisWeek float64   `json:"hours_this_week"`
	Warnings      []Warning `json:"warnings"`
}

// Candidates lists the active people of the shift's department who could
// take it: no overlap, no approved time off, inside their availability.
// Soft findings (rest, weekly hours) are listed as warnings. Ranked by
// fewest hours in the shift's week, then by id.
func (s *Service) Candidates(ctx context.Context, p auth.Principal, shiftID int64) ([]Candidate, error) {
	sh, err := s.GetShift(ctx, p, shiftID)
	if err != nil {
		return nil, err
	}
	if err := auth.RequireManagerOf(p, sh.DepartmentID); err != nil {
		return nil, err
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.W.DB.QueryContext(ctx, `SELECT u.id, u.first_name, u.last_name, u.max_hours_per_week FROM users u
		JOIN user_departments ud ON ud.user_id = u.id WHERE ud.department_id = ? AND u.active = ? AND u.role IN ('employee', 'manager') ORDER BY u.id`,
		sh.DepartmentID, true)
	if err != nil {
		return nil, fmt.Errorf("roster: candidates: %w", err)
	}
	type member struct {
		c        Candidate
		maxHours int
	}
	var members []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.c.EmployeeID, &m.c.FirstName, &m.c.LastName, &m.maxHours); err != nil {
			rows.Close()
			return nil, fmt.Errorf("roster: candidates: %w", err)
		}
		members = append(members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("roster: candidates: %w", err)
	}
	out := []Candidate{}
	for _, m := range members {
		if m.c.EmployeeID == sh.employee() {
			continue
		}
		r, err := loadRules(ctx, s.W.DB, st, m.c.EmployeeID, sh.Interval(), m.maxHours)
		if err != nil {
			return nil, err
		}
		if len(Blocking(r)) > 0 || !WithinAvailability(r.Shift, r.Availability, r.Loc) {
			continue
		}
		m.c.HoursThisWeek = math.Round(WeekHours(r.Week, r.Others)*100) / 100
		m.c.Warnings = Warnings(r)
		out = append(out, m.c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].HoursThisWeek < out[j].HoursThisWeek })
	return out, nil
}
