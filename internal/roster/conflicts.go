package roster

import (
	"fmt"
	"sort"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/labor"
)

// The conflict rules (docs/api.md, Scheduling), as pure functions: no I/O,
// no clock. The callers load what the rules need inside the locked transaction.

// Conflict kinds (blocking, 409).
const (
	KindOverlap = "overlap"
	KindTimeOff = "time_off"
)

// Warning kinds (the write goes through, 201/200 with warnings).
const (
	WarnAvailability = "availability"
	WarnMinRest      = "min_rest"
	WarnMaxHours     = "max_hours"
	WarnOvertime     = "overtime"
)

// Warning is a rule the write bends but does not break.
type Warning struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// OvertimeMinutes and CostCents come with an overtime warning: the
	// overtime the shift adds to the person's week, and what those minutes
	// cost (when the person's rate is known).
	OvertimeMinutes int   `json:"overtime_minutes,omitempty"`
	CostCents       int64 `json:"cost_cents,omitempty"`
}

// Interval is a span of time [Start, End) with the id of what it is.
type Interval struct {
	ID    int64
	Start time.Time
	End   time.Time
}

// Overlaps reports whether a and b share time. Back-to-back intervals (one
// ends when the other starts) do not overlap.
func Overlaps(a, b Interval) bool {
	return a.Start.Before(b.End) && b.Start.Before(a.End)
}

// Window is a weekly availability window in the store's zone: weekday
// 0 (Sunday) to 6, minutes from local midnight, End up to 24*60.
type Window struct {
	Weekday int
	Start   int
	End     int
}

// Rules is what the checks know about one person and one proposed shift.
type Rules struct {
	Shift Interval
	// Others are the person's other shifts (never Shift itself) near Shift:
	// at least those that touch [Week.Start-MinRest, Week.End+MinRest).
	Others []Interval
	// TimeOff are the person's approved absences.
	TimeOff      []Interval
	Availability []Window
	Loc          *time.Location
	Week         Week
	MinRest      time.Duration
	MaxHours     int
	// Pay, when set, adds the overtime warning (labor's pay rules).
	Pay *labor.Rules
}

// Blocking returns the overlaps and time-off collisions of the shift, in
// time order. Any of them makes the write a 409.
func Blocking(r Rules) []apperr.ConflictItem {
	var out []apperr.ConflictItem
	for _, o := range r.Others {
		if Overlaps(r.Shift, o) {
			out = append(out, conflictItem(KindOverlap, o))
		}
	}
	for _, o := range r.TimeOff {
		if Overlaps(r.Shift, o) {
			out = append(out, conflictItem(KindTimeOff, o))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartsAt.Before(*out[j].StartsAt) })
	return out
}

func conflictItem(kind string, o Interval) apperr.ConflictItem {
	s, e := o.Start.UTC(), o.End.UTC()
	it := apperr.ConflictItem{Kind: kind, StartsAt: &s, EndsAt: &e}
	if kind == KindOverlap {
		it.ShiftID = o.ID
	} else {
		it.ID = o.ID
	}
	return it
}

// ConflictError is the 409 for blocking conflicts, or nil.
func ConflictError(items []apperr.ConflictItem) error {
	if len(items) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Conflict, Message: "the shift collides with the person's other shifts or time off", Conflicts: items}
}

// Warnings returns the soft-rule findings: outside availability, too little
// rest, over the weekly hours. It never returns nil.
func Warnings(r Rules) []Warning {
	out := []Warning{}
	if !WithinAvailability(r.Shift, r.Availability, r.Loc) {
		out = append(out, Warning{Kind: WarnAvailability, Message: "the shift is outside the person's availability"})
	}
	if gap, ok := shortestRest(r.Shift, r.Others); ok && gap < r.MinRest {
		out = append(out, Warning{Kind: WarnMinRest, Message: fmt.Sprintf("only %s of rest next to another shift (minimum %s)", hours(gap), hours(r.MinRest))})
	}
	if r.MaxHours > 0 {
		total := WeekHours(r.Week, append([]Interval{r.Shift}, r.Others...))
		if total > float64(r.MaxHours) {
			out = append(out, Warning{Kind: WarnMaxHours, Message: fmt.Sprintf("%.1f hours this week, over the person's maximum of %d", total, r.MaxHours)})
		}
	}
	if ot := OvertimeAdded(r); ot > 0 {
		out = append(out, Warning{Kind: WarnOvertime, OvertimeMinutes: ot,
			Message: fmt.Sprintf("the shift adds %s of overtime to the person's week", hours(time.Duration(ot)*time.Minute))})
	}
	return out
}

