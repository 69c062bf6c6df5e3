package labor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/reports"
)

// PayrollLine is one person at one rate in a pay period: the payroll
// export's row. A person paid at two rates in the period (a raise, or a
// rate per position) has a line per rate; their lines add up to their
// timesheet's cost.
type PayrollLine struct {
	EmployeeID      int64
	Name            string
	RateCents       int64
	RegularMinutes  int
	OvertimeMinutes int
	RegularCents    int64
	OvertimeCents   int64
}

// GrossCents is the line's pay.
func (l PayrollLine) GrossCents() int64 { return l.RegularCents + l.OvertimeCents }

// payrollLines splits each sheet by rate. A line's regular pay is its
// regular minutes at the rate rounded half up to the cent; its overtime
// pay is the rest of the line's punches' cost, so the lines add up to the
// sheet exactly.
func payrollLines(sheets []Timesheet) []PayrollLine {
	var out []PayrollLine
	for _, t := range sheets {
		byRate := map[int64]*PayrollLine{}
		var rates []int64
		var cost = map[int64]int64{}
		for _, pu := range t.Punches {
			if pu.Open {
				continue
			}
			l := byRate[pu.RateCents]
			if l == nil {
				l = &PayrollLine{EmployeeID: t.EmployeeID, Name: t.Name, RateCents: pu.RateCents}
				byRate[pu.RateCents] = l
				rates = append(rates, pu.RateCents)
			}
			l.RegularMinutes += pu.RegularMinutes
			l.OvertimeMinutes += pu.OvertimeMinutes
			cost[pu.RateCents] += pu.CostCents
		}
		slices.Sort(rates)
		for _, r := range rates {
			l := byRate[r]
			l.RegularCents = roundHalfUp(r*int64(l.RegularMinutes), 60)
			l.OvertimeCents = cost[r] - l.RegularCents
			out = append(out, *l)
		}
	}
	return out
}

// lockedSheets are the timesheets of a locked period for a report query.
func (s *Service) lockedSheets(ctx context.Context, q reports.Query) (Period, Settings, []Timesheet, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Period{}, Settings{}, nil, err
	}
	set, err := s.GetSettings(ctx)
	if err != nil {
		return Period{}, Settings{}, nil, err
	}
	per, err := periodFrom("from", q.From.Format(time.DateOnly), s.W.Clock(), set, st)
	if err != nil {
		return per, set, nil, fmt.Errorf("%w: %v", reports.ErrPermanent, err)
	}
	if _, err := loadPeriodStatus(ctx, s.W.DB, &per, ""); err != nil {
		return per, set, nil, err
	}
	if per.Status != PeriodLocked {
		return per, set, nil, fmt.Errorf("%w: the pay period starting %s is not locked", reports.ErrPermanent, per.StartsOn)
	}
	sq := sheetQuery{visible: func(int64, []int64) bool { return true }}
	if q.DepartmentID != nil {
		sq.dept = *q.DepartmentID
	}
	sheets, err := s.buildSheets(ctx, s.W.DB, st, set, per, sq)
	return per, set, sheets, err
}

// checkPayroll accepts a payroll request for a whole pay period that is
// locked: from its first day to its last.
func (s *Service) checkPayroll(ctx context.Context, p auth.Principal, from, to string) error {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return err
	}
	set, err := s.GetSettings(ctx)
	if err != nil {
		return err
	}
	per, err := periodFrom("from", from, s.W.Clock(), set, st)
	if err != nil {
		return err
	}
	if to != per.EndsOn {
		return apperr.Field("to", "must be "+per.EndsOn+", the last day of the pay period")
	}
	if _, err := loadPeriodStatus(ctx, s.W.DB, &per, ""); err != nil {
		return err
	}
	if per.Status != PeriodLocked {
		return apperr.New(apperr.Conflict, "approve and lock the pay period starting %s before exporting its payroll", per.StartsOn)
	}
	return nil
}

// PayrollSources are the report sources of the payroll kinds.
func (s *Service) PayrollSources() map[string]reports.Source {
	return map[string]reports.Source{
		reports.KindPayroll:        &PayrollSource{s: s},
		reports.KindPayrollPunches: &PunchSource{s: s},
		reports.KindPayrollPE:      &PaymentEvolutionSource{s: s},
	}
}

// PayrollSource is the generic payroll layout (README, "Payroll export"):
// one row per person and rate.
type PayrollSource struct{ s *Service }

// Columns are the generic layout's header.
func (*PayrollSource) Columns() []string {
	return []string{"employee_id", "name", "period_start", "period_end", "currency", "rate", "rate_cents",
		"regular_hours", "overtime_hours", "regular_minutes", "overtime_minutes", "regular_pay", "overtime_pay", "gross", "gross_cents"}
}

// Check implements reports.Checker.
func (ps *PayrollSource) Check(ctx context.Context, p auth.Principal, from, to string, _ *int64) error {
	return ps.s.checkPayroll(ctx, p, from, to)
}

// DetailSheet implements reports.Detailed: the XLSX has every punch too.
func (ps *PayrollSource) DetailSheet() (string, reports.Source) {
	return "Punches", &PunchSource{s: ps.s}
}

