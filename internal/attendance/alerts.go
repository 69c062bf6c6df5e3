package attendance

import (
	"context"
	"slices"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
)

// NoShowAfter is how long after its start a shift without a clock-in turns
// from late into a no-show (the worker's alert timers use it too).
const NoShowAfter = 30 * time.Minute

// Alert kinds: the same as the live events attendance.late and
// attendance.no_show.
const (
	AlertLate   = "late"
	AlertNoShow = "no_show"
)

// Alert is one shift of today whose person came late or not at all.
type Alert struct {
	Kind string `json:"kind"`
	// At is when the alert was raised: the grace period after the start
	// (late) or NoShowAfter after it (no_show).
	At           time.Time `json:"at"`
	ShiftID      int64     `json:"shift_id"`
	DepartmentID int64     `json:"department_id"`
	EmployeeID   int64     `json:"employee_id"`
	EmployeeName string    `json:"employee_name"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	// LateMinutes is how late they clocked in, or have been so far.
	LateMinutes int `json:"late_minutes"`
	// ClockInAt is when they arrived; null while they have not.
	ClockInAt *time.Time `json:"clock_in_at"`
}

// Alerts is the answer of GET /attendance/alerts.
type Alerts struct {
	Date  string  `json:"date"`
	Items []Alert `json:"items"`
}

// Alerts lists today's late arrivals and no-shows (store day) in the
// departments p manages (all for admins), or in one of them, oldest first:
// what the dashboard heard live, again after a reload.
func (s *Service) Alerts(ctx context.Context, p auth.Principal, departmentID int64) (Alerts, error) {
	fd, err := s.floorDay(ctx, p, departmentID)
	if err != nil {
		return Alerts{}, err
	}
	out := Alerts{Date: fd.day.Format(time.DateOnly), Items: []Alert{}}
	grace := time.Duration(fd.st.LateGraceMinutes) * time.Minute
	for _, sh := range fd.shifts {
		arrived := fd.arrival(sh)
		until := fd.now
		if arrived != nil {
			until = *arrived
		}
		late := until.Sub(sh.StartsAt)
		if late <= grace || sh.StartsAt.Before(fd.dayStart()) {
			continue
		}
		a := Alert{Kind: AlertLate, At: sh.StartsAt.Add(grace), ShiftID: sh.ID, DepartmentID: sh.DepartmentID, EmployeeID: sh.EmployeeID,
			EmployeeName: fd.names[sh.EmployeeID], StartsAt: sh.StartsAt.UTC(), EndsAt: sh.EndsAt.UTC(),
			LateMinutes: LateMinutes(sh.StartsAt, until, fd.st.LateGraceMinutes), ClockInAt: arrived}
		if late >= NoShowAfter {
			a.Kind, a.At = AlertNoShow, sh.StartsAt.Add(NoShowAfter)
		}
		a.At = a.At.UTC()
		out.Items = append(out.Items, a)
	}
	slices.SortStableFunc(out.Items, func(a, b Alert) int { return a.At.Compare(b.At) })
	return out, nil
}

func (fd floorDay) dayStart() time.Time { start, _ := DayBounds(fd.day, fd.loc); return start }

// arrival is the first clock-in for the shift: a record of the shift, or
// one of its person without a shift overlapping it.
func (fd floorDay) arrival(sh PlannedShift) *time.Time {
	var first *time.Time
	for _, r := range fd.records {
		mine := r.ShiftID != nil && *r.ShiftID == sh.ID
		if r.ShiftID == nil && r.EmployeeID == sh.EmployeeID {
			mine = r.ClockInAt.Before(sh.EndsAt) && (r.ClockOutAt == nil || r.ClockOutAt.After(sh.StartsAt))
		}
		if mine && (first == nil || r.ClockInAt.Before(*first)) {
			in := r.ClockInAt.UTC()
			first = &in
		}
	}
	return first
}
