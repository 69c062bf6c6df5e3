package labor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/people"
)

// Period statuses.
const (
	PeriodOpen   = "open"
	PeriodLocked = "locked"
)

// Period is one pay period: whole store days from StartsOn to EndsOn.
type Period struct {
	StartsOn string     `json:"starts_on"`
	EndsOn   string     `json:"ends_on"`
	Status   string     `json:"status"`
	LockedAt *time.Time `json:"locked_at"`
	LockedBy *int64     `json:"locked_by"`

	start, end time.Time // instants
}

// periodAt is the pay period holding calendar date day (midnight UTC).
func periodAt(day time.Time, set Settings, st people.Store) Period {
	anchor, _ := time.Parse(time.DateOnly, set.PayPeriodAnchor)
	n := set.PeriodDays()
	diff := int(day.Sub(anchor).Hours() / 24)
	k := diff / n
	if diff%n != 0 && diff < 0 {
		k--
	}
	first := anchor.AddDate(0, 0, k*n)
	last := first.AddDate(0, 0, n-1)
	p := Period{StartsOn: first.Format(time.DateOnly), EndsOn: last.Format(time.DateOnly), Status: PeriodOpen}
	loc := st.Location()
	p.start, _ = attendance.DayBounds(first, loc)
	_, p.end = attendance.DayBounds(last, loc)
	return p
}

// periodFrom reads a period_start: empty is the period holding today; a
// date must be the first day of a period (422: periods do not align).
func periodFrom(field, s string, now time.Time, set Settings, st people.Store) (Period, error) {
	if s == "" {
		return periodAt(attendance.LocalDate(now, st.Location()), set, st), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Period{}, apperr.Field(field, "must be a date like 2026-03-09")
	}
	p := periodAt(d, set, st)
	if p.StartsOn != s {
		return Period{}, apperr.Field(field, fmt.Sprintf("pay periods start on %s (every %d days); %s is not the first day of one", p.StartsOn, set.PeriodDays(), s))
	}
	return p, nil
}

// loadPeriodStatus fills in the stored status of p (open when no row).
func loadPeriodStatus(ctx context.Context, q querier, p *Period, lock string) (bool, error) {
	var at sql.NullTime
	var by sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT status, locked_at, locked_by FROM pay_periods WHERE starts_on = ?"+lock, p.StartsOn).Scan(&p.Status, &at, &by)
	if errors.Is(err, sql.ErrNoRows) {
		p.Status = PeriodOpen
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("labor: pay period: %w", err)
	}
	if at.Valid {
		t := at.Time.UTC()
		p.LockedAt = &t
	}
	if by.Valid {
		p.LockedBy = &by.Int64
	}
	return true, nil
}