// Stream emits the lines.
func (ps *PayrollSource) Stream(ctx context.Context, q reports.Query, emit func([]any) error) error {
	per, set, sheets, err := ps.s.lockedSheets(ctx, q)
	if err != nil {
		return err
	}
	for _, l := range payrollLines(sheets) {
		if err := emit([]any{l.EmployeeID, l.Name, per.StartsOn, per.EndsOn, set.Currency, money(l.RateCents), l.RateCents,
			hoursText(l.RegularMinutes), hoursText(l.OvertimeMinutes), int64(l.RegularMinutes), int64(l.OvertimeMinutes),
			money(l.RegularCents), money(l.OvertimeCents), money(l.GrossCents()), l.GrossCents()}); err != nil {
			return err
		}
	}
	return nil
}

// PunchSource is every punch of a locked period, priced.
type PunchSource struct{ s *Service }

// Columns are the punches' header.
func (*PunchSource) Columns() []string {
	return []string{"employee_id", "name", "record_id", "day", "clock_in", "clock_out", "position", "worked_minutes", "break_minutes",
		"regular_minutes", "overtime_minutes", "rate_cents", "cost_cents", "late_minutes", "early_leave_minutes", "break_short", "flags"}
}

// Check implements reports.Checker.
func (ps *PunchSource) Check(ctx context.Context, p auth.Principal, from, to string, _ *int64) error {
	return ps.s.checkPayroll(ctx, p, from, to)
}

// Stream emits the punches, person by person in time order.
func (ps *PunchSource) Stream(ctx context.Context, q reports.Query, emit func([]any) error) error {
	_, _, sheets, err := ps.s.lockedSheets(ctx, q)
	if err != nil {
		return err
	}
	for _, t := range sheets {
		for _, pu := range t.Punches {
			var out any = ""
			if pu.ClockOutAt != nil {
				out = *pu.ClockOutAt
			}
			var flags []string
			for _, f := range pu.Flags {
				flags = append(flags, f.Comment)
			}
			if err := emit([]any{t.EmployeeID, t.Name, pu.RecordID, pu.Day, pu.ClockInAt, out, pu.Position, int64(pu.WorkedMinutes),
				int64(pu.BreakMinutes), int64(pu.RegularMinutes), int64(pu.OvertimeMinutes), pu.RateCents, pu.CostCents,
				int64(pu.LateMinutes), int64(pu.EarlyLeaveMinutes), pu.BreakShort, strings.Join(flags, " | ")}); err != nil {
				return err
			}
		}
	}
	return nil
}

// PaymentEvolutionSource writes PaymentEvolution's timesheet import layout
// (help.paymentevolution.com, "Import timesheets via CSV"): twelve fields by
// position, no header row: Shift, EmployeeID (6 digits, zero-filled),
// TimeCode (R regular; O overtime at 1.5, D at 2), CostAccount, TotalHours,
// HourRate, Total, WorkDate and WorkDateEnd (dd/mm/yyyy), TimeIn, TimeOut,
// Authorized (Y). One R line per person and rate, and an O (or D) line
// when they have overtime. The employee id is CrumbCommander's person id.
type PaymentEvolutionSource struct{ s *Service }

// Columns names the twelve fields (not written: the layout has no header).
func (*PaymentEvolutionSource) Columns() []string {
	return []string{"Shift", "EmployeeID", "TimeCode", "CostAccount", "TotalHours", "HourRate", "Total", "WorkDate", "WorkDateEnd", "TimeIn", "TimeOut", "Authorized"}
}

// NoHeader implements reports.Headless.
func (*PaymentEvolutionSource) NoHeader() bool { return true }

// Check implements reports.Checker.
func (ps *PaymentEvolutionSource) Check(ctx context.Context, p auth.Principal, from, to string, _ *int64) error {
	return ps.s.checkPayroll(ctx, p, from, to)
}

// Stream emits the import lines.
func (ps *PaymentEvolutionSource) Stream(ctx context.Context, q reports.Query, emit func([]any) error) error {
	per, set, sheets, err := ps.s.lockedSheets(ctx, q)
	if err != nil {
		return err
	}
	dmy := func(ymd string) string {
		d, _ := time.Parse(time.DateOnly, ymd)
		return d.Format("02/01/2006")
	}
	otCode := "O"
	if set.OvertimeMultiplierPercent == 200 {
		otCode = "D"
	}
	for _, l := range payrollLines(sheets) {
		id := fmt.Sprintf("%06d", l.EmployeeID)
		if err := emit([]any{"", id, "R", "", hoursText(l.RegularMinutes), money(l.RateCents), money(l.RegularCents),
			dmy(per.StartsOn), dmy(per.EndsOn), "", "", "Y"}); err != nil {
			return err
		}
		if l.OvertimeMinutes > 0 {
			if err := emit([]any{"", id, otCode, "", hoursText(l.OvertimeMinutes), money(l.RateCents), money(l.OvertimeCents),
				dmy(per.StartsOn), dmy(per.EndsOn), "", "", "Y"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// money writes cents as a plain decimal amount: "1234.50".
func money(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// hoursText writes minutes as hours with two decimals, rounded half up:
// 450 → "7.50", 7 → "0.12".
func hoursText(m int) string {
	h := roundHalfUp(int64(m)*100, 60)
	return fmt.Sprintf("%d.%02d", h/100, h%100)
}

var (
	_ reports.Checker  = (*PayrollSource)(nil)
	_ reports.Detailed = (*PayrollSource)(nil)
	_ reports.Headless = (*PaymentEvolutionSource)(nil)
)
