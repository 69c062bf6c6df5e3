package roster

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// EventAvailabilityUpdated tells the person (and their other sessions) that
// their weekly windows changed.
const EventAvailabilityUpdated = "availability.updated"

// AvailabilityWindow is one weekly window as the API carries it:
// weekday 0 (Sunday) to 6, "HH:MM" start and end in the store's zone
// ("24:00" ends at midnight).
type AvailabilityWindow struct {
	Weekday int    `json:"weekday"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

// Availability is a person's weekly windows. None at all means "any time".
type Availability struct {
	EmployeeID int64                `json:"employee_id"`
	Windows    []AvailabilityWindow `json:"windows"`
}

func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func formatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

func loadWindows(ctx context.Context, q querier, emp int64) ([]Window, error) {
	rows, err := q.QueryContext(ctx, "SELECT weekday, start_minute, end_minute FROM availability WHERE user_id = ? ORDER BY weekday, start_minute", emp)
	if err != nil {
		return nil, fmt.Errorf("roster: availability: %w", err)
	}
	defer rows.Close()
	var out []Window
	for rows.Next() {
		var w Window
		if err := rows.Scan(&w.Weekday, &w.Start, &w.End); err != nil {
			return nil, fmt.Errorf("roster: availability: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func toAvailability(emp int64, ws []Window) Availability {
	out := Availability{EmployeeID: emp, Windows: []AvailabilityWindow{}}
	for _, w := range ws {
		out.Windows = append(out.Windows, AvailabilityWindow{Weekday: w.Weekday, Start: formatClock(w.Start), End: formatClock(w.End)})
	}
	return out
}

// GetAvailability returns a person's windows: self, their managers, admins.
func (s *Service) GetAvailability(ctx context.Context, p auth.Principal, emp int64) (Availability, error) {
	e, err := s.People.GetEmployee(ctx, p, emp)
	if err != nil {
		return Availability{}, err
	}
	ws, err := loadWindows(ctx, s.W.DB, e.ID)
	if err != nil {
		return Availability{}, err
	}
	return toAvailability(e.ID, ws), nil
}

// SetAvailability replaces a person's windows: self, their managers, admins.
func (s *Service) SetAvailability(ctx context.Context, p auth.Principal, emp int64, in []AvailabilityWindow) (Availability, error) {
	e, err := s.People.GetEmployee(ctx, p, emp)
	if err != nil {
		return Availability{}, err
	}
	if p.UserID != e.ID && !auth.CanManagePerson(p, e.Person()) {
		return Availability{}, auth.ErrForbidden
	}
	ws, err := parseWindows(in)
	if err != nil {
		return Availability{}, err
	}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		if err := lockPeople(ctx, tx, e.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM availability WHERE user_id = ?", e.ID); err != nil {
			return fmt.Errorf("roster: set availability: %w", err)
		}
		for _, w := range ws {
			if _, err := tx.ExecContext(ctx, "INSERT INTO availability (user_id, weekday, start_minute, end_minute) VALUES (?, ?, ?, ?)",
				e.ID, w.Weekday, w.Start, w.End); err != nil {
				return fmt.Errorf("roster: set availability: %w", err)
			}
		}
		out := toAvailability(e.ID, ws)
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "availability.set", Entity: "user", EntityID: e.ID, Detail: out})
		tx.Emit(outbox.UserTopic(e.ID), EventAvailabilityUpdated, out)
		return nil
	})
	return toAvailability(e.ID, ws), err
}

// maxWindows bounds one person's weekly windows.
const maxWindows = 50

func parseWindows(in []AvailabilityWindow) ([]Window, error) {
	f := apperr.Fields{}
	if len(in) > maxWindows {
		f.Add("windows", fmt.Sprintf("at most %d windows", maxWindows))
	}
	out := make([]Window, 0, len(in))
	for i, w := range in {
		key := fmt.Sprintf("[%d]", i)
		start, ok1 := parseClock(w.Start)
		end, ok2 := parseClock(w.End)
		switch {
		case w.Weekday < 0 || w.Weekday > 6:
			f.Add(key+".weekday", "must be 0 (Sunday) to 6")
		case !ok1:
			f.Add(key+".start", "must be HH:MM")
		case !ok2:
			f.Add(key+".end", "must be HH:MM (24:00 for midnight)")
		case end <= start:
			f.Add(key+".end", "must be after start")
		}
		out = append(out, Window{Weekday: w.Weekday, Start: start, End: end})
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Weekday != out[j].Weekday {
			return out[i].Weekday < out[j].Weekday
		}
		return out[i].Start < out[j].Start
	})
	return out, nil
}
