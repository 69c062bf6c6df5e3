package bakery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Sheet is one day's counting sheet of one kind with its lines. A sheet
// that nobody has counted yet is shown with id 0 and zero counts; the first
// write creates it.
type Sheet struct {
	ID           int64      `json:"id"`
	DepartmentID int64      `json:"department_id"`
	Date         string     `json:"date"`
	Kind         string     `json:"kind"`
	Status       string     `json:"status"`
	Version      int64      `json:"version"`
	FinalizedAt  *time.Time `json:"finalized_at,omitempty"`
	FinalizedBy  *int64     `json:"finalized_by,omitempty"`
	Total        int        `json:"total"`
	Lines        []Line     `json:"lines"`
}

// Line is one item's count on a sheet.
type Line struct {
	ItemID     int64  `json:"item_id"`
	Name       string `json:"name"`
	UpperLimit int    `json:"upper_limit"`
	SortOrder  int    `json:"sort_order"`
	Count      int    `json:"count"`
	// Version grows with every change of this count.
	Version int64 `json:"version"`
}

// Summary is one sheet of the history.
type Summary struct {
	ID           int64      `json:"id"`
	Date         string     `json:"date"`
	Kind         string     `json:"kind"`
	Status       string     `json:"status"`
	Version      int64      `json:"version"`
	FinalizedAt  *time.Time `json:"finalized_at,omitempty"`
	FinalizedBy  *int64     `json:"finalized_by,omitempty"`
	Total        int        `json:"total"`
	ItemsCounted int        `json:"items_counted"`
}

// sheetRow is the locked head of a sheet inside a transaction.
type sheetRow struct {
	ID      int64
	Status  string
	Version int64
}

// FinalizedEvent is the payload of bakery.finalized and bakery.reset.
type FinalizedEvent struct {
	SheetID int64  `json:"sheet_id"`
	Date    string `json:"date"`
	Kind    string `json:"kind"`
	Version int64  `json:"version"`
}

func checkKind(kind string) error {
	if !ValidKind(kind) {
		return apperr.NotFoundf("sheet kind")
	}
	return nil
}

// lockSheet locks the head of a sheet; with create it starts a missing
// sheet (only near today, store time), otherwise it returns ok=false.
// lockOpenSheet opens every write to a sheet's counts: it checks that p may
// count, locks (starting, if need be) the sheet, and refuses a finalized one.
func (s *Service) lockOpenSheet(ctx context.Context, tx *outbox.Tx, p auth.Principal, date time.Time, kind string) (int64, sheetRow, error) {
	dept, err := s.access(ctx, tx, p)
	if err != nil {
		return 0, sheetRow{}, err
	}
	r, _, err := s.lockSheet(ctx, tx, date, kind, true)
	if err != nil {
		return 0, sheetRow{}, err
	}
	if err := requireOpen(r, date, kind); err != nil {
		return 0, sheetRow{}, err
	}
	return dept, r, nil
}

