package roster

import (
	"slices"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func iv(id int64, from, to string) Interval { return Interval{ID: id, Start: at(from), End: at(to)} }

func TestOverlaps(t *testing.T) {
	t.Parallel()
	base := iv(1, "2026-12-01T09:00:00Z", "2026-12-01T17:00:00Z")
	tests := []struct {
		desc  string
		other Interval
		want  bool
	}{
		{"same times", iv(2, "2026-12-01T09:00:00Z", "2026-12-01T17:00:00Z"), true},
		{"inside", iv(2, "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"), true},
		{"covers", iv(2, "2026-12-01T08:00:00Z", "2026-12-01T18:00:00Z"), true},
		{"overlaps the start", iv(2, "2026-12-01T05:00:00Z", "2026-12-01T09:00:01Z"), true},
		{"overlaps the end", iv(2, "2026-12-01T16:59:59Z", "2026-12-01T20:00:00Z"), true},
		{"back to back before", iv(2, "2026-12-01T01:00:00Z", "2026-12-01T09:00:00Z"), false},
		{"back to back after", iv(2, "2026-12-01T17:00:00Z", "2026-12-01T20:00:00Z"), false},
		{"another day", iv(2, "2026-12-02T09:00:00Z", "2026-12-02T17:00:00Z"), false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := Overlaps(base, tc.other); got != tc.want {
				t.Errorf("Overlaps = %v, want %v", got, tc.want)
			}
			if got := Overlaps(tc.other, base); got != tc.want {
				t.Errorf("Overlaps (swapped) = %v, want %v", got, tc.want)
			}
		})
	}
}

func kinds(ws []Warning) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.Kind)
	}
	return out
}

func TestRules(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Halifax")
	shift := iv(0, "2026-12-02T13:00:00Z", "2026-12-02T21:00:00Z") // Wed 09:00-17:00 AST
	week := WeekOf(shift.Start, loc, 1)
	tests := []struct {
		desc          string
		others        []Interval
		timeOff       []Interval
		avail         []Window
		maxHours      int
		wantConflicts []string
		wantWarnings  []string
	}{
		{desc: "free", maxHours: 40, wantWarnings: []string{}},
		{desc: "overlap blocks", others: []Interval{iv(7, "2026-12-02T20:00:00Z", "2026-12-02T23:00:00Z")}, maxHours: 40,
			wantConflicts: []string{KindOverlap}, wantWarnings: []string{}},
		{desc: "back to back is fine", others: []Interval{iv(7, "2026-12-02T21:00:00Z", "2026-12-02T23:00:00Z")}, maxHours: 40,
			wantWarnings: []string{}},
		{desc: "approved time off blocks", timeOff: []Interval{iv(3, "2026-12-02T04:00:00Z", "2026-12-03T04:00:00Z")}, maxHours: 40,
			wantConflicts: []string{KindTimeOff}, wantWarnings: []string{}},
		{desc: "short rest warns", others: []Interval{iv(7, "2026-12-02T02:00:00Z", "2026-12-02T06:00:00Z")}, maxHours: 40,
			wantWarnings: []string{WarnMinRest}},
		{desc: "ten hours rest is enough", others: []Interval{iv(7, "2026-12-02T00:00:00Z", "2026-12-02T03:00:00Z")}, maxHours: 40,
			wantWarnings: []string{}},
		{desc: "over weekly hours warns", others: []Interval{
			iv(7, "2026-11-30T13:00:00Z", "2026-11-30T21:00:00Z"), iv(8, "2026-12-01T13:00:00Z", "2026-12-01T21:00:00Z"),
			iv(9, "2026-12-03T13:00:00Z", "2026-12-03T21:00:00Z")}, maxHours: 24, wantWarnings: []string{WarnMaxHours}},
		{desc: "inside availability", avail: []Window{{Weekday: 3, Start: 8 * 60, End: 18 * 60}}, maxHours: 40, wantWarnings: []string{}},
		{desc: "outside availability warns", avail: []Window{{Weekday: 3, Start: 10 * 60, End: 18 * 60}}, maxHours: 40,
			wantWarnings: []string{WarnAvailability}},
		{desc: "availability on another day warns", avail: []Window{{Weekday: 4, Start: 0, End: 24 * 60}}, maxHours: 40,
			wantWarnings: []string{WarnAvailability}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := Rules{Shift: shift, Others: tc.others, TimeOff: tc.timeOff, Availability: tc.avail, Loc: loc, Week: week,
				MinRest: 10 * time.Hour, MaxHours: tc.maxHours}
			var got []string
			for _, c := range Blocking(r) {
				got = append(got, c.Kind)
			}
			if !slices.Equal(got, tc.wantConflicts) {
				t.Errorf("Blocking = %v, want %v", got, tc.wantConflicts)
			}
			if got := kinds(Warnings(r)); !slices.Equal(got, tc.wantWarnings) {
				t.Errorf("Warnings = %v, want %v", got, tc.wantWarnings)
			}
		})
	}
}

func TestWithinAvailabilityOverMidnight(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Halifax")
	night := iv(0, "2026-12-03T02:00:00Z", "2026-12-03T10:00:00Z") // Wed 22:00 - Thu 06:00 AST
	tests := []struct {
		desc string
		ws   []Window
		want bool
	}{
		{"both days covered", []Window{{3, 20 * 60, 24 * 60}, {4, 0, 8 * 60}}, true},
		{"second day missing", []Window{{3, 20 * 60, 24 * 60}}, false},
		{"first day too short", []Window{{3, 20 * 60, 23 * 60}, {4, 0, 8 * 60}}, false},
		{"no windows means any time", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := WithinAvailability(night, tc.ws, loc); got != tc.want {
				t.Errorf("WithinAvailability = %v, want %v", got, tc.want)
			}
		})
	}
}
