package labor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// MaxRateCents is the highest hourly rate accepted ($1,000.00 an hour):
// anything above is a typo, not a wage.
const MaxRateCents = 100000

// Wage is an hourly rate from a day on, for every position (Position "")
// or for one position of the person's shifts.
type Wage struct {
	ID          int64  `json:"id"`
	EmployeeID  int64  `json:"employee_id"`
	Position    string `json:"position"`
	RateCents   int64  `json:"rate_cents"`
	EffectiveOn string `json:"effective_on"`
}

// WageList is the answer of GET /employees/{id}/wages.
type WageList struct {
	EmployeeID int64  `json:"employee_id"`
	Currency   string `json:"currency"`
	// BaseRateCents is the person's pay_rate_cents: the rate of any day no
	// wage row covers.
	BaseRateCents int64  `json:"base_rate_cents"`
	Items         []Wage `json:"items"`
}

// WageInput is the body of POST /employees/{id}/wages.
type WageInput struct {
	RateCents   *int64  `json:"rate_cents"`
	EffectiveOn string  `json:"effective_on"`
	Position    *string `json:"position"`
}

// person reads what the policy needs about a person (404 when missing).
func person(ctx context.Context, q querier, id int64) (auth.Person, int64, error) {
	var base int64
	err := q.QueryRowContext(ctx, "SELECT pay_rate_cents FROM users WHERE id = ?", id).Scan(&base)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Person{}, 0, apperr.NotFoundf("employee")
	}
	if err != nil {
		return auth.Person{}, 0, fmt.Errorf("labor: person: %w", err)
	}
	depts, err := auth.DeptIDs(ctx, q, id)
	if err != nil {
		return auth.Person{}, 0, err
	}
	return auth.Person{ID: id, DeptIDs: depts}, base, nil
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// CanSeeWages reports whether p may see the wages of who: admins, the
// person, and managers of the person's departments. Never colleagues.
func CanSeeWages(p auth.Principal, who auth.Person) bool {
	return p.IsAdmin() || p.UserID == who.ID || (p.Role == auth.RoleManager && p.SharesDept(who.DeptIDs))
}

// ListWages returns a person's wages, newest first.
func (s *Service) ListWages(ctx context.Context, p auth.Principal, emp int64) (WageList, error) {
	set, err := s.GetSettings(ctx)
	if err != nil {
		return WageList{}, err
	}
	who, base, err := person(ctx, s.W.DB, emp)
	if err != nil {
		return WageList{}, err
	}
	if !auth.CanSeePerson(p, who) {
		return WageList{}, apperr.NotFoundf("employee")
	}
	if !CanSeeWages(p, who) {
		return WageList{}, auth.ErrForbidden
	}
	out := WageList{EmployeeID: emp, Currency: set.Currency, BaseRateCents: base, Items: []Wage{}}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT id, employee_id, position, rate_cents, effective_on FROM wages WHERE employee_id = ? ORDER BY effective_on DESC, position, id", emp)
	if err != nil {
		return WageList{}, fmt.Errorf("labor: wages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w Wage
		if err := rows.Scan(&w.ID, &w.EmployeeID, &w.Position, &w.RateCents, &w.EffectiveOn); err != nil {
			return WageList{}, fmt.Errorf("labor: wages: %w", err)
		}
		out.Items = append(out.Items, w)
	}
	return out, rows.Err()
}

// AddWage gives a person a rate from a day on (admins only, audited).
func (s *Service) AddWage(ctx context.Context, p auth.Principal, emp int64, in WageInput) (Wage, error) {
	w := Wage{EmployeeID: emp, EffectiveOn: in.EffectiveOn}
	f := apperr.Fields{}
	if in.RateCents == nil {
		f.Add("rate_cents", "is required")
	} else if *in.RateCents <= 0 || *in.RateCents > MaxRateCents {
		f.Add("rate_cents", fmt.Sprintf("must be between 1 and %d cents an hour", MaxRateCents))
	} else {
		w.RateCents = *in.RateCents
	}
	if _, err := time.Parse(time.DateOnly, in.EffectiveOn); err != nil {
		f.Add("effective_on", "must be a date like 2026-03-01")
	}
	if in.Position != nil {
		w.Position = strings.TrimSpace(*in.Position)
		if len(w.Position) > 80 {
			f.Add("position", "must be at most 80 characters")
		}
	}
	var out Wage
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		who, _, err := person(ctx, tx, emp)
		if err != nil {
			return err
		}
		if !auth.CanSeePerson(p, who) {
			return apperr.NotFoundf("employee")
		}
		if err := auth.RequireAdmin(p); err != nil {
			return err
		}
		if err := f.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO wages (employee_id, position, rate_cents, effective_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			emp, w.Position, w.RateCents, w.EffectiveOn, p.UserID, tx.Now())
		if db.IsDuplicate(err) {
			return apperr.New(apperr.Conflict, "a rate for this position already starts on %s; delete it first", w.EffectiveOn)
		}
		if err != nil {
			return fmt.Errorf("labor: add wage: %w", err)
		}
		w.ID, _ = res.LastInsertId()
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "wage.create", Entity: "wage", EntityID: w.ID, Detail: w})
		emitCostChanged(tx, who.DeptIDs)
		out = w
		return nil
	})
	return out, err
}

