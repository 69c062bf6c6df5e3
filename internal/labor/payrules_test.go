package labor

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/attendance"
)

var halifax = mustZone("America/Halifax")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a Halifax wall-clock instant.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, halifax)
}

var defaults = Rules{WeeklyOvertimeMinutes: 2400, OvertimeMultiplierPercent: 150}

func TestPrice(t *testing.T) {
	// 2026-11-02 is a Monday; weeks start on Monday (1).
	day := func(d, h, hours int) Work {
		return Work{Start: at(2026, time.November, d, h, 0), Minutes: hours * 60, RateCents: 2000}
	}
	cases := []struct {
		desc      string
		rules     Rules
		work      []Work
		wantReg   int
		wantOT    int
		wantCost  int64
		wantPerOT []int // overtime minutes per piece, in input order
	}{
		{desc: "40 h exactly is all regular", rules: defaults,
			work:    []Work{day(2, 8, 8), day(3, 8, 8), day(4, 8, 8), day(5, 8, 8), day(6, 8, 8)},
			wantReg: 2400, wantOT: 0, wantCost: 80000, wantPerOT: []int{0, 0, 0, 0, 0}},
		{desc: "weekly overtime falls on the last minutes of the week", rules: defaults,
			work:    []Work{day(7, 8, 10), day(2, 8, 10), day(3, 8, 10), day(4, 8, 10), day(5, 8, 5)},
			wantReg: 2400, wantOT: 300, wantCost: 80000 + 15000, wantPerOT: []int{300, 0, 0, 0, 0}},
		{desc: "weekly overtime off", rules: Rules{OvertimeMultiplierPercent: 150},
			work:    []Work{day(2, 8, 12), day(3, 8, 12), day(4, 8, 12), day(5, 8, 12)},
			wantReg: 48 * 60, wantOT: 0, wantCost: 96000, wantPerOT: []int{0, 0, 0, 0}},
		{desc: "daily overtime above 8 h, and those minutes do not count toward the week",
			rules:   Rules{WeeklyOvertimeMinutes: 2400, DailyOvertimeMinutes: 480, OvertimeMultiplierPercent: 150},
			work:    []Work{day(2, 8, 10), day(3, 8, 10), day(4, 8, 10), day(5, 8, 10), day(6, 8, 10)},
			wantReg: 2400, wantOT: 600, wantCost: 80000 + 30000, wantPerOT: []int{120, 120, 120, 120, 120}},
		{desc: "two punches the same day add up for the daily line",
			rules:   Rules{DailyOvertimeMinutes: 480, OvertimeMultiplierPercent: 200},
			work:    []Work{day(2, 14, 5), day(2, 7, 5)},
			wantReg: 480, wantOT: 120, wantCost: 16000 + 8000, wantPerOT: []int{120, 0}},
		{desc: "a night across midnight is the day it started",
			rules:   Rules{DailyOvertimeMinutes: 480, OvertimeMultiplierPercent: 150},
			work:    []Work{{Start: at(2026, time.November, 2, 22, 0), Minutes: 600, RateCents: 2000}, day(3, 12, 8)},
			wantReg: 960, wantOT: 120, wantCost: 32000 + 6000, wantPerOT: []int{120, 0}},
		{desc: "a punch on the last evening of the week belongs to that week",
			rules: defaults,
			// Sunday 8 Nov 20:00 for 10 h runs into Monday (next week).
			work: []Work{day(2, 8, 10), day(3, 8, 10), day(4, 8, 10), day(5, 8, 5),
				{Start: at(2026, time.November, 8, 20, 0), Minutes: 600, RateCents: 2000}, day(9, 8, 8)},
			wantReg: 2400 + 480, wantOT: 300, wantCost: 96000 + 15000, wantPerOT: []int{0, 0, 0, 0, 300, 0}},
		{desc: "a 25-hour fall-back day: a 22:00-06:00 night is 9 h and 1 h is daily overtime",
			rules:   Rules{DailyOvertimeMinutes: 480, OvertimeMultiplierPercent: 150},
			work:    []Work{{Start: at(2026, time.October, 31, 22, 0), Minutes: PaidMinutes(at(2026, time.October, 31, 22, 0), at(2026, time.November, 1, 6, 0), nil), RateCents: 2000}},
			wantReg: 480, wantOT: 60, wantCost: 16000 + 3000, wantPerOT: []int{60}},
		{desc: "a 23-hour spring-forward day: a 22:00-06:00 night is 7 h, no overtime",
			rules:   Rules{DailyOvertimeMinutes: 480, OvertimeMultiplierPercent: 150},
			work:    []Work{{Start: at(2026, time.March, 7, 22, 0), Minutes: PaidMinutes(at(2026, time.March, 7, 22, 0), at(2026, time.March, 8, 6, 0), nil), RateCents: 2000}},
			wantReg: 420, wantOT: 0, wantCost: 14000, wantPerOT: []int{0}},
		{desc: "a whole spring-forward day from midnight to midnight is 23 h",
			rules:   Rules{DailyOvertimeMinutes: 480, OvertimeMultiplierPercent: 150},
			work:    []Work{{Start: at(2026, time.March, 8, 0, 0), Minutes: PaidMinutes(at(2026, time.March, 8, 0, 0), at(2026, time.March, 9, 0, 0), nil), RateCents: 1000}},
			wantReg: 480, wantOT: 15 * 60, wantCost: 8000 + 22500, wantPerOT: []int{900}},
		{desc: "fractions of a cent round once, half up, for the person",
			rules:   defaults,
			work:    []Work{{Start: at(2026, time.November, 2, 9, 0), Minutes: 1, RateCents: 1550}, {Start: at(2026, time.November, 3, 9, 0), Minutes: 1, RateCents: 1550}},
			wantReg: 2, wantOT: 0, wantCost: 52, wantPerOT: []int{0, 0}}, // 2 × 25.8333 = 51.67 → 52
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			ps, tot := Price(tc.work, tc.rules, halifax, 1)
			if tot.RegularMinutes != tc.wantReg || tot.OvertimeMinutes != tc.wantOT || tot.CostCents != tc.wantCost {
				t.Fatalf("totals = %+v, want regular %d overtime %d cost %d", tot, tc.wantReg, tc.wantOT, tc.wantCost)
			}
			var sum int64
			for i, p := range ps {
				sum += p.CostCents
				if p.OvertimeMinutes != tc.wantPerOT[i] {
					t.Errorf("piece %d overtime = %d, want %d", i, p.OvertimeMinutes, tc.wantPerOT[i])
				}
			}
			if sum != tot.CostCents {
				t.Errorf("pieces add up to %d, total %d", sum, tot.CostCents)
			}
		})
	}
}

