package people

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
)

// Store is the store's settings.
type Store struct {
	Name                string `json:"name"`
	Timezone            string `json:"timezone"`
	WeekStartsOn        int    `json:"week_starts_on"`
	MinRestHours        int    `json:"min_rest_hours"`
	ReminderHours       int    `json:"reminder_hours"`
	LateGraceMinutes    int    `json:"late_grace_minutes"`
	ClockInEarlyMinutes int    `json:"clock_in_early_minutes"`
	ClaimsNeedApproval  bool   `json:"claims_need_approval"`
	EventRetentionDays  int    `json:"event_retention_days"`
	// AckReminderHours is how long after a publish the one reminder goes
	// to those who have not acknowledged their schedule (0: none).
	AckReminderHours int   `json:"ack_reminder_hours"`
	Version          int64 `json:"version"`
}

// zones caches loaded time zones by name: time.LoadLocation reads and
// parses the zone file on every call, and the conflict rules ask for the
// store's zone once per shift checked.
var zones sync.Map

// Location is the store's time zone.
func (s Store) Location() *time.Location {
	if loc, ok := zones.Load(s.Timezone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	zones.Store(s.Timezone, loc)
	return loc
}

// StorePatch is a partial update of the settings.
type StorePatch struct {
	Name                *string `json:"name"`
	Timezone            *string `json:"timezone"`
	WeekStartsOn        *int    `json:"week_starts_on"`
	MinRestHours        *int    `json:"min_rest_hours"`
	ReminderHours       *int    `json:"reminder_hours"`
	LateGraceMinutes    *int    `json:"late_grace_minutes"`
	ClockInEarlyMinutes *int    `json:"clock_in_early_minutes"`
	ClaimsNeedApproval  *bool   `json:"claims_need_approval"`
	EventRetentionDays  *int    `json:"event_retention_days"`
	AckReminderHours    *int    `json:"ack_reminder_hours"`
	Version             *int64  `json:"version"`
}

const storeColumns = `name, timezone, week_starts_on, min_rest_hours, reminder_hours, late_grace_minutes,
	clock_in_early_minutes, claims_need_approval, event_retention_days, ack_reminder_hours, version`

func scanStore(r db.Scanner) (Store, error) {
	var s Store
	err := r.Scan(&s.Name, &s.Timezone, &s.WeekStartsOn, &s.MinRestHours, &s.ReminderHours, &s.LateGraceMinutes,
		&s.ClockInEarlyMinutes, &s.ClaimsNeedApproval, &s.EventRetentionDays, &s.AckReminderHours, &s.Version)
	return s, err
}

// storeCacheTTL bounds how long a node answers with settings another node
// changed; the node that changes them forgets at once. Nearly every
// scheduling request reads the settings (the store's zone).
const storeCacheTTL = time.Second

type storeCache struct {
	mu    sync.Mutex
	st    Store
	until time.Time // wall clock: the injected test clock may stand still
}

func (c *storeCache) get() (Store, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st, time.Now().Before(c.until)
}

func (c *storeCache) put(st Store) {
	c.mu.Lock()
	c.st, c.until = st, time.Now().Add(storeCacheTTL)
	c.mu.Unlock()
}

func (c *storeCache) forget() {
	c.mu.Lock()
	c.until = time.Time{}
	c.mu.Unlock()
}

// GetStore returns the settings. Everyone signed in may read them.
func (s *Service) GetStore(ctx context.Context) (Store, error) {
	if st, ok := s.storeCache.get(); ok {
		return st, nil
	}
	st, err := scanStore(s.W.DB.QueryRowContext(ctx, "SELECT "+storeColumns+" FROM store WHERE id = 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return Store{}, apperr.New(apperr.Unavailable, "the store is not set up yet")
	}
	if err != nil {
		return Store{}, fmt.Errorf("people: get store: %w", err)
	}
	s.storeCache.put(st)
	return st, nil
}

// EnsureStore creates the settings row on an empty database.
func (s *Service) EnsureStore(ctx context.Context, name, timezone string) error {
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM store").Scan(&n); err != nil {
			return fmt.Errorf("people: ensure store: %w", err)
		}
		if n > 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO store (id, name, timezone, updated_at) VALUES (1, ?, ?, ?)", name, timezone, tx.Now())
		if err != nil {
			return fmt.Errorf("people: ensure store: %w", err)
		}
		return nil
	})
}