// DeleteWage removes a wage row of the person (admins only, audited).
func (s *Service) DeleteWage(ctx context.Context, p auth.Principal, emp, id int64) error {
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		who, _, err := person(ctx, tx, emp)
		if err != nil {
			return err
		}
		if !auth.CanSeePerson(p, who) {
			return apperr.NotFoundf("employee")
		}
		if err := auth.RequireAdmin(p); err != nil {
			return err
		}
		var w Wage
		err = tx.QueryRowContext(ctx, "SELECT id, employee_id, position, rate_cents, effective_on FROM wages WHERE id = ? AND employee_id = ?", id, emp).
			Scan(&w.ID, &w.EmployeeID, &w.Position, &w.RateCents, &w.EffectiveOn)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("wage")
		}
		if err != nil {
			return fmt.Errorf("labor: delete wage: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM wages WHERE id = ?", id); err != nil {
			return fmt.Errorf("labor: delete wage: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "wage.delete", Entity: "wage", EntityID: id, Detail: w})
		emitCostChanged(tx, who.DeptIDs)
		return nil
	})
}

// CostChanged is the payload of labor.cost_changed.
type CostChanged struct {
	DepartmentID int64  `json:"department_id"`
	WeekStart    string `json:"week_start,omitempty"`
}

func emitCostChanged(tx *outbox.Tx, depts []int64) {
	for _, d := range depts {
		tx.EmitManagers(outbox.DeptTopic(d), EventCostChanged, CostChanged{DepartmentID: d})
	}
}

// rateBook answers a person's rate on a day for a position: the newest wage
// row of that position effective by the day, else the newest row for every
// position, else the person's base rate.
type rateBook struct {
	base  map[int64]int64
	wages map[int64][]Wage // per person, oldest first
}

func (b rateBook) rate(emp int64, position, day string) int64 {
	var general, specific *Wage
	for i, w := range b.wages[emp] {
		if w.EffectiveOn > day {
			break
		}
		switch {
		case w.Position == "":
			general = &b.wages[emp][i]
		case position != "" && strings.EqualFold(w.Position, position):
			specific = &b.wages[emp][i]
		}
	}
	switch {
	case specific != nil:
		return specific.RateCents
	case general != nil:
		return general.RateCents
	}
	return b.base[emp]
}

// loadRates reads the base rates and wage rows of people.
func loadRates(ctx context.Context, q querier, emps []int64) (rateBook, error) {
	b := rateBook{base: map[int64]int64{}, wages: map[int64][]Wage{}}
	if len(emps) == 0 {
		return b, nil
	}
	ids := slices.Clone(emps)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := db.Placeholders(len(ids))
	rows, err := q.QueryContext(ctx, "SELECT id, pay_rate_cents FROM users WHERE id IN ("+in+")", args...)
	if err != nil {
		return b, fmt.Errorf("labor: rates: %w", err)
	}
	for rows.Next() {
		var id, c int64
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return b, fmt.Errorf("labor: rates: %w", err)
		}
		b.base[id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("labor: rates: %w", err)
	}
	rows, err = q.QueryContext(ctx, "SELECT id, employee_id, position, rate_cents, effective_on FROM wages WHERE employee_id IN ("+in+") ORDER BY effective_on, id", args...)
	if err != nil {
		return b, fmt.Errorf("labor: rates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w Wage
		if err := rows.Scan(&w.ID, &w.EmployeeID, &w.Position, &w.RateCents, &w.EffectiveOn); err != nil {
			return b, fmt.Errorf("labor: rates: %w", err)
		}
		b.wages[w.EmployeeID] = append(b.wages[w.EmployeeID], w)
	}
	return b, rows.Err()
}

// Querier is a *sql.DB, *sql.Tx or outbox transaction: what the labor
// reads that other domains call inside their transactions take.
type Querier = querier

// PayRules are the store's pay rules (roster.Labor).
func (s *Service) PayRules(ctx context.Context) (*Rules, error) {
	set, err := s.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	r := set.Rules()
	return &r, nil
}

// OvertimeCost is what minutes of overtime of a person's shift starting
// at start cost, at their rate for the position and store day, in cents of
// the store's currency (roster.Labor).
func (s *Service) OvertimeCost(ctx context.Context, q Querier, emp int64, position string, start time.Time, minutes int) (int64, string, error) {
	set, err := s.GetSettings(ctx)
	if err != nil {
		return 0, "", err
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return 0, "", err
	}
	book, err := loadRates(ctx, q, []int64{emp})
	if err != nil {
		return 0, "", err
	}
	rate := book.rate(emp, position, start.In(st.Location()).Format(time.DateOnly))
	return roundHalfUp(rate*int64(minutes)*int64(set.OvertimeMultiplierPercent), costDenominator), set.Currency, nil
}

// FormatMoney writes cents as an amount with its currency: "CAD 75.00".
func FormatMoney(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%s %d.%02d", sign, currency, cents/100, cents%100)
}
