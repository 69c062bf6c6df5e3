package attendance

import (
	"slices"
	"time"
)

// The attendance maths. Every function here is pure: instants in, numbers
// out. Durations are measured between instants (UTC), never by subtracting
// wall-clock readings, so a shift across a DST change is as long as it
// really was (a 22:00-06:00 night is 9 hours on the fall-back night, 7 on the
// spring-forward night). Calendar things (days, weeks, hours of the day) are
// taken in the store's zone, so those days have 23 or 25 hours.
//
// Rounding policy: worked, break, late and early-leave time are exact to
// the second internally and reported in whole minutes rounded DOWN, per
// record. Nobody is credited a minute they did not work, and nobody is late
// until a full minute has passed. Weekly totals add the exact durations and
// round once at the end, so a week is never short by the sum of per-record
// rounding.

// StatutoryWeekHours is the weekly threshold above which hours are overtime.
const StatutoryWeekHours = 40

// Interval is a span of time [Start, End).
type Interval struct {
	Start, End time.Time
}

// Minutes is d in whole minutes, rounded down (negative durations are 0).
func Minutes(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(d / time.Minute)
}

// LateMinutes is how many minutes after the shift start someone clocked in,
// or 0 when they arrived within the grace period.
func LateMinutes(shiftStart, clockIn time.Time, graceMinutes int) int {
	late := clockIn.Sub(shiftStart)
	if late <= time.Duration(graceMinutes)*time.Minute {
		return 0
	}
	return Minutes(late)
}

// EarlyLeaveMinutes is how many minutes before the shift end someone
// clocked out (0 when they stayed to the end, or are still in).
func EarlyLeaveMinutes(shiftEnd time.Time, clockOut *time.Time) int {
	if clockOut == nil {
		return 0
	}
	return Minutes(shiftEnd.Sub(*clockOut))
}

// Worked returns the time between in and out (now while still clocked in)
// minus the breaks, and the break time itself. Breaks are clipped to the
// record and overlapping breaks count once; an open break runs until out.
func Worked(in, out time.Time, breaks []Interval) (worked, onBreak time.Duration) {
	if !out.After(in) {
		return 0, 0
	}
	clipped := make([]Interval, 0, len(breaks))
	for _, b := range breaks {
		s, e := b.Start, b.End
		if e.IsZero() || e.After(out) {
			e = out
		}
		if s.Before(in) {
			s = in
		}
		if e.After(s) {
			clipped = append(clipped, Interval{s, e})
		}
	}
	slices.SortFunc(clipped, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	var cur Interval
	for i, b := range clipped {
		switch {
		case i == 0:
			cur = b
		case !b.Start.After(cur.End):
			if b.End.After(cur.End) {
				cur.End = b.End
			}
		default:
			onBreak += cur.End.Sub(cur.Start)
			cur = b
		}
	}
	if len(clipped) > 0 {
		onBreak += cur.End.Sub(cur.Start)
	}
	return out.Sub(in) - onBreak, onBreak
}

// LocalDate is the calendar date of t in loc, as midnight UTC (the form
// dates are stored in).
func LocalDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayBounds is the instant a calendar date starts in loc and the instant
// the next one starts: 23 hours apart on a spring-forward day, 25 on a
// fall-back day.
func DayBounds(date time.Time, loc *time.Location) (start, end time.Time) {
	y, m, d := date.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// WeekStart is the first day (a date, midnight UTC) of the week holding
// the calendar date of t in loc, for weeks starting on weekday startsOn
// (0 = Sunday).
func WeekStart(t time.Time, loc *time.Location, startsOn int) time.Time {
	day := LocalDate(t, loc)
	back := (int(day.Weekday()) - startsOn + 7) % 7
	return day.AddDate(0, 0, -back)
}

// Shift is what the maths needs of a worked record.
type Shift struct {
	In      time.Time
	Out     time.Time // zero while clocked in; now is used
	Breaks  []Interval
	Planned *Interval // the scheduled shift, if any
}

// WeekTotal is one person's week.
type WeekTotal struct {
	WeekStart       string `json:"week_start"`
	WorkedMinutes   int    `json:"worked_minutes"`
	OvertimeMinutes int    `json:"overtime_minutes"`
	// OverMaxMinutes is time above the person's max_hours_per_week, which
	// managers want to see even below the statutory threshold.
	OverMaxMinutes int `json:"over_max_minutes"`
}

// WeeklyTotals adds up worked time per week (store calendar). A record
// belongs to the week of the day it started in, as on a paper timesheet.
// Overtime is time above StatutoryWeekHours; over-max is time above
// maxHours (0 = no personal maximum).
func WeeklyTotals(records []Shift, now time.Time, loc *time.Location, weekStartsOn, maxHours int) []WeekTotal {
	sums := map[time.Time]time.Duration{}
	var weeks []time.Time
	for _, r := range records {
		out := r.Out
		if out.IsZero() {
			out = now
		}
		w, _ := Worked(r.In, out, r.Breaks)
		ws := WeekStart(r.In, loc, weekStartsOn)
		if _, ok := sums[ws]; !ok {
			weeks = append(weeks, ws)
		}
		sums[ws] += w
	}
	slices.SortFunc(weeks, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]WeekTotal, 0, len(weeks))
	for _, ws := range weeks {
		d := sums[ws]
		t := WeekTotal{WeekStart: ws.Format(time.DateOnly), WorkedMinutes: Minutes(d),
			OvertimeMinutes: Minutes(d - StatutoryWeekHours*time.Hour)}
		if maxHours > 0 {
			t.OverMaxMinutes = Minutes(d - time.Duration(maxHours)*time.Hour)
		}
		out = append(out, t)
	}
	return out
}

// HourCoverage is one hour of a day on the floor.
type HourCoverage struct {
	Start     time.Time `json:"start"`
	Scheduled int       `json:"scheduled"`
	// Present is who was clocked in at any time in the hour; nil for hours
	// that have not started yet.
	Present *int `json:"present"`
}

// Coverage splits a store day into its real hours (23 or 25 on DST days)
// and counts, per hour, the scheduled shifts and the attendance spans that
// overlap it. Spans with a zero End are still open (until now).
func Coverage(date time.Time, loc *time.Location, now time.Time, scheduled, present []Interval) []HourCoverage {
	start, end := DayBounds(date, loc)
	var out []HourCoverage
	overlaps := func(iv Interval, s, e time.Time) bool {
		ivEnd := iv.End
		if ivEnd.IsZero() {
			ivEnd = now
		}
		return iv.Start.Before(e) && ivEnd.After(s)
	}
	for h := start; h.Before(end); h = h.Add(time.Hour) {
		he := h.Add(time.Hour)
		c := HourCoverage{Start: h}
		for _, s := range scheduled {
			if overlaps(s, h, he) {
				c.Scheduled++
			}
		}
		if !h.After(now) {
			n := 0
			for _, p := range present {
				if overlaps(p, h, he) {
					n++
				}
			}
			c.Present = &n
		}
		out = append(out, c)
	}
	return out
}
