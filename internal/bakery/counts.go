package bakery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// CountInput is one count: add delta to an item, or set its count. Version,
// when sent, is the count's version the device last saw (409 when stale).
type CountInput struct {
	ItemID  int64  `json:"item_id"`
	Delta   *int   `json:"delta,omitempty"`
	Count   *int   `json:"count,omitempty"`
	Version *int64 `json:"version,omitempty"`
}

// CountEvent is the payload of bakery.count, which every device counting
// the sheet hears.
type CountEvent struct {
	SheetID int64  `json:"sheet_id"`
	Date    string `json:"date"`
	Kind    string `json:"kind"`
	ItemID  int64  `json:"item_id"`
	Count   int    `json:"count"`
	Version int64  `json:"version"`
	// SheetVersion is the sheet's version after the change: a device
	// finalizes or resets with it without reloading the sheet.
	SheetVersion int64 `json:"sheet_version"`
}

// SheetInput is the body of PUT /bakery/sheets/{date}/{kind}: absolute
// counts of some lines; version is the sheet's.
type SheetInput struct {
	Counts  []CountSet `json:"counts"`
	Version *int64     `json:"version"`
}

// CountSet is one absolute count of a PUT.
type CountSet struct {
	ItemID int64 `json:"item_id"`
	Count  int   `json:"count"`
}

// MaxCountsPerPut bounds one PUT.
const MaxCountsPerPut = 500

func validateCount(in CountInput) error {
	f := apperr.Fields{}
	if in.ItemID <= 0 {
		f.Add("item_id", "is required")
	}
	switch {
	case in.Delta == nil && in.Count == nil:
		f.Add("delta", "send either delta (+1, -1, ...) or count")
	case in.Delta != nil && in.Count != nil:
		f.Add("delta", "send delta or count, not both")
	case in.Delta != nil && *in.Delta == 0:
		f.Add("delta", "must not be 0")
	case in.Delta != nil && (*in.Delta > MaxDelta || *in.Delta < -MaxDelta):
		f.Add("delta", fmt.Sprintf("must be between -%d and %d", MaxDelta, MaxDelta))
	case in.Count != nil && *in.Count < 0:
		f.Add("count", "must not be negative")
	}
	return f.Err()
}

// throttle counts one count against the person's budget.
func (s *Service) throttle(ctx context.Context, p auth.Principal) error {
	if s.Counts.R == nil {
		return nil
	}
	return s.Counts.Take(ctx, "crumb:bakery:count:"+itoa(p.UserID), CountRateLimit, "counts")
}

// Count applies one count (REST POST .../counts and the socket's
// bakery.count) and returns the resulting line. It is validated, never
// makes a count negative or larger than the item's limit, is rate limited
// per person, and is refused (409) on a finalized sheet.
func (s *Service) Count(ctx context.Context, p auth.Principal, date time.Time, kind string, in CountInput) (CountEvent, error) {
	if err := checkKind(kind); err != nil {
		return CountEvent{}, err
	}
	if err := validateCount(in); err != nil {
		return CountEvent{}, err
	}
	if _, err := s.access(ctx, s.W.DB, p); err != nil {
		return CountEvent{}, err
	}
	if err := s.throttle(ctx, p); err != nil {
		return CountEvent{}, err
	}
	var out CountEvent
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		dept, r, err := s.lockOpenSheet(ctx, tx, p, date, kind)
		if err != nil {
			return err
		}
		out, err = s.apply(ctx, tx, p, r, date, kind, in)
		if err != nil {
			return err
		}
		tx.Emit(outbox.DeptTopic(dept), EventCount, out)
		return nil
	})
	return out, err
}

type itemRow struct {
	Name   string
	Kind   string
	Limit  int
	Active bool
}

func loadItem(ctx context.Context, tx *outbox.Tx, id int64, kind string, field string) (itemRow, error) {
	var it itemRow
	err := tx.QueryRowContext(ctx, "SELECT name, kind, upper_limit, active FROM bakery_items WHERE id = ?", id).
		Scan(&it.Name, &it.Kind, &it.Limit, &it.Active)
	if errors.Is(err, sql.ErrNoRows) {
		return it, apperr.Field(field, "names no bakery item")
	}
	if err != nil {
		return it, fmt.Errorf("bakery: load item: %w", err)
	}
	if it.Kind != kind {
		return it, apperr.Field(field, fmt.Sprintf("%s is not on the %s sheet", it.Name, kindLabel(kind)))
	}
	if !it.Active {
		return it, apperr.Field(field, fmt.Sprintf("%s is no longer sold", it.Name))
	}
	return it, nil
}