func (s *Service) lockSheet(ctx context.Context, tx *outbox.Tx, date time.Time, kind string, create bool) (sheetRow, bool, error) {
	var r sheetRow
	for attempt := 0; attempt < 2; attempt++ {
		err := tx.QueryRowContext(ctx, "SELECT id, status, version FROM bakery_sheets WHERE sheet_date = ? AND kind = ?"+tx.DB.ForUpdate(),
			date, kind).Scan(&r.ID, &r.Status, &r.Version)
		if err == nil {
			return r, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return r, false, fmt.Errorf("bakery: lock sheet: %w", err)
		}
		if !create {
			return r, false, nil
		}
		if err := s.checkNewSheetDate(ctx, tx.Now(), date); err != nil {
			return r, false, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO bakery_sheets (sheet_date, kind, status, version, created_at, updated_at)
			VALUES (?, ?, ?, 1, ?, ?)`, date, kind, StatusOpen, tx.Now(), tx.Now())
		if db.IsDuplicate(err) {
			continue // started by someone else a moment ago
		}
		if err != nil {
			return r, false, fmt.Errorf("bakery: start sheet: %w", err)
		}
		r.ID, _ = res.LastInsertId()
		r.Status, r.Version = StatusOpen, 1
		return r, true, nil
	}
	return r, false, fmt.Errorf("bakery: sheet %s %s vanished", date.Format(time.DateOnly), kind)
}

func (s *Service) checkNewSheetDate(ctx context.Context, now, date time.Time) error {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return err
	}
	y, m, d := now.In(st.Location()).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if diff := date.Sub(today).Hours() / 24; diff > NewSheetDays || diff < -NewSheetDays {
		return apperr.Field("date", fmt.Sprintf("a new sheet must be within %d days of today", NewSheetDays))
	}
	return nil
}

func requireOpen(r sheetRow, date time.Time, kind string) error {
	if r.Status == StatusFinalized {
		return apperr.New(apperr.Conflict, "the %s sheet of %s is finalized; its counts are locked", kindLabel(kind), date.Format(time.DateOnly))
	}
	return nil
}

// GetSheet returns one day's sheet of a kind.
func (s *Service) GetSheet(ctx context.Context, p auth.Principal, date time.Time, kind string) (Sheet, error) {
	if err := checkKind(kind); err != nil {
		return Sheet{}, err
	}
	dept, err := s.access(ctx, s.W.DB, p)
	if err != nil {
		return Sheet{}, err
	}
	return s.loadSheet(ctx, s.W.DB, dept, date, kind)
}

type queryer interface {
	querier
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Service) loadSheet(ctx context.Context, q queryer, dept int64, date time.Time, kind string) (Sheet, error) {
	sh := Sheet{DepartmentID: dept, Date: date.Format(time.DateOnly), Kind: kind, Status: StatusOpen, Lines: []Line{}}
	var finAt sql.NullTime
	var finBy sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT id, status, version, finalized_at, finalized_by FROM bakery_sheets WHERE sheet_date = ? AND kind = ?",
		date, kind).Scan(&sh.ID, &sh.Status, &sh.Version, &finAt, &finBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Sheet{}, fmt.Errorf("bakery: load sheet: %w", err)
	}
	if finAt.Valid {
		t := finAt.Time.UTC()
		sh.FinalizedAt = &t
	}
	if finBy.Valid {
		sh.FinalizedBy = &finBy.Int64
	}
	rows, err := q.QueryContext(ctx, `SELECT i.id, i.name, i.upper_limit, i.sort_order, COALESCE(c.count, 0), COALESCE(c.version, 0)
		FROM bakery_items i LEFT JOIN bakery_counts c ON c.item_id = i.id AND c.sheet_id = ?
		WHERE i.kind = ? AND (i.active = ? OR c.count > 0)
		ORDER BY i.sort_order, i.id`, sh.ID, kind, true)
	if err != nil {
		return Sheet{}, fmt.Errorf("bakery: load sheet lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ItemID, &l.Name, &l.UpperLimit, &l.SortOrder, &l.Count, &l.Version); err != nil {
			return Sheet{}, fmt.Errorf("bakery: load sheet lines: %w", err)
		}
		sh.Total += l.Count
		sh.Lines = append(sh.Lines, l)
	}
	return sh, rows.Err()
}

// Finalize locks a sheet's counts (audited). A sheet nobody counted may be
// finalized too (all zeros), within the days a new sheet may start.
func (s *Service) Finalize(ctx context.Context, p auth.Principal, date time.Time, kind string, ifMatch *int64) (Sheet, error) {
	if err := checkKind(kind); err != nil {
		return Sheet{}, err
	}
	var out Sheet
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		dept, r, err := s.lockOpenSheet(ctx, tx, p, date, kind)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != r.Version {
			return apperr.Stale("the sheet")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bakery_sheets SET status = ?, version = version + 1, finalized_at = ?, finalized_by = ?, updated_at = ?
			WHERE id = ?`, StatusFinalized, tx.Now(), p.UserID, tx.Now(), r.ID); err != nil {
			return fmt.Errorf("bakery: finalize: %w", err)
		}
		if out, err = s.loadSheet(ctx, tx, dept, date, kind); err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "bakery.finalize", Entity: "bakery_sheet", EntityID: r.ID,
			Detail: map[string]any{"date": out.Date, "kind": kind, "total": out.Total}})
		tx.Emit(outbox.DeptTopic(dept), EventFinalized, FinalizedEvent{SheetID: r.ID, Date: out.Date, Kind: kind, Version: out.Version})
		return nil
	})
	return out, err
}

