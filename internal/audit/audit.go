// Package audit reads the audit log that domain transactions write through
// internal/outbox. Only admins may read it.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/paging"
)

// Entry is one audited write: who, what, when, from where.
type Entry struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	ActorID   *int64          `json:"actor_id"`
	Action    string          `json:"action"`
	Entity    string          `json:"entity"`
	EntityID  *int64          `json:"entity_id"`
	IP        string          `json:"ip"`
	RequestID string          `json:"request_id"`
	Detail    json.RawMessage `json:"detail"`
}

// Filter narrows the log.
type Filter struct {
	From, To time.Time
	ActorID  int64
	Entity   string
}

// Service reads the log.
type Service struct{ DB *db.DB }

// List returns entries newest first. Cursors page backwards by id.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter, lp paging.ListParams) (paging.Page[Entry], error) {
	if err := auth.RequireAdmin(p); err != nil {
		return paging.Page[Entry]{}, err
	}
	lp, err := lp.Normalize()
	if err != nil {
		return paging.Page[Entry]{}, err
	}
	before, err := paging.DecodeCursor(lp.Cursor)
	if err != nil {
		return paging.Page[Entry]{}, err
	}
	where := []string{"1 = 1"}
	var args []any
	if before > 0 {
		where = append(where, "id < ?")
		args = append(args, before)
	}
	if !f.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		if !f.From.IsZero() && f.To.Before(f.From) {
			return paging.Page[Entry]{}, apperr.Field("to", "must not be before from")
		}
		where = append(where, "at < ?")
		args = append(args, f.To.UTC())
	}
	if f.ActorID != 0 {
		where = append(where, "actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.Entity != "" {
		where = append(where, "entity = ?")
		args = append(args, f.Entity)
	}
	args = append(args, lp.Limit+1)
	rows, err := s.DB.QueryContext(ctx, `SELECT id, at, actor_id, action, entity, entity_id, ip, request_id, detail
		FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return paging.Page[Entry]{}, fmt.Errorf("audit: list: %w", err)
	}
	page, err := paging.ReadPage(rows, lp.Limit, scanEntry, func(e Entry) int64 { return e.ID })
	if err != nil {
		return paging.Page[Entry]{}, fmt.Errorf("audit: list: %w", err)
	}
	return page, nil
}

func scanEntry(r db.Scanner) (Entry, error) {
	var e Entry
	var actor, entity sql.NullInt64
	var detail string
	if err := r.Scan(&e.ID, &e.At, &actor, &e.Action, &e.Entity, &entity, &e.IP, &e.RequestID, &detail); err != nil {
		return Entry{}, err
	}
	if actor.Valid {
		e.ActorID = &actor.Int64
	}
	if entity.Valid {
		e.EntityID = &entity.Int64
	}
	e.Detail = json.RawMessage(detail)
	return e, nil
}