// apply changes one count while the sheet row is locked. The change itself
// is one guarded UPDATE, so the database never holds a count outside
// 0..limit whatever the interleaving of requests.
func (s *Service) apply(ctx context.Context, tx *outbox.Tx, p auth.Principal, r sheetRow, date time.Time, kind string, in CountInput) (CountEvent, error) {
	it, err := loadItem(ctx, tx, in.ItemID, kind, "item_id")
	if err != nil {
		return CountEvent{}, err
	}
	if in.Count != nil && *in.Count > it.Limit {
		return CountEvent{}, apperr.Field("count", fmt.Sprintf("%d is above the limit of %s (%d)", *in.Count, it.Name, it.Limit))
	}
	if _, err := tx.ExecContext(ctx, insertIgnore(tx.DB.IsMySQL())+` bakery_counts (sheet_id, item_id, count, version, updated_at)
		VALUES (?, ?, 0, 0, ?)`, r.ID, in.ItemID, tx.Now()); err != nil {
		return CountEvent{}, fmt.Errorf("bakery: count row: %w", err)
	}
	q := "UPDATE bakery_counts SET count = count + ?, version = version + 1, updated_at = ?, updated_by = ? WHERE sheet_id = ? AND item_id = ? AND count + ? >= 0 AND count + ? <= ?"
	var args []any
	if in.Delta != nil {
		d := *in.Delta
		args = []any{d, tx.Now(), p.UserID, r.ID, in.ItemID, d, d, it.Limit}
	} else {
		q = "UPDATE bakery_counts SET count = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE sheet_id = ? AND item_id = ?"
		args = []any{*in.Count, tx.Now(), p.UserID, r.ID, in.ItemID}
	}
	if in.Version != nil {
		q += " AND version = ?"
		args = append(args, *in.Version)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return CountEvent{}, fmt.Errorf("bakery: count: %w", err)
	}
	changed, err := res.RowsAffected()
	if err != nil {
		return CountEvent{}, fmt.Errorf("bakery: count: %w", err)
	}
	out := CountEvent{SheetID: r.ID, Date: date.Format(time.DateOnly), Kind: kind, ItemID: in.ItemID, SheetVersion: r.Version}
	if err := tx.QueryRowContext(ctx, "SELECT count, version FROM bakery_counts WHERE sheet_id = ? AND item_id = ?", r.ID, in.ItemID).
		Scan(&out.Count, &out.Version); err != nil {
		return CountEvent{}, fmt.Errorf("bakery: count: %w", err)
	}
	if changed == 0 {
		if in.Version != nil && *in.Version != out.Version {
			return CountEvent{}, apperr.Stale("the count of " + it.Name)
		}
		if in.Delta == nil {
			return CountEvent{}, apperr.Stale("the count of " + it.Name)
		}
		next := out.Count + *in.Delta
		if next < 0 {
			return CountEvent{}, apperr.Field("delta", fmt.Sprintf("would make the count of %s %d; counts are never negative", it.Name, next))
		}
		return CountEvent{}, apperr.Field("delta", fmt.Sprintf("would make the count of %s %d, above its limit of %d", it.Name, next, it.Limit))
	}
	return out, nil
}

// PutSheet sets absolute counts of several lines at once (a device that was
// offline sends its sheet). Each changed line emits bakery.count.
func (s *Service) PutSheet(ctx context.Context, p auth.Principal, date time.Time, kind string, in SheetInput, ifMatch *int64) (Sheet, error) {
	if err := checkKind(kind); err != nil {
		return Sheet{}, err
	}
	if in.Version == nil {
		in.Version = ifMatch
	}
	f := apperr.Fields{}
	if len(in.Counts) > MaxCountsPerPut {
		f.Add("counts", fmt.Sprintf("at most %d lines per request", MaxCountsPerPut))
	}
	seen := map[int64]bool{}
	for i, c := range in.Counts {
		name := fmt.Sprintf("counts[%d]", i)
		switch {
		case c.ItemID <= 0:
			f.Add(name+".item_id", "is required")
		case seen[c.ItemID]:
			f.Add(name+".item_id", "appears twice")
		case c.Count < 0:
			f.Add(name+".count", "must not be negative")
		}
		seen[c.ItemID] = true
	}
	if err := f.Err(); err != nil {
		return Sheet{}, err
	}
	if _, err := s.access(ctx, s.W.DB, p); err != nil {
		return Sheet{}, err
	}
	if err := s.throttle(ctx, p); err != nil {
		return Sheet{}, err
	}
	var out Sheet
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		dept, r, err := s.lockOpenSheet(ctx, tx, p, date, kind)
		if err != nil {
			return err
		}
		if in.Version != nil && *in.Version != r.Version {
			return apperr.Stale("the sheet")
		}
		for i, c := range in.Counts {
			n := c.Count
			ev, err := s.apply(ctx, tx, p, r, date, kind, CountInput{ItemID: c.ItemID, Count: &n})
			if err != nil {
				return renameField(err, fmt.Sprintf("counts[%d].", i))
			}
			ev.SheetVersion = r.Version + 1 // the bump below
			tx.Emit(outbox.DeptTopic(dept), EventCount, ev)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE bakery_sheets SET version = version + 1, updated_at = ? WHERE id = ?", tx.Now(), r.ID); err != nil {
			return fmt.Errorf("bakery: put sheet: %w", err)
		}
		out, err = s.loadSheet(ctx, tx, dept, date, kind)
		return err
	})
	return out, err
}

// renameField prefixes the field names of a 422 (counts[3].count).
func renameField(err error, prefix string) error {
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.ValidationFailed {
		return err
	}
	f := apperr.Fields{}
	for k, v := range e.Fields {
		if k == "item_id" || k == "count" {
			k = prefix + k
		}
		f.Add(k, v)
	}
	return f.Err()
}