func TestPriceDays(t *testing.T) {
	ps, _ := Price([]Work{{Start: at(2026, time.November, 2, 23, 30), Minutes: 60}}, defaults, halifax, 1)
	if ps[0].Day != "2026-11-02" {
		t.Fatalf("day = %s, want the day the punch started", ps[0].Day)
	}
}

func TestScheduledMinutes(t *testing.T) {
	br := Rules{BreakAfterMinutes: 300, BreakMinutes: 30}
	cases := []struct {
		desc       string
		start, end time.Time
		rules      Rules
		want       int
	}{
		{"8 h shift less the 30 min break", at(2026, time.November, 2, 9, 0), at(2026, time.November, 2, 17, 0), br, 450},
		{"exactly 5 h needs no break", at(2026, time.November, 2, 9, 0), at(2026, time.November, 2, 14, 0), br, 300},
		{"no rule, no deduction", at(2026, time.November, 2, 9, 0), at(2026, time.November, 2, 17, 0), Rules{}, 480},
		{"fall-back night is 9 h, less the break", at(2026, time.October, 31, 22, 0), at(2026, time.November, 1, 6, 0), br, 510},
		{"spring-forward night is 7 h, less the break", at(2026, time.March, 7, 22, 0), at(2026, time.March, 8, 6, 0), br, 390},
	}
	for _, tc := range cases {
		if got := ScheduledMinutes(tc.start, tc.end, tc.rules); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.desc, got, tc.want)
		}
	}
}

func TestBreakShort(t *testing.T) {
	br := Rules{BreakAfterMinutes: 300, BreakMinutes: 30}
	in, out := at(2026, time.November, 2, 9, 0), at(2026, time.November, 2, 17, 0)
	brk := func(h, m, mins int) attendance.Interval {
		s := at(2026, time.November, 2, h, m)
		return attendance.Interval{Start: s, End: s.Add(time.Duration(mins) * time.Minute)}
	}
	cases := []struct {
		desc      string
		out       time.Time
		breaks    []attendance.Interval
		rules     Rules
		wantShort bool
		wantTaken int
	}{
		{"8 h without a break", out, nil, br, true, 0},
		{"8 h with 20 min", out, []attendance.Interval{brk(12, 0, 20)}, br, true, 20},
		{"8 h with two 15 min breaks", out, []attendance.Interval{brk(11, 0, 15), brk(14, 0, 15)}, br, false, 30},
		{"5 h without a break is fine", at(2026, time.November, 2, 14, 0), nil, br, false, 0},
		{"rule off", out, nil, Rules{}, false, 0},
	}
	for _, tc := range cases {
		short, taken := BreakShort(in, tc.out, tc.breaks, tc.rules)
		if short != tc.wantShort || taken != tc.wantTaken {
			t.Errorf("%s: short %v taken %d, want %v %d", tc.desc, short, taken, tc.wantShort, tc.wantTaken)
		}
	}
}

