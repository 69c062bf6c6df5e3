package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/roster"
)

// SeedShifts gives the demo departments two weeks of shifts: this week
// published, next week as drafts, plus one open shift per department on
// this week's Saturday. Every person works either mornings or afternoons on
// five days (three for part-timers), so nothing conflicts.
func SeedShifts(ctx context.Context, r *roster.Service, res *Result, now time.Time) error {
	st, err := r.People.GetStore(ctx)
	if err != nil {
		return err
	}
	loc := st.Location()
	this := roster.WeekOf(now, loc, st.WeekStartsOn)
	positions := map[string][]string{
		"Bakery": {"Ovens", "Decorating", "Counter"}, "Deli": {"Slicer", "Hot table", "Counter"},
		"Produce": {"Stocking", "Displays", "Receiving"}, "Front End": {"Cash", "Self-checkout", "Service desk"},
	}
	sys := auth.System
	for wk := 0; wk < 2; wk++ {
		y, m, d := this.Start.Date()
		weekStart := time.Date(y, m, d+7*wk, 0, 0, 0, 0, loc)
		for _, dep := range res.Departments {
			j := 0
			for _, e := range res.Employees {
				if len(e.DepartmentIDs) != 1 || e.DepartmentIDs[0] != dep.ID || e.Role != auth.RoleEmployee {
					continue
				}
				startHour := 7 + 6*(j%2) // mornings 07-15, afternoons 13-21
				days := 5
				if e.MaxHoursPerWeek < 40 {
					days = 3
				}
				for k := 0; k < days; k++ {
					day := (j + k) % 7
					y, m, d := weekStart.Date()
					start := time.Date(y, m, d+day, startHour, 0, 0, 0, loc)
					if err := demoShift(ctx, r, sys, dep.ID, &e.ID, start, positions[dep.Name][(j+k)%3]); err != nil {
						return err
					}
				}
				j++
			}
			if wk == 0 {
				y, m, d := weekStart.Date()
				start := time.Date(y, m, d+5, 10, 0, 0, 0, loc)
				if err := demoShift(ctx, r, sys, dep.ID, nil, start, positions[dep.Name][0]); err != nil {
					return err
				}
				if _, err := r.PublishWeek(ctx, sys, roster.PublishInput{DepartmentID: dep.ID, WeekStart: weekStart.Format(time.DateOnly)}); err != nil {
					return fmt.Errorf("demo: publish week: %w", err)
				}
			}
		}
	}
	return nil
}

func demoShift(ctx context.Context, r *roster.Service, p auth.Principal, dept int64, emp *int64, start time.Time, position string) error {
	from, to := start.Format(time.RFC3339), start.Add(8*time.Hour).Format(time.RFC3339)
	in := roster.ShiftInput{DepartmentID: &dept, StartsAt: &from, EndsAt: &to, Position: &position}
	if emp != nil {
		in.EmployeeID = roster.NullableID{Set: true, Value: emp}
	}
	if _, err := r.CreateShift(ctx, p, in); err != nil {
		return fmt.Errorf("demo: shift: %w", err)
	}
	return nil
}