// Reset sets every count of an open sheet back to zero (audited). Devices
// hear one bakery.reset instead of a bakery.count per line.
func (s *Service) Reset(ctx context.Context, p auth.Principal, date time.Time, kind string, ifMatch *int64) (Sheet, error) {
	if err := checkKind(kind); err != nil {
		return Sheet{}, err
	}
	var out Sheet
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		dept, err := s.access(ctx, tx, p)
		if err != nil {
			return err
		}
		r, ok, err := s.lockSheet(ctx, tx, date, kind, false)
		if err != nil {
			return err
		}
		if !ok {
			out, err = s.loadSheet(ctx, tx, dept, date, kind)
			return err
		}
		if err := requireOpen(r, date, kind); err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != r.Version {
			return apperr.Stale("the sheet")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE bakery_counts SET count = 0, version = version + 1, updated_at = ?, updated_by = ? WHERE sheet_id = ? AND count <> 0",
			tx.Now(), p.UserID, r.ID); err != nil {
			return fmt.Errorf("bakery: reset: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE bakery_sheets SET version = version + 1, updated_at = ? WHERE id = ?", tx.Now(), r.ID); err != nil {
			return fmt.Errorf("bakery: reset: %w", err)
		}
		if out, err = s.loadSheet(ctx, tx, dept, date, kind); err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "bakery.reset", Entity: "bakery_sheet", EntityID: r.ID,
			Detail: map[string]any{"date": out.Date, "kind": kind}})
		tx.Emit(outbox.DeptTopic(dept), EventReset, FinalizedEvent{SheetID: r.ID, Date: out.Date, Kind: kind, Version: out.Version})
		return nil
	})
	return out, err
}

// HistoryFilter narrows GET /bakery/sheets.
type HistoryFilter struct {
	From, To time.Time // calendar dates, inclusive
	Kind     string
}

// History lists past sheets, newest first. Without from/to it covers the
// last 30 days.
func (s *Service) History(ctx context.Context, p auth.Principal, f HistoryFilter) ([]Summary, error) {
	if _, err := s.access(ctx, s.W.DB, p); err != nil {
		return nil, err
	}
	if f.Kind != "" && !ValidKind(f.Kind) {
		return nil, apperr.New(apperr.BadRequest, "kind must be trayup or rtu")
	}
	if f.To.IsZero() {
		st, err := s.People.GetStore(ctx)
		if err != nil {
			return nil, err
		}
		y, m, d := s.W.Clock().In(st.Location()).Date()
		f.To = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, NewSheetDays)
	}
	if f.From.IsZero() {
		f.From = f.To.AddDate(0, 0, -30)
	}
	if f.To.Before(f.From) {
		return nil, apperr.New(apperr.BadRequest, "to must not be before from")
	}
	if f.To.Sub(f.From) > MaxHistoryDays*24*time.Hour {
		return nil, apperr.New(apperr.BadRequest, "the range may cover at most %d days", MaxHistoryDays)
	}
	q := `SELECT s.id, s.sheet_date, s.kind, s.status, s.version, s.finalized_at, s.finalized_by,
		COALESCE(SUM(c.count), 0), COALESCE(SUM(CASE WHEN c.count > 0 THEN 1 ELSE 0 END), 0)
		FROM bakery_sheets s LEFT JOIN bakery_counts c ON c.sheet_id = s.id
		WHERE s.sheet_date >= ? AND s.sheet_date <= ?`
	args := []any{f.From, f.To}
	if f.Kind != "" {
		q += " AND s.kind = ?"
		args = append(args, f.Kind)
	}
	q += " GROUP BY s.id, s.sheet_date, s.kind, s.status, s.version, s.finalized_at, s.finalized_by ORDER BY s.sheet_date DESC, s.kind DESC"
	rows, err := s.W.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("bakery: history: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var sm Summary
		var day time.Time
		var finAt sql.NullTime
		var finBy sql.NullInt64
		if err := rows.Scan(&sm.ID, &day, &sm.Kind, &sm.Status, &sm.Version, &finAt, &finBy, &sm.Total, &sm.ItemsCounted); err != nil {
			return nil, fmt.Errorf("bakery: history: %w", err)
		}
		sm.Date = day.Format(time.DateOnly)
		if finAt.Valid {
			t := finAt.Time.UTC()
			sm.FinalizedAt = &t
		}
		if finBy.Valid {
			sm.FinalizedBy = &finBy.Int64
		}
		out = append(out, sm)
	}
	return out, rows.Err()
}
