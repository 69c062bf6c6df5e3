package labor

import (
	"slices"
	"time"

	"github.com/crumbcommander/crumb/internal/attendance"
)

// Rules are the store's pay rules, in whole minutes and percent.
type Rules struct {
	// WeeklyOvertimeMinutes is the regular time a store week holds before
	// overtime starts (2400 = 40 h); 0 turns weekly overtime off.
	WeeklyOvertimeMinutes int
	// DailyOvertimeMinutes is the same per store day; 0 is off.
	DailyOvertimeMinutes int
	// OvertimeMultiplierPercent is what an overtime minute pays, in percent
	// of the rate (150 = time and a half).
	OvertimeMultiplierPercent int
	// BreakAfterMinutes and BreakMinutes: a shift or punch longer than
	// BreakAfterMinutes needs an unpaid break of BreakMinutes. 0 is off.
	BreakAfterMinutes int
	BreakMinutes      int
}

// Work is one stretch of paid time to price: a punch (worked minutes after
// its breaks) or a scheduled shift (its length less the required break).
type Work struct {
	ID int64
	// Start decides the store day and week the work belongs to.
	Start time.Time
	// Minutes is the paid time.
	Minutes int
	// RateCents is the hourly rate of this work.
	RateCents int64
}

// Priced is one Work with its split and cost.
type Priced struct {
	ID              int64  `json:"id"`
	Day             string `json:"day"`
	RegularMinutes  int    `json:"regular_minutes"`
	OvertimeMinutes int    `json:"overtime_minutes"`
	RateCents       int64  `json:"rate_cents"`
	CostCents       int64  `json:"cost_cents"`
	// exactNumerator is the exact cost in cents × costDenominator.
	exactNumerator int64
}

// Totals are one person's sums over a set of Work.
type Totals struct {
	RegularMinutes  int   `json:"regular_minutes"`
	OvertimeMinutes int   `json:"overtime_minutes"`
	CostCents       int64 `json:"cost_cents"`
}

// costDenominator turns rate_cents × minutes × percent into cents.
const costDenominator = 60 * 100

// Price splits one person's work into regular and overtime minutes and
// prices it. Work is taken in time order; each store day's minutes above
// DailyOvertimeMinutes are overtime, and each store week's remaining
// (regular) minutes above WeeklyOvertimeMinutes are overtime too: the
// minutes worked last in the week are the ones above the line, and a minute
// is never counted overtime twice. Days and weeks are the store's, in loc
// (23- and 25-hour days included), weeks starting on weekStartsOn.
//
// The person's total cost is the exact cost of all their minutes rounded
// once, half up, to the cent; each piece's CostCents is its exact cost
// rounded down, with the cents left over given to the pieces with the
// largest remainders, so the pieces always add up to the total exactly.
func Price(work []Work, r Rules, loc *time.Location, weekStartsOn int) ([]Priced, Totals) {
	order := make([]int, len(work))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return work[a].Start.Compare(work[b].Start) })
	out := make([]Priced, len(work))
	dayMinutes := map[time.Time]int{}
	weekRegular := map[time.Time]int{}
	mult := int64(r.OvertimeMultiplierPercent)
	var tot Totals
	var sum int64
	for _, i := range order {
		w := work[i]
		m := max(w.Minutes, 0)
		day := attendance.LocalDate(w.Start, loc)
		week := attendance.WeekStart(w.Start, loc, weekStartsOn)
		daily := 0
		if r.DailyOvertimeMinutes > 0 {
			daily = above(dayMinutes[day], m, r.DailyOvertimeMinutes)
		}
		dayMinutes[day] += m
		reg := m - daily
		weekly := 0
		if r.WeeklyOvertimeMinutes > 0 {
			weekly = above(weekRegular[week], reg, r.WeeklyOvertimeMinutes)
		}
		weekRegular[week] += reg
		reg -= weekly
		ot := daily + weekly
		p := Priced{ID: w.ID, Day: day.Format(time.DateOnly), RegularMinutes: reg, OvertimeMinutes: ot, RateCents: w.RateCents}
		p.exactNumerator = w.RateCents * (int64(reg)*100 + int64(ot)*mult)
		sum += p.exactNumerator
		tot.RegularMinutes += reg
		tot.OvertimeMinutes += ot
		out[i] = p
	}
	tot.CostCents = roundHalfUp(sum, costDenominator)
	allocate(out, tot.CostCents)
	return out, tot
}

// above is how many of add minutes, added to before, lie above line.
func above(before, add, line int) int {
	after := before + add
	if after <= line {
		return 0
	}
	return after - max(before, line)
}

func roundHalfUp(n, d int64) int64 {
	if n < 0 {
		return -roundHalfUp(-n, d)
	}
	return (n + d/2) / d
}

// allocate sets each piece's CostCents so that they add up to total: the
// exact cost rounded down, plus one cent for the pieces with the largest
// remainders (earlier pieces first on ties).
func allocate(ps []Priced, total int64) {
	var floor int64
	idx := make([]int, len(ps))
	for i := range ps {
		ps[i].CostCents = ps[i].exactNumerator / costDenominator
		floor += ps[i].CostCents
		idx[i] = i
	}
	left := total - floor
	if left <= 0 {
		return
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ra, rb := ps[a].exactNumerator%costDenominator, ps[b].exactNumerator%costDenominator
		switch {
		case ra > rb:
			return -1
		case ra < rb:
			return 1
		}
		return 0
	})
	for _, i := range idx {
		if left == 0 {
			return
		}
		ps[i].CostCents++
		left--
	}
}

// PaidMinutes is the paid time of a punch: worked time (its breaks off) in
// whole minutes, rounded down, as attendance reports it.
func PaidMinutes(in, out time.Time, breaks []attendance.Interval) int {
	w, _ := attendance.Worked(in, out, breaks)
	return attendance.Minutes(w)
}

// ScheduledMinutes is the paid time of a scheduled shift: its real length
// (an instant difference, so a night across a DST change is 7 or 9 hours),
// less the required unpaid break when the shift is long enough to need one.
func ScheduledMinutes(start, end time.Time, r Rules) int {
	m := attendance.Minutes(end.Sub(start))
	if r.BreakAfterMinutes > 0 && r.BreakMinutes > 0 && m > r.BreakAfterMinutes {
		m -= r.BreakMinutes
	}
	return max(m, 0)
}

// BreakShort reports whether a punch broke the break rule: it ran longer
// than BreakAfterMinutes (clock-in to clock-out) with less than
// BreakMinutes of break. It returns the break taken, in whole minutes.
func BreakShort(in, out time.Time, breaks []attendance.Interval, r Rules) (short bool, taken int) {
	if r.BreakAfterMinutes <= 0 || r.BreakMinutes <= 0 || !out.After(in) {
		return false, 0
	}
	_, b := attendance.Worked(in, out, breaks)
	taken = attendance.Minutes(b)
	span := attendance.Minutes(out.Sub(in))
	return span > r.BreakAfterMinutes && taken < r.BreakMinutes, taken
}

// ShiftNeedsBreak reports whether a scheduled shift is long enough that the
// break rule requires an unpaid break in it.
func ShiftNeedsBreak(start, end time.Time, r Rules) bool {
	return r.BreakAfterMinutes > 0 && r.BreakMinutes > 0 && attendance.Minutes(end.Sub(start)) > r.BreakAfterMinutes
}
