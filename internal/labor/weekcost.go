package labor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Budget kinds.
const (
	BudgetHours = "hours"
	BudgetMoney = "money"
)

// Budget is a department's labor budget for one store week: scheduled
// hours (Minutes) or cost (Cents).
type Budget struct {
	DepartmentID int64  `json:"department_id"`
	WeekStart    string `json:"week_start"`
	Kind         string `json:"kind"`
	Minutes      *int64 `json:"minutes,omitempty"`
	Cents        *int64 `json:"cents,omitempty"`
	Version      int64  `json:"version"`
}

// BudgetInput is the body of PUT /departments/{id}/budget.
type BudgetInput struct {
	WeekStart string `json:"week_start"`
	Kind      string `json:"kind"`
	Minutes   *int64 `json:"minutes"`
	Cents     *int64 `json:"cents"`
	Version   *int64 `json:"version"`
}

// Largest budgets accepted: a week of 500 people full time, and ten
// million dollars.
const (
	maxBudgetMinutes = 500 * 168 * 60
	maxBudgetCents   = 1_000_000_000
)

// week is a store week: its first day and the instants it spans.
type week struct {
	Date       string
	Start, End time.Time
	Days       []time.Time // the 7 calendar days, midnight UTC
}

// weekOf is the store week holding calendar date s (422 on field when s is
// not a date).
func weekOf(field, s string, st people.Store) (week, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return week{}, apperr.Field(field, "must be a date like 2026-03-09")
	}
	loc := st.Location()
	first := attendance.WeekStart(time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, loc), loc, st.WeekStartsOn)
	w := week{Date: first.Format(time.DateOnly)}
	w.Start, _ = attendance.DayBounds(first, loc)
	_, w.End = attendance.DayBounds(first.AddDate(0, 0, 6), loc)
	for i := 0; i < 7; i++ {
		w.Days = append(w.Days, first.AddDate(0, 0, i))
	}
	return w, nil
}