// TestPricePieces is the property the timesheets and the payroll export
// rest on: whatever the punches, rates and rules, the per-punch costs add up
// to the period total to the cent, every piece is within a cent of its exact
// cost, regular plus overtime is the paid time, and the total is the exact
// cost rounded once.
func TestPricePieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{halifax, mustZone("America/Toronto"), mustZone("America/St_Johns"), time.UTC}
	base := at(2026, time.October, 19, 0, 0) // spans the fall-back change
	for iter := 0; iter < 3000; iter++ {
		loc := zones[rng.IntN(len(zones))]
		r := Rules{OvertimeMultiplierPercent: 100 + rng.IntN(201)}
		if rng.IntN(4) > 0 {
			r.WeeklyOvertimeMinutes = 60 * (20 + rng.IntN(30))
		}
		if rng.IntN(2) == 0 {
			r.DailyOvertimeMinutes = 60 * (4 + rng.IntN(8))
		}
		n := rng.IntN(40)
		work := make([]Work, n)
		var exact int64
		paid := 0
		for i := range work {
			start := base.Add(time.Duration(rng.IntN(28*24*60)) * time.Minute)
			work[i] = Work{ID: int64(i + 1), Start: start, Minutes: rng.IntN(14 * 60), RateCents: int64(1500 + rng.IntN(5000))}
			paid += work[i].Minutes
		}
		ps, tot := Price(work, r, loc, rng.IntN(7))
		var sum int64
		for i, p := range ps {
			if p.RegularMinutes+p.OvertimeMinutes != work[i].Minutes || p.RegularMinutes < 0 || p.OvertimeMinutes < 0 {
				t.Fatalf("iter %d piece %d: %d + %d minutes of %d", iter, i, p.RegularMinutes, p.OvertimeMinutes, work[i].Minutes)
			}
			num := p.RateCents * (int64(p.RegularMinutes)*100 + int64(p.OvertimeMinutes)*int64(r.OvertimeMultiplierPercent))
			exact += num
			if d := p.CostCents*costDenominator - num; d <= -costDenominator || d >= costDenominator {
				t.Fatalf("iter %d piece %d: cost %d is more than a cent from %d/%d", iter, i, p.CostCents, num, costDenominator)
			}
			sum += p.CostCents
		}
		if sum != tot.CostCents {
			t.Fatalf("iter %d: pieces add up to %d, total %d", iter, sum, tot.CostCents)
		}
		if want := roundHalfUp(exact, costDenominator); tot.CostCents != want {
			t.Fatalf("iter %d: total %d, exact cost rounds to %d", iter, tot.CostCents, want)
		}
		if tot.RegularMinutes+tot.OvertimeMinutes != paid {
			t.Fatalf("iter %d: %d + %d minutes of %d", iter, tot.RegularMinutes, tot.OvertimeMinutes, paid)
		}
	}
}

// TestPriceOrderFree: the split does not depend on the order the work is
// given in, only on its times.
func TestPriceOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	r := Rules{WeeklyOvertimeMinutes: 2400, DailyOvertimeMinutes: 480, OvertimeMultiplierPercent: 150}
	for iter := 0; iter < 300; iter++ {
		work := make([]Work, 12)
		for i := range work {
			work[i] = Work{ID: int64(i), Start: at(2026, time.November, 2, 0, 0).Add(time.Duration(i*13) * time.Hour), Minutes: 300 + rng.IntN(400), RateCents: 2000}
		}
		a, ta := Price(work, r, halifax, 1)
		shuffled := append([]Work(nil), work...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b, tb := Price(shuffled, r, halifax, 1)
		if ta != tb {
			t.Fatalf("totals differ: %+v vs %+v", ta, tb)
		}
		byID := map[int64]Priced{}
		for _, p := range b {
			byID[p.ID] = p
		}
		for _, p := range a {
			q := byID[p.ID]
			if p.RegularMinutes != q.RegularMinutes || p.OvertimeMinutes != q.OvertimeMinutes {
				t.Fatalf("piece %d split differs: %+v vs %+v", p.ID, p, q)
			}
		}
	}
}
