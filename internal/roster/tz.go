package roster

import (
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
)

// Calendar dates (YYYY-MM-DD) are days in the store's time zone. Instants
// are compared and stored in UTC; a day or week is turned into instants only
// through the zone, so DST days are 23 or 25 hours long, correctly.

// dateLayout is the calendar date format of the API.
const dateLayout = time.DateOnly

// parseDate reads a calendar date as local midnight in loc.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation(dateLayout, s, loc)
	return t, err == nil
}

// dayStart is the local midnight of day (y, m, d) in loc. time.Date
// normalises overflowing days, so dayStart(y, m, d+7) is a week later in
// calendar terms, whatever DST did in between.
func dayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Week is one store week: [Start, End) as instants, Start a local midnight
// on the store's first weekday.
type Week struct {
	Start time.Time
	End   time.Time
}

// Date is the week's first day as YYYY-MM-DD.
func (w Week) Date() string { return w.Start.Format(dateLayout) }

// Hours is the week's length in hours (167 or 169 across a DST change).
func (w Week) Hours() float64 { return w.End.Sub(w.Start).Hours() }

// WeekOf returns the store week holding instant t. startsOn is the weekday
// weeks start on (0 = Sunday).
func WeekOf(t time.Time, loc *time.Location, startsOn int) Week {
	lt := t.In(loc)
	back := (int(lt.Weekday()) - startsOn + 7) % 7
	y, m, d := lt.Date()
	start := dayStart(y, m, d-back, loc)
	return Week{Start: start, End: dayStart(y, m, d-back+7, loc)}
}

// weekFromDate parses a week_start field: any date of the week is accepted
// and the week holding it returned.
func weekFromDate(field, s string, loc *time.Location, startsOn int) (Week, error) {
	t, ok := parseDate(s, loc)
	if !ok {
		return Week{}, apperr.Field(field, "must be a date like 2026-03-09")
	}
	return WeekOf(t, loc, startsOn), nil
}

// shiftByDays moves an instant by whole calendar days keeping its local wall
// clock time (09:00 stays 09:00 across a DST change).
func shiftByDays(t time.Time, days int, loc *time.Location) time.Time {
	lt := t.In(loc)
	y, m, d := lt.Date()
	return time.Date(y, m, d+days, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), loc).UTC()
}

// daysBetween counts calendar days from a to b (both local midnights).
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}
