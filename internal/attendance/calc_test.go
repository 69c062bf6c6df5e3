package attendance

import (
	"testing"
	"time"
)

var halifax = func() *time.Location {
	loc, err := time.LoadLocation("America/Halifax")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a wall-clock reading in Halifax. Readings that do not exist (the
// spring-forward gap) or exist twice (the fall-back hour) are avoided; the
// tests build those instants from UTC instead.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, halifax)
	if err != nil {
		panic(err)
	}
	return t
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWorkedAcrossDST(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc        string
		in, out     time.Time
		breaks      []Interval
		worked, brk int // minutes
	}{
		{"plain day", at("2026-03-04 09:00"), at("2026-03-04 17:00"), nil, 480, 0},
		{"half-hour break", at("2026-03-04 09:00"), at("2026-03-04 17:00"),
			[]Interval{{at("2026-03-04 12:00"), at("2026-03-04 12:30")}}, 450, 30},
		{"spring-forward night is an hour short", at("2026-03-07 22:00"), at("2026-03-08 06:00"), nil, 7 * 60, 0},
		{"fall-back night is an hour long", at("2026-10-31 22:00"), at("2026-11-01 06:00"), nil, 9 * 60, 0},
		{"break over the spring-forward gap", at("2026-03-08 01:00"), at("2026-03-08 05:00"),
			// 01:45 ADT-less local to 03:15 ADT: 05:45Z to 06:15Z is 30 real minutes.
			[]Interval{{utc("2026-03-08 05:45"), utc("2026-03-08 06:15")}}, 150, 30},
		{"break in the repeated hour", utc("2026-11-01 03:00"), utc("2026-11-01 09:00"),
			// 01:30 ADT to 01:30 AST: an hour, though the clock reads the same.
			[]Interval{{utc("2026-11-01 04:30"), utc("2026-11-01 05:30")}}, 300, 60},
		{"overlapping breaks count once", at("2026-03-04 09:00"), at("2026-03-04 17:00"),
			[]Interval{{at("2026-03-04 12:00"), at("2026-03-04 12:30")}, {at("2026-03-04 12:15"), at("2026-03-04 12:45")}}, 435, 45},
		{"break clipped to the record", at("2026-03-04 09:00"), at("2026-03-04 17:00"),
			[]Interval{{at("2026-03-04 16:45"), at("2026-03-04 17:30")}}, 465, 15},
		{"open break runs to out", at("2026-03-04 09:00"), at("2026-03-04 10:00"),
			[]Interval{{Start: at("2026-03-04 09:40")}}, 40, 20},
		{"seconds round down", at("2026-03-04 09:00"), at("2026-03-04 09:00").Add(59*time.Minute + 59*time.Second), nil, 59, 0},
		{"out before in", at("2026-03-04 09:00"), at("2026-03-04 08:00"), nil, 0, 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			w, b := Worked(tc.in, tc.out, tc.breaks)
			if Minutes(w) != tc.worked || Minutes(b) != tc.brk {
				t.Errorf("worked %d break %d, want %d %d", Minutes(w), Minutes(b), tc.worked, tc.brk)
			}
		})
	}
}

func TestLateAndEarlyLeave(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc        string
		start, in   time.Time
		grace, late int
		end, out    time.Time
		early       int
	}{
		{"on time", at("2026-03-04 09:00"), at("2026-03-04 08:55"), 5, 0, at("2026-03-04 17:00"), at("2026-03-04 17:02"), 0},
		{"within grace", at("2026-03-04 09:00"), at("2026-03-04 09:05"), 5, 0, at("2026-03-04 17:00"), at("2026-03-04 16:59").Add(30 * time.Second), 0},
		{"past grace counts from the start", at("2026-03-04 09:00"), at("2026-03-04 09:05").Add(time.Second), 5, 5, at("2026-03-04 17:00"), at("2026-03-04 16:30"), 30},
		// Shift 03:00 ADT on the spring-forward day; 02:xx does not exist,
		// so 01:59 AST + 1 minute is 03:00 ADT. Arriving at 03:20 ADT is 20 late.
		{"spring forward", at("2026-03-08 03:00"), at("2026-03-08 03:20"), 5, 20, at("2026-03-08 07:00"), at("2026-03-08 06:00"), 60},
		// Shift 01:00 AST (the second 01:00) on fall-back day: 05:00Z.
		// Clocking in at the first 01:30 (ADT, 04:30Z) is early, not late.
		{"fall back, first 01:30 is early", utc("2026-11-01 05:00"), utc("2026-11-01 04:30"), 5, 0, utc("2026-11-01 09:00"), utc("2026-11-01 09:00"), 0},
		{"fall back, second 01:30 is late", utc("2026-11-01 05:00"), utc("2026-11-01 05:30"), 5, 30, utc("2026-11-01 09:00"), utc("2026-11-01 08:00"), 60},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := LateMinutes(tc.start, tc.in, tc.grace); got != tc.late {
				t.Errorf("late %d, want %d", got, tc.late)
			}
			if got := EarlyLeaveMinutes(tc.end, &tc.out); got != tc.early {
				t.Errorf("early leave %d, want %d", got, tc.early)
			}
		})
	}
	if EarlyLeaveMinutes(at("2026-03-04 17:00"), nil) != 0 {
		t.Error("still in is not early leave")
	}
}