// PutBudget sets a department's budget for a week (managers of the
// department, admins; audited). Kind "" removes it.
func (s *Service) PutBudget(ctx context.Context, p auth.Principal, dept int64, in BudgetInput, ifMatch *int64) (Budget, error) {
	if in.Version == nil {
		in.Version = ifMatch
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Budget{}, err
	}
	if err := auth.RequireManagerOf(p, dept); err != nil {
		return Budget{}, err
	}
	w, err := weekOf("week_start", in.WeekStart, st)
	if err != nil {
		return Budget{}, err
	}
	b := Budget{DepartmentID: dept, WeekStart: w.Date, Kind: in.Kind}
	var amount int64
	f := apperr.Fields{}
	switch in.Kind {
	case BudgetHours:
		if in.Minutes == nil || *in.Minutes < 0 || *in.Minutes > maxBudgetMinutes || in.Cents != nil {
			f.Add("minutes", fmt.Sprintf("an hours budget takes minutes, 0 to %d, and no cents", maxBudgetMinutes))
		} else {
			amount, b.Minutes = *in.Minutes, in.Minutes
		}
	case BudgetMoney:
		if in.Cents == nil || *in.Cents < 0 || *in.Cents > maxBudgetCents || in.Minutes != nil {
			f.Add("cents", fmt.Sprintf("a money budget takes cents, 0 to %d, and no minutes", maxBudgetCents))
		} else {
			amount, b.Cents = *in.Cents, in.Cents
		}
	default:
		f.Add("kind", "must be hours or money")
	}
	if err := f.Err(); err != nil {
		return Budget{}, err
	}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		if err := departmentExists(ctx, tx, dept); err != nil {
			return err
		}
		cur, found, err := loadBudget(ctx, tx, dept, w.Date, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		if in.Version != nil && (!found || *in.Version != cur.Version) {
			return apperr.Stale("the budget")
		}
		if found {
			b.Version = cur.Version + 1
			_, err = tx.ExecContext(ctx, "UPDATE labor_budgets SET kind = ?, amount = ?, version = ?, updated_at = ? WHERE department_id = ? AND week_start = ?",
				b.Kind, amount, b.Version, tx.Now(), dept, w.Date)
		} else {
			b.Version = 1
			_, err = tx.ExecContext(ctx, "INSERT INTO labor_budgets (department_id, week_start, kind, amount, version, updated_at) VALUES (?, ?, ?, ?, 1, ?)",
				dept, w.Date, b.Kind, amount, tx.Now())
		}
		if db.IsDuplicate(err) {
			return apperr.Stale("the budget")
		}
		if err != nil {
			return fmt.Errorf("labor: put budget: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "labor.budget", Entity: "department", EntityID: dept, Detail: b})
		tx.EmitManagers(outbox.DeptTopic(dept), EventCostChanged, CostChanged{DepartmentID: dept, WeekStart: w.Date})
		return nil
	})
	return b, err
}

func departmentExists(ctx context.Context, q querier, id int64) error {
	var got int64
	err := q.QueryRowContext(ctx, "SELECT id FROM departments WHERE id = ?", id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundf("department")
	}
	if err != nil {
		return fmt.Errorf("labor: department: %w", err)
	}
	return nil
}

func loadBudget(ctx context.Context, q querier, dept int64, weekStart, lock string) (Budget, bool, error) {
	b := Budget{DepartmentID: dept, WeekStart: weekStart}
	var amount int64
	err := q.QueryRowContext(ctx, "SELECT kind, amount, version FROM labor_budgets WHERE department_id = ? AND week_start = ?"+lock, dept, weekStart).
		Scan(&b.Kind, &amount, &b.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("labor: budget: %w", err)
	}
	if b.Kind == BudgetHours {
		b.Minutes = &amount
	} else {
		b.Cents = &amount
	}
	return b, true, nil
}

// DayCost is one store day of a week's cost.
type DayCost struct {
	Date             string `json:"date"`
	ScheduledMinutes int    `json:"scheduled_minutes"`
	OvertimeMinutes  int    `json:"overtime_minutes"`
	CostCents        int64  `json:"cost_cents"`
	// SalesCents is the day's sales forecast (null when none was entered)
	// and LaborBasisPoints the cost as a share of it (2345 = 23.45 %).
	SalesCents       *int64 `json:"sales_cents"`
	LaborBasisPoints *int64 `json:"labor_basis_points"`
}

// PersonCost is one person's part of a department's week.
type PersonCost struct {
	EmployeeID       int64 `json:"employee_id"`
	ScheduledMinutes int   `json:"scheduled_minutes"`
	OvertimeMinutes  int   `json:"overtime_minutes"`
	CostCents        int64 `json:"cost_cents"`
}

// WeekCost is the answer of GET /labor/week-cost: what a department's
// scheduled shifts (drafts and published) of a store week cost.
type WeekCost struct {
	DepartmentID     int64        `json:"department_id"`
	WeekStart        string       `json:"week_start"`
	Currency         string       `json:"currency"`
	ScheduledMinutes int          `json:"scheduled_minutes"`
	OvertimeMinutes  int          `json:"overtime_minutes"`
	CostCents        int64        `json:"cost_cents"`
	OpenShiftMinutes int          `json:"open_shift_minutes"`
	Days             []DayCost    `json:"days"`
	People           []PersonCost `json:"people"`
	Budget           *Budget      `json:"budget"`
	// OverBudget is true when the week's hours (hours budget) or cost
	// (money budget) exceed the budget.
	OverBudget bool `json:"over_budget"`
	// SalesCents adds up the days' forecasts (null when there is none);
	// LaborBasisPoints is the cost of the forecast days as a share of it.
	SalesCents       *int64 `json:"sales_cents"`
	LaborBasisPoints *int64 `json:"labor_basis_points"`
}

type plannedShift struct {
	id, dept, emp int64
	start, end    time.Time
	position      string
}

// WeekCost prices a department's week (managers of the department, admins).
// A person's overtime counts all their shifts of the week in every
// department; each shift's cost goes to its own department. Open shifts
// count in open_shift_minutes only: nobody's rate applies to them yet.
func (s *Service) WeekCost(ctx context.Context, p auth.Principal, dept int64, weekStart string) (WeekCost, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return WeekCost{}, err
	}
	if err := auth.RequireManagerOf(p, dept); err != nil {
		return WeekCost{}, err
	}
	set, err := s.GetSettings(ctx)
	if err != nil {
		return WeekCost{}, err
	}
	w, err := weekOf("week_start", weekStart, st)
	if err != nil {
		return WeekCost{}, err
	}
	return s.weekCost(ctx, s.W.DB, st, set, dept, w)
}

