package bakery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Item is one line of the catalogue.
type Item struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UpperLimit int    `json:"upper_limit"`
	SortOrder  int    `json:"sort_order"`
	Active     bool   `json:"active"`
	Version    int64  `json:"version"`
}

// ItemInput is the body of POST /bakery/items and PATCH /bakery/items/{id}.
type ItemInput struct {
	Kind       *string `json:"kind"`
	Name       *string `json:"name"`
	UpperLimit *int    `json:"upper_limit"`
	SortOrder  *int    `json:"sort_order"`
	Active     *bool   `json:"active"`
	Version    *int64  `json:"version"`
}

// ItemFilter narrows GET /bakery/items.
type ItemFilter struct {
	Kind string
	// All includes retired (inactive) items.
	All bool
}

const itemColumns = "id, kind, name, upper_limit, sort_order, active, version"

func scanItem(r db.Scanner) (Item, error) {
	var it Item
	err := r.Scan(&it.ID, &it.Kind, &it.Name, &it.UpperLimit, &it.SortOrder, &it.Active, &it.Version)
	return it, err
}

// ListItems returns the catalogue in sheet order.
func (s *Service) ListItems(ctx context.Context, p auth.Principal, f ItemFilter) ([]Item, error) {
	if _, err := s.access(ctx, s.W.DB, p); err != nil {
		return nil, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Kind != "" {
		if !ValidKind(f.Kind) {
			return nil, apperr.New(apperr.BadRequest, "kind must be trayup or rtu")
		}
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if !f.All {
		where, args = append(where, "active = ?"), append(args, true)
	}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT "+itemColumns+" FROM bakery_items WHERE "+strings.Join(where, " AND ")+
		" ORDER BY kind DESC, sort_order, id", args...)
	if err != nil {
		return nil, fmt.Errorf("bakery: list items: %w", err)
	}
	out, err := db.Collect(rows, scanItem)
	if err != nil {
		return nil, fmt.Errorf("bakery: list items: %w", err)
	}
	return out, nil
}

func applyItem(it *Item, in ItemInput) {
	if in.Kind != nil {
		it.Kind = *in.Kind
	}
	if in.Name != nil {
		it.Name = strings.TrimSpace(*in.Name)
	}
	if in.UpperLimit != nil {
		it.UpperLimit = *in.UpperLimit
	}
	if in.SortOrder != nil {
		it.SortOrder = *in.SortOrder
	}
	if in.Active != nil {
		it.Active = *in.Active
	}
}

func validateItem(it Item) error {
	f := apperr.Fields{}
	if !ValidKind(it.Kind) {
		f.Add("kind", "must be trayup or rtu")
	}
	if l := len(it.Name); l == 0 || l > 80 {
		f.Add("name", "must be 1 to 80 characters")
	}
	if it.UpperLimit < 1 || it.UpperLimit > MaxUpperLimit {
		f.Add("upper_limit", fmt.Sprintf("must be between 1 and %d", MaxUpperLimit))
	}
	if it.SortOrder < 0 || it.SortOrder > 1_000_000 {
		f.Add("sort_order", "must be between 0 and 1000000")
	}
	return f.Err()
}

// CreateItem adds an item to the catalogue (bakery managers, admins). An
// item without sort_order goes to the end of its sheet.
func (s *Service) CreateItem(ctx context.Context, p auth.Principal, in ItemInput) (Item, error) {
	it := Item{Active: true, Version: 1}
	applyItem(&it, in)
	if err := validateItem(it); err != nil {
		return Item{}, err
	}
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		dept, err := department(ctx, tx)
		if err != nil {
			return err
		}
		if err := canEditItems(p, dept); err != nil {
			return err
		}
		if in.SortOrder == nil {
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(sort_order), 0) + 10 FROM bakery_items WHERE kind = ?", it.Kind).Scan(&it.SortOrder); err != nil {
				return fmt.Errorf("bakery: create item: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO bakery_items (kind, name, upper_limit, sort_order, active, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 1, ?, ?)`, it.Kind, it.Name, it.UpperLimit, it.SortOrder, it.Active, tx.Now(), tx.Now())
		if db.IsDuplicate(err) {
			return apperr.Field("name", "this sheet already has an item with this name")
		}
		if err != nil {
			return fmt.Errorf("bakery: create item: %w", err)
		}
		it.ID, _ = res.LastInsertId()
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "bakery.item.create", Entity: "bakery_item", EntityID: it.ID, Detail: it})
		tx.Emit(outbox.DeptTopic(dept), EventItem, it)
		return nil
	})
	return it, err
}

// UpdateItem changes an item (bakery managers, admins). Items are retired
// with active=false, never deleted, because past sheets name them.
func (s *Service) UpdateItem(ctx context.Context, p auth.Principal, id int64, in ItemInput, ifMatch *int64) (Item, error) {
	if in.Version == nil {
		in.Version = ifMatch
	}
	var out Item
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		dept, err := department(ctx, tx)
		if err != nil {
			return err
		}
		cur, err := scanItem(tx.QueryRowContext(ctx, "SELECT "+itemColumns+" FROM bakery_items WHERE id = ?"+tx.DB.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("bakery item")
		}
		if err != nil {
			return fmt.Errorf("bakery: update item: %w", err)
		}
		if err := canEditItems(p, dept); err != nil {
			return err
		}
		if in.Version != nil && *in.Version != cur.Version {
			return apperr.Stale("the item")
		}
		if in.Kind != nil && *in.Kind != cur.Kind {
			return apperr.Field("kind", "cannot change; retire the item and add it to the other sheet")
		}
		next := cur
		applyItem(&next, in)
		if err := validateItem(next); err != nil {
			return err
		}
		next.Version = cur.Version + 1
		_, err = tx.ExecContext(ctx, `UPDATE bakery_items SET name = ?, upper_limit = ?, sort_order = ?, active = ?, version = ?, updated_at = ?
			WHERE id = ?`, next.Name, next.UpperLimit, next.SortOrder, next.Active, next.Version, tx.Now(), id)
		if db.IsDuplicate(err) {
			return apperr.Field("name", "this sheet already has an item with this name")
		}
		if err != nil {
			return fmt.Errorf("bakery: update item: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "bakery.item.update", Entity: "bakery_item", EntityID: id, Detail: in})
		tx.Emit(outbox.DeptTopic(dept), EventItem, next)
		out = next
		return nil
	})
	return out, err
}
