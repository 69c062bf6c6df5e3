package labor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Pay period kinds.
const (
	PeriodWeekly   = "weekly"
	PeriodBiweekly = "biweekly"
)

// Settings are the store's labor settings (GET/PATCH /labor/settings).
type Settings struct {
	Currency                  string `json:"currency"`
	WeeklyOvertimeMinutes     int    `json:"weekly_overtime_minutes"`
	DailyOvertimeMinutes      int    `json:"daily_overtime_minutes"`
	OvertimeMultiplierPercent int    `json:"overtime_multiplier_percent"`
	BreakAfterMinutes         int    `json:"break_after_minutes"`
	BreakMinutes              int    `json:"break_minutes"`
	PayPeriodKind             string `json:"pay_period_kind"`
	PayPeriodAnchor           string `json:"pay_period_anchor"`
	Version                   int64  `json:"version"`
}

// Rules are the pay rules of the settings.
func (s Settings) Rules() Rules {
	return Rules{WeeklyOvertimeMinutes: s.WeeklyOvertimeMinutes, DailyOvertimeMinutes: s.DailyOvertimeMinutes,
		OvertimeMultiplierPercent: s.OvertimeMultiplierPercent, BreakAfterMinutes: s.BreakAfterMinutes, BreakMinutes: s.BreakMinutes}
}

// PeriodDays is the length of a pay period in days.
func (s Settings) PeriodDays() int {
	if s.PayPeriodKind == PeriodWeekly {
		return 7
	}
	return 14
}

// SettingsPatch is the body of PATCH /labor/settings.
type SettingsPatch struct {
	Currency                  *string `json:"currency"`
	WeeklyOvertimeMinutes     *int    `json:"weekly_overtime_minutes"`
	DailyOvertimeMinutes      *int    `json:"daily_overtime_minutes"`
	OvertimeMultiplierPercent *int    `json:"overtime_multiplier_percent"`
	BreakAfterMinutes         *int    `json:"break_after_minutes"`
	BreakMinutes              *int    `json:"break_minutes"`
	PayPeriodKind             *string `json:"pay_period_kind"`
	PayPeriodAnchor           *string `json:"pay_period_anchor"`
	Version                   *int64  `json:"version"`
}

// EventSettingsUpdated is emitted on the store topic when the settings change.
const EventSettingsUpdated = "labor.settings_updated"

// EventCostChanged tells a department's managers that a week's labor cost
// inputs changed in a way no shift event shows (a wage, a budget, the
// rules): screens showing cost fetch it again.
const EventCostChanged = "labor.cost_changed"

// Service is the labor domain.
type Service struct {
	W      *outbox.Writer
	People *people.Service

	cache settingsCache
}

const settingsColumns = `currency, weekly_overtime_minutes, daily_overtime_minutes, overtime_multiplier_percent,
	break_after_minutes, break_minutes, pay_period_kind, pay_period_anchor, version`

func scanSettings(r db.Scanner) (Settings, error) {
	var s Settings
	err := r.Scan(&s.Currency, &s.WeeklyOvertimeMinutes, &s.DailyOvertimeMinutes, &s.OvertimeMultiplierPercent,
		&s.BreakAfterMinutes, &s.BreakMinutes, &s.PayPeriodKind, &s.PayPeriodAnchor, &s.Version)
	return s, err
}

// settingsCache keeps the settings for a second: every shift write and
// every week cost reads them. The node that changes them forgets at once.
type settingsCache struct {
	mu    sync.Mutex
	s     Settings
	until time.Time
}

func (c *settingsCache) get() (Settings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s, time.Now().Before(c.until)
}

func (c *settingsCache) put(s Settings) {
	c.mu.Lock()
	c.s, c.until = s, time.Now().Add(time.Second)
	c.mu.Unlock()
}

func (c *settingsCache) forget() {
	c.mu.Lock()
	c.until = time.Time{}
	c.mu.Unlock()
}