// UpdateStore changes the settings (admins only).
func (s *Service) UpdateStore(ctx context.Context, p auth.Principal, patch StorePatch, ifMatch *int64) (Store, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return Store{}, err
	}
	if patch.Version == nil {
		patch.Version = ifMatch
	}
	defer s.storeCache.forget()
	var out Store
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := scanStore(tx.QueryRowContext(ctx, "SELECT "+storeColumns+" FROM store WHERE id = 1"+tx.DB.ForUpdate()))
		if err != nil {
			return fmt.Errorf("people: update store: %w", err)
		}
		if err := checkVersion(patch.Version, cur.Version, "the store settings"); err != nil {
			return err
		}
		next := cur
		applyStorePatch(&next, patch)
		if err := validateStore(next); err != nil {
			return err
		}
		next.Version = cur.Version + 1
		if next.Timezone != cur.Timezone && s.Rezone != nil {
			if err := s.Rezone(ctx, tx, next.Location()); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE store SET name = ?, timezone = ?, week_starts_on = ?, min_rest_hours = ?,
			reminder_hours = ?, late_grace_minutes = ?, clock_in_early_minutes = ?, claims_need_approval = ?,
			event_retention_days = ?, ack_reminder_hours = ?, version = ?, updated_at = ? WHERE id = 1`,
			next.Name, next.Timezone, next.WeekStartsOn, next.MinRestHours, next.ReminderHours, next.LateGraceMinutes,
			next.ClockInEarlyMinutes, next.ClaimsNeedApproval, next.EventRetentionDays, next.AckReminderHours, next.Version, tx.Now())
		if err != nil {
			return fmt.Errorf("people: update store: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "store.update", Entity: "store", EntityID: 1, Detail: map[string]any{"before": cur, "after": next}})
		tx.Emit(outbox.TopicStore, EventStoreUpdated, next)
		out = next
		return nil
	})
	return out, err
}

func applyStorePatch(st *Store, p StorePatch) {
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	if p.Name != nil {
		st.Name = *p.Name
	}
	if p.Timezone != nil {
		st.Timezone = *p.Timezone
	}
	if p.ClaimsNeedApproval != nil {
		st.ClaimsNeedApproval = *p.ClaimsNeedApproval
	}
	set(&st.WeekStartsOn, p.WeekStartsOn)
	set(&st.MinRestHours, p.MinRestHours)
	set(&st.ReminderHours, p.ReminderHours)
	set(&st.LateGraceMinutes, p.LateGraceMinutes)
	set(&st.ClockInEarlyMinutes, p.ClockInEarlyMinutes)
	set(&st.EventRetentionDays, p.EventRetentionDays)
	set(&st.AckReminderHours, p.AckReminderHours)
}

func validateStore(st Store) error {
	f := apperr.Fields{}
	if l := len(st.Name); l == 0 || l > 120 {
		f.Add("name", "must be 1 to 120 characters")
	}
	if _, err := time.LoadLocation(st.Timezone); err != nil || st.Timezone == "" || st.Timezone == "Local" {
		f.Add("timezone", "must be an IANA time zone such as America/Halifax")
	}
	rng := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			f.Add(name, fmt.Sprintf("must be between %d and %d", lo, hi))
		}
	}
	rng("week_starts_on", st.WeekStartsOn, 0, 6)
	rng("min_rest_hours", st.MinRestHours, 0, 24)
	rng("reminder_hours", st.ReminderHours, 0, 168)
	rng("late_grace_minutes", st.LateGraceMinutes, 0, 240)
	rng("clock_in_early_minutes", st.ClockInEarlyMinutes, 0, 240)
	rng("event_retention_days", st.EventRetentionDays, 1, 365)
	rng("ack_reminder_hours", st.AckReminderHours, 0, 168)
	return f.Err()
}
