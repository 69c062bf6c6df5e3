package attendance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
)

// Clock states of a person.
const (
	StateOut   = "out"
	StateIn    = "in"
	StateBreak = "break"
)

// ClockState is where a person stands at the clock now and what they may
// do next: the clock card of the home screen and the kiosk show only those
// actions.
type ClockState struct {
	EmployeeID int64      `json:"employee_id"`
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Since      *time.Time `json:"since"`
	Actions    []Action   `json:"actions"`
}

// KioskPerson is what a kiosk may show of a person: the name to pick.
type KioskPerson struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// MyState is the caller's own clock state (GET /attendance/me).
func (s *Service) MyState(ctx context.Context, p auth.Principal) (ClockState, error) {
	if p.Role == auth.RoleKiosk {
		return ClockState{}, apperr.New(apperr.Forbidden, "a kiosk has no clock of its own")
	}
	return s.state(ctx, p.UserID)
}

// KioskState checks the person's badge or PIN at a kiosk and returns their
// clock state, so that the kiosk offers only the actions that apply.
func (s *Service) KioskState(ctx context.Context, p auth.Principal, in KioskInput) (ClockState, error) {
	emp, err := s.kioskPerson(ctx, p, in)
	if err != nil {
		return ClockState{}, err
	}
	return s.state(ctx, emp)
}

// KioskPeople lists the active people who can clock in at a kiosk (they have
// a PIN), by name only: the picker of a shared device shows nothing else.
func (s *Service) KioskPeople(ctx context.Context, p auth.Principal) ([]KioskPerson, error) {
	if p.Role != auth.RoleKiosk {
		return nil, apperr.New(apperr.Forbidden, "only a kiosk device lists people to clock in")
	}
	rows, err := s.W.DB.QueryContext(ctx, `SELECT u.id, u.first_name, u.last_name FROM users u JOIN user_pins p ON p.user_id = u.id
		WHERE u.active = ? AND u.role <> ? ORDER BY u.first_name, u.last_name, u.id`, true, string(auth.RoleKiosk))
	if err != nil {
		return nil, fmt.Errorf("attendance: kiosk people: %w", err)
	}
	defer rows.Close()
	out := []KioskPerson{}
	for rows.Next() {
		var k KioskPerson
		var first, last string
		if err := rows.Scan(&k.ID, &first, &last); err != nil {
			return nil, fmt.Errorf("attendance: kiosk people: %w", err)
		}
		k.Name = first + " " + last
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attendance: kiosk people: %w", err)
	}
	return out, nil
}

func (s *Service) state(ctx context.Context, employeeID int64) (ClockState, error) {
	st := ClockState{EmployeeID: employeeID, State: StateOut}
	var first, last string
	err := s.W.DB.QueryRowContext(ctx, "SELECT first_name, last_name FROM users WHERE id = ?", employeeID).Scan(&first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return st, apperr.NotFoundf("employee")
	}
	if err != nil {
		return st, fmt.Errorf("attendance: state: %w", err)
	}
	st.Name = first + " " + last
	var in time.Time
	var brk nullTime
	err = s.W.DB.QueryRowContext(ctx, `SELECT r.clock_in_at, b.starts_at FROM attendance_records r
		LEFT JOIN attendance_breaks b ON b.open_record_id = r.id WHERE r.open_employee_id = ?`, employeeID).Scan(&in, &brk)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		st.Actions = []Action{ActClockIn}
	case err != nil:
		return st, fmt.Errorf("attendance: state: %w", err)
	case brk.Valid:
		st.State, st.Since, st.Actions = StateBreak, brk.ptr(), []Action{ActBreakEnd, ActClockOut}
	default:
		in = in.UTC()
		st.State, st.Since, st.Actions = StateIn, &in, []Action{ActBreakStart, ActClockOut}
	}
	return st, nil
}