func (s *Service) weekCost(ctx context.Context, q querier, st people.Store, set Settings, dept int64, w week) (WeekCost, error) {
	out := WeekCost{DepartmentID: dept, WeekStart: w.Date, Currency: set.Currency, Days: make([]DayCost, 7), People: []PersonCost{}}
	for i, d := range w.Days {
		out.Days[i].Date = d.Format(time.DateOnly)
	}
	if err := departmentExists(ctx, q, dept); err != nil {
		return out, err
	}
	rules := set.Rules()
	mine, err := queryPlanned(ctx, q, "department_id = ? AND starts_at >= ? AND starts_at < ?", dept, w.Start.UTC(), w.End.UTC())
	if err != nil {
		return out, err
	}
	var emps []int64
	for _, sh := range mine {
		if sh.emp == 0 {
			out.OpenShiftMinutes += ScheduledMinutes(sh.start, sh.end, rules)
			continue
		}
		emps = append(emps, sh.emp)
	}
	slices.Sort(emps)
	emps = slices.Compact(emps)
	all := mine
	if len(emps) > 0 {
		args := []any{w.Start.UTC(), w.End.UTC(), dept}
		for _, e := range emps {
			args = append(args, e)
		}
		// The same people's shifts elsewhere this week: they count toward
		// their overtime.
		others, err := queryPlanned(ctx, q, "starts_at >= ? AND starts_at < ? AND department_id <> ? AND employee_id IN ("+db.Placeholders(len(emps))+")", args...)
		if err != nil {
			return out, err
		}
		all = append(all, others...)
	}
	rates, err := loadRates(ctx, q, emps)
	if err != nil {
		return out, err
	}
	loc := st.Location()
	per := map[int64][]Work{}
	shiftOf := map[int64]plannedShift{}
	for _, sh := range all {
		if sh.emp == 0 {
			continue
		}
		day := attendance.LocalDate(sh.start, loc).Format(time.DateOnly)
		per[sh.emp] = append(per[sh.emp], Work{ID: sh.id, Start: sh.start, Minutes: ScheduledMinutes(sh.start, sh.end, rules),
			RateCents: rates.rate(sh.emp, sh.position, day)})
		shiftOf[sh.id] = sh
	}
	first := w.Days[0]
	for _, emp := range emps {
		priced, _ := Price(per[emp], rules, loc, st.WeekStartsOn)
		pc := PersonCost{EmployeeID: emp}
		for _, pr := range priced {
			if shiftOf[pr.ID].dept != dept {
				continue
			}
			m := pr.RegularMinutes + pr.OvertimeMinutes
			pc.ScheduledMinutes += m
			pc.OvertimeMinutes += pr.OvertimeMinutes
			pc.CostCents += pr.CostCents
			d, _ := time.Parse(time.DateOnly, pr.Day)
			if i := int(d.Sub(first).Hours() / 24); i >= 0 && i < 7 {
				out.Days[i].ScheduledMinutes += m
				out.Days[i].OvertimeMinutes += pr.OvertimeMinutes
				out.Days[i].CostCents += pr.CostCents
			}
		}
		out.ScheduledMinutes += pc.ScheduledMinutes
		out.OvertimeMinutes += pc.OvertimeMinutes
		out.CostCents += pc.CostCents
		out.People = append(out.People, pc)
	}
	sales, err := loadSales(ctx, q, dept, out.Days[0].Date, out.Days[6].Date)
	if err != nil {
		return out, err
	}
	var salesTotal, salesCost int64
	for i := range out.Days {
		if c, ok := sales[out.Days[i].Date]; ok {
			out.Days[i].SalesCents = &c
			out.Days[i].LaborBasisPoints = laborBasisPoints(out.Days[i].CostCents, c)
			salesTotal += c
			salesCost += out.Days[i].CostCents
		}
	}
	if len(sales) > 0 {
		out.SalesCents = &salesTotal
		out.LaborBasisPoints = laborBasisPoints(salesCost, salesTotal)
	}
	b, found, err := loadBudget(ctx, q, dept, w.Date, "")
	if err != nil {
		return out, err
	}
	if found {
		out.Budget = &b
		switch {
		case b.Minutes != nil:
			out.OverBudget = int64(out.ScheduledMinutes+out.OpenShiftMinutes) > *b.Minutes
		case b.Cents != nil:
			out.OverBudget = out.CostCents > *b.Cents
		}
	}
	return out, nil
}

func queryPlanned(ctx context.Context, q querier, where string, args ...any) ([]plannedShift, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, department_id, employee_id, starts_at, ends_at, position FROM shifts WHERE "+where+" ORDER BY starts_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("labor: shifts: %w", err)
	}
	defer rows.Close()
	var out []plannedShift
	for rows.Next() {
		var sh plannedShift
		var emp sql.NullInt64
		if err := rows.Scan(&sh.id, &sh.dept, &emp, &sh.start, &sh.end, &sh.position); err != nil {
			return nil, fmt.Errorf("labor: shifts: %w", err)
		}
		sh.emp = emp.Int64
		sh.start, sh.end = sh.start.UTC(), sh.end.UTC()
		out = append(out, sh)
	}
	return out, rows.Err()
}