// GetSettings returns the settings; everyone signed in may read them.
func (s *Service) GetSettings(ctx context.Context) (Settings, error) {
	if st, ok := s.cache.get(); ok {
		return st, nil
	}
	st, err := scanSettings(s.W.DB.QueryRowContext(ctx, "SELECT "+settingsColumns+" FROM labor_settings WHERE id = 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{}, apperr.New(apperr.Unavailable, "the labor settings are not set up yet")
	}
	if err != nil {
		return Settings{}, fmt.Errorf("labor: settings: %w", err)
	}
	s.cache.put(st)
	return st, nil
}

// UpdateSettings changes the settings (admins only, audited).
func (s *Service) UpdateSettings(ctx context.Context, p auth.Principal, patch SettingsPatch, ifMatch *int64) (Settings, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return Settings{}, err
	}
	if patch.Version == nil {
		patch.Version = ifMatch
	}
	store, err := s.People.GetStore(ctx)
	if err != nil {
		return Settings{}, err
	}
	defer s.cache.forget()
	var out Settings
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := scanSettings(tx.QueryRowContext(ctx, "SELECT "+settingsColumns+" FROM labor_settings WHERE id = 1"+tx.DB.ForUpdate()))
		if err != nil {
			return fmt.Errorf("labor: update settings: %w", err)
		}
		if patch.Version != nil && *patch.Version != cur.Version {
			return apperr.Stale("the labor settings")
		}
		next := cur
		applySettingsPatch(&next, patch)
		if err := validateSettings(next, store.WeekStartsOn); err != nil {
			return err
		}
		next.Version = cur.Version + 1
		if _, err := tx.ExecContext(ctx, `UPDATE labor_settings SET currency = ?, weekly_overtime_minutes = ?, daily_overtime_minutes = ?,
			overtime_multiplier_percent = ?, break_after_minutes = ?, break_minutes = ?, pay_period_kind = ?, pay_period_anchor = ?,
			version = ?, updated_at = ? WHERE id = 1`, next.Currency, next.WeeklyOvertimeMinutes, next.DailyOvertimeMinutes,
			next.OvertimeMultiplierPercent, next.BreakAfterMinutes, next.BreakMinutes, next.PayPeriodKind, next.PayPeriodAnchor,
			next.Version, tx.Now()); err != nil {
			return fmt.Errorf("labor: update settings: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "labor.settings", Entity: "labor_settings", EntityID: 1, Detail: map[string]any{"before": cur, "after": next}})
		tx.Emit(outbox.TopicStore, EventSettingsUpdated, next)
		out = next
		return nil
	})
	return out, err
}

func applySettingsPatch(st *Settings, p SettingsPatch) {
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	if p.Currency != nil {
		st.Currency = *p.Currency
	}
	if p.PayPeriodKind != nil {
		st.PayPeriodKind = *p.PayPeriodKind
	}
	if p.PayPeriodAnchor != nil {
		st.PayPeriodAnchor = *p.PayPeriodAnchor
	}
	set(&st.WeeklyOvertimeMinutes, p.WeeklyOvertimeMinutes)
	set(&st.DailyOvertimeMinutes, p.DailyOvertimeMinutes)
	set(&st.OvertimeMultiplierPercent, p.OvertimeMultiplierPercent)
	set(&st.BreakAfterMinutes, p.BreakAfterMinutes)
	set(&st.BreakMinutes, p.BreakMinutes)
}

// validateSettings checks ranges, and that pay periods line up with store
// weeks (the anchor is a first day of the week), so weekly overtime never
// straddles two periods.
func validateSettings(st Settings, weekStartsOn int) error {
	f := apperr.Fields{}
	if !validCurrency(st.Currency) {
		f.Add("currency", "must be a three-letter ISO 4217 code such as CAD")
	}
	rng := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			f.Add(name, fmt.Sprintf("must be between %d and %d", lo, hi))
		}
	}
	rng("weekly_overtime_minutes", st.WeeklyOvertimeMinutes, 0, 168*60)
	rng("daily_overtime_minutes", st.DailyOvertimeMinutes, 0, 24*60)
	rng("overtime_multiplier_percent", st.OvertimeMultiplierPercent, 100, 300)
	rng("break_after_minutes", st.BreakAfterMinutes, 0, 16*60)
	rng("break_minutes", st.BreakMinutes, 0, 120)
	if (st.BreakAfterMinutes == 0) != (st.BreakMinutes == 0) {
		f.Add("break_minutes", "set both break_after_minutes and break_minutes, or neither")
	}
	if st.PayPeriodKind != PeriodWeekly && st.PayPeriodKind != PeriodBiweekly {
		f.Add("pay_period_kind", "must be weekly or biweekly")
	}
	if d, err := time.Parse(time.DateOnly, st.PayPeriodAnchor); err != nil {
		f.Add("pay_period_anchor", "must be a date like 2026-01-05")
	} else if int(d.Weekday()) != weekStartsOn {
		f.Add("pay_period_anchor", fmt.Sprintf("must be a %s, the first day of the store's week, so periods hold whole weeks", time.Weekday(weekStartsOn)))
	}
	return f.Err()
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}