// OvertimeAdded is how many overtime minutes the shift adds to the
// person's store week under r.Pay: the week's overtime with the shift less
// the week's overtime without it (a shift early in the week pushes a later
// one over the line, and the warning belongs to the write that does it).
func OvertimeAdded(r Rules) int {
	if r.Pay == nil || (r.Pay.WeeklyOvertimeMinutes <= 0 && r.Pay.DailyOvertimeMinutes <= 0) {
		return 0
	}
	startsOn := int(r.Week.Start.In(r.Loc).Weekday())
	var work []labor.Work
	for _, o := range r.Others {
		if !o.Start.Before(r.Week.Start) && o.Start.Before(r.Week.End) {
			work = append(work, labor.Work{ID: o.ID, Start: o.Start, Minutes: labor.ScheduledMinutes(o.Start, o.End, *r.Pay)})
		}
	}
	_, without := labor.Price(work, *r.Pay, r.Loc, startsOn)
	work = append(work, labor.Work{ID: r.Shift.ID, Start: r.Shift.Start, Minutes: labor.ScheduledMinutes(r.Shift.Start, r.Shift.End, *r.Pay)})
	_, with := labor.Price(work, *r.Pay, r.Loc, startsOn)
	return with.OvertimeMinutes - without.OvertimeMinutes
}

func hours(d time.Duration) string {
	return fmt.Sprintf("%.1f h", d.Hours())
}

// shortestRest is the smallest positive gap between the shift and another
// shift of the person. Back-to-back shifts (gap 0) are one stretch of work,
// not a rest, so they are not counted.
func shortestRest(s Interval, others []Interval) (time.Duration, bool) {
	var best time.Duration
	found := false
	for _, o := range others {
		var gap time.Duration
		switch {
		case !o.Start.Before(s.End):
			gap = o.Start.Sub(s.End)
		case !s.Start.Before(o.End):
			gap = s.Start.Sub(o.End)
		default:
			continue // overlap: Blocking reports it
		}
		if gap > 0 && (!found || gap < best) {
			best, found = gap, true
		}
	}
	return best, found
}

// WeekHours sums the hours of the shifts that start in week. A shift is
// counted in the week it starts in.
func WeekHours(w Week, shifts []Interval) float64 {
	var total time.Duration
	for _, s := range shifts {
		if !s.Start.Before(w.Start) && s.Start.Before(w.End) {
			total += s.End.Sub(s.Start)
		}
	}
	return total.Hours()
}

// WithinAvailability reports whether the shift lies inside the person's
// weekly windows. No windows at all means "available any time". A shift
// over local midnight must be covered on each local day it touches.
func WithinAvailability(s Interval, ws []Window, loc *time.Location) bool {
	if len(ws) == 0 {
		return true
	}
	start, end := s.Start.In(loc), s.End.In(loc)
	for day := start; day.Before(end); {
		y, m, d := day.Date()
		next := dayStart(y, m, d+1, loc)
		segEnd := end
		if next.Before(end) {
			segEnd = next
		}
		from := minuteOfDay(day)
		to := 24 * 60
		if segEnd.Before(next) {
			to = minuteOfDay(segEnd)
		}
		if !covered(ws, int(day.Weekday()), from, to) {
			return false
		}
		day = next
	}
	return true
}

func minuteOfDay(t time.Time) int { return t.Hour()*60 + t.Minute() }

func covered(ws []Window, weekday, from, to int) bool {
	for _, w := range ws {
		if w.Weekday == weekday && w.Start <= from && to <= w.End {
			return true
		}
	}
	return false
}