func TestDaysAndWeeks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc  string
		date  string
		hours int
	}{
		{"ordinary day", "2026-03-04", 24},
		{"spring forward", "2026-03-08", 23},
		{"fall back", "2026-11-01", 25},
	} {
		d, _ := time.Parse(time.DateOnly, tc.date)
		s, e := DayBounds(d, halifax)
		if got := int(e.Sub(s).Hours()); got != tc.hours {
			t.Errorf("%s: %d hours, want %d", tc.desc, got, tc.hours)
		}
		if n := len(Coverage(d, halifax, e, nil, nil)); n != tc.hours {
			t.Errorf("%s: %d coverage hours, want %d", tc.desc, n, tc.hours)
		}
	}
	for _, tc := range []struct {
		desc    string
		t       time.Time
		startOn int
		want    string
	}{
		{"Sunday 23:30 local is still Sunday (Monday weeks)", utc("2026-03-09 02:30"), 1, "2026-03-02"},
		{"Monday 00:30 local", at("2026-03-09 00:30"), 1, "2026-03-09"},
		{"Sunday weeks", at("2026-03-08 12:00"), 0, "2026-03-08"},
		{"fall-back Sunday, Monday weeks", utc("2026-11-01 05:30"), 1, "2026-10-26"},
	} {
		if got := WeekStart(tc.t, halifax, tc.startOn).Format(time.DateOnly); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.desc, got, tc.want)
		}
	}
}

func TestWeeklyTotalsAndOvertime(t *testing.T) {
	t.Parallel()
	// Five 9-hour nights 22:00-07:00 (minus 30-minute breaks) in the week of
	// the fall-back night (Monday weeks: 2026-10-26 .. 2026-11-01), plus one in
	// the spring-forward week. Saturday 2026-10-31 22:00 to Sunday 07:00 is 10
	// real hours.
	night := func(day string, brk bool) Shift {
		in := at(day + " 22:00")
		d, _ := time.Parse(time.DateOnly, day)
		out := at(d.AddDate(0, 0, 1).Format(time.DateOnly) + " 07:00")
		s := Shift{In: in, Out: out}
		if brk {
			s.Breaks = []Interval{{in.Add(4 * time.Hour), in.Add(4*time.Hour + 30*time.Minute)}}
		}
		return s
	}
	fall := []Shift{night("2026-10-27", true), night("2026-10-28", true), night("2026-10-29", true),
		night("2026-10-30", true), night("2026-10-31", true)}
	for _, tc := range []struct {
		desc    string
		records []Shift
		max     int
		want    []WeekTotal
	}{
		{"fall-back week", fall, 40, []WeekTotal{{"2026-10-26", 4*510 + 570, 4*510 + 570 - 2400, 4*510 + 570 - 2400}}},
		{"personal max below 40", fall[:3], 24, []WeekTotal{{"2026-10-26", 3 * 510, 0, 3*510 - 24*60}}},
		{"no max", fall[:1], 0, []WeekTotal{{"2026-10-26", 510, 0, 0}}},
		// The spring-forward Saturday night is 8 hours; the Sunday night (9 hours)
		// ends on Monday but belongs to the week it started in.
		{"spring-forward week", []Shift{night("2026-03-07", false), night("2026-03-08", false), night("2026-03-09", false)}, 40,
			[]WeekTotal{{"2026-03-02", 8*60 + 9*60, 0, 0}, {"2026-03-09", 9 * 60, 0, 0}}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := WeeklyTotals(tc.records, utc("2027-01-01 00:00"), halifax, 1, tc.max)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("week %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	t.Parallel()
	d, _ := time.Parse(time.DateOnly, "2026-11-01")
	now := utc("2026-11-01 13:30") // 09:30 AST
	sched := []Interval{{utc("2026-11-01 12:00"), utc("2026-11-01 20:00")}, {utc("2026-11-01 13:00"), utc("2026-11-01 17:00")}}
	present := []Interval{{Start: utc("2026-11-01 12:05")}}
	cov := Coverage(d, halifax, now, sched, present)
	if len(cov) != 25 {
		t.Fatalf("%d hours", len(cov))
	}
	// Hour index: 00:00 ADT is 03:00Z; 12:00Z is index 9 (08:00 AST).
	for _, tc := range []struct {
		idx, sched int
		present    *int
	}{
		{8, 0, ptrInt(0)}, {9, 1, ptrInt(1)}, {10, 2, ptrInt(1)}, {11, 2, nil}, {24, 0, nil},
	} {
		c := cov[tc.idx]
		if c.Scheduled != tc.sched || (c.Present == nil) != (tc.present == nil) || (c.Present != nil && *c.Present != *tc.present) {
			t.Errorf("hour %d (%s): %+v", tc.idx, c.Start.In(halifax).Format(time.Kitchen), c)
		}
	}
}

func ptrInt(n int) *int { return &n }
