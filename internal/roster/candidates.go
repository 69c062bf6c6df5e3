package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/crumbcommander/crumb/internal/auth"
)

// Colleague is who a candidate is: all the shift's own assignee learns of
// the colleagues they could offer the shift to.
type Colleague struct {
	EmployeeID int64  `json:"employee_id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
}

// Candidate is a person who could take a shift, as a manager sees them.
type Candidate struct {
	Colleague
	HoursThisWeek float64   `json:"hours_this_week"`
	Warnings      []Warning `json:"warnings"`
}

// CandidateList answers GET /shifts/{id}/candidates in the caller's view:
// Full for managers of the department, Names (id and name only) for the
// shift's own assignee. Exactly one of them is set.
type CandidateList struct {
	Full  []Candidate
	Names []Colleague
}

// MarshalJSON writes {"items": [...]} of the view that is set.
func (l CandidateList) MarshalJSON() ([]byte, error) {
	if l.Full != nil {
		return json.Marshal(struct {
			Items []Candidate `json:"items"`
		}{l.Full})
	}
	names := l.Names
	if names == nil {
		names = []Colleague{}
	}
	return json.Marshal(struct {
		Items []Colleague `json:"items"`
	}{names})
}

// Candidates lists the active people of the shift's department who could
// take it: no overlap, no approved time off, inside their availability.
// Soft findings (rest, weekly hours) are listed as warnings. Ranked by
// fewest hours in the shift's week, then by id.
//
// Managers of the department get the full view of any shift they may see.
// The employee working a published shift gets the same people, ranked the
// same, as names only: whom they can offer a swap to. Anyone else who may
// see the shift is refused (403); the rest do not know it (404).
func (s *Service) Candidates(ctx context.Context, p auth.Principal, shiftID int64) (CandidateList, error) {
	sh, err := s.GetShift(ctx, p, shiftID)
	if err != nil {
		return CandidateList{}, err
	}
	if p.Manages(sh.DepartmentID) {
		full, err := s.candidates(ctx, sh)
		return CandidateList{Full: full}, err
	}
	if sh.Status != StatusPublished || sh.employee() != p.UserID {
		return CandidateList{}, auth.ErrForbidden
	}
	full, err := s.candidates(ctx, sh)
	if err != nil {
		return CandidateList{}, err
	}
	names := make([]Colleague, len(full))
	for i, c := range full {
		names[i] = c.Colleague
	}
	return CandidateList{Names: names}, nil
}

// candidates computes the full candidate list of sh; the caller has
// checked who may know it.
func (s *Service) candidates(ctx context.Context, sh Shift) ([]Candidate, error) {
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
