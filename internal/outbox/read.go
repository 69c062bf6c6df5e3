package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// Reader reads committed events back by sequence.
type Reader struct{ DB *db.DB }

// After returns up to limit events with seq > since on any of topics, in
// seq order.
func (r Reader) After(ctx context.Context, since int64, topics []string, limit int) ([]Event, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(topics)+2)
	args = append(args, since)
	for _, t := range topics {
		args = append(args, t)
	}
	args = append(args, limit)
	q := `SELECT seq, topic, type, payload, created_at FROM events
		WHERE seq > ? AND topic IN (?` + strings.Repeat(", ?", len(topics)-1) + `) ORDER BY seq LIMIT ?`
	return r.query(ctx, q, args...)
}

// Range returns up to limit events of every topic with seq > since, in seq
// order. Hubs use it to fill a gap in what their broker delivered.
func (r Reader) Range(ctx context.Context, since int64, limit int) ([]Event, error) {
	return r.query(ctx, `SELECT seq, topic, type, payload, created_at FROM events
		WHERE seq > ? ORDER BY seq LIMIT ?`, since, limit)
}

// CreatedSince returns up to limit events created at or after t with seq >
// after, in seq order (the embedded server's replay of lost tasks).
func (r Reader) CreatedSince(ctx context.Context, t time.Time, after int64, limit int) ([]Event, error) {
	return r.query(ctx, `SELECT seq, topic, type, payload, created_at FROM events
		WHERE seq > ? AND seq IS NOT NULL AND created_at >= ? ORDER BY seq LIMIT ?`, after, t.UTC(), limit)
}

// Unrelayed returns events committed before olderThan that no relay has
// marked as published, oldest first.
func (r Reader) Unrelayed(ctx context.Context, olderThan time.Time, limit int) ([]Event, error) {
	return r.query(ctx, `SELECT seq, topic, type, payload, created_at FROM events
		WHERE relayed_at IS NULL AND seq IS NOT NULL AND created_at < ? ORDER BY seq LIMIT ?`, olderThan.UTC(), limit)
}

// MarkRelayed records that events up to and including seqs were published.
func (r Reader) MarkRelayed(ctx context.Context, seqs []int64, at time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	args := []any{at.UTC()}
	for _, s := range seqs {
		args = append(args, s)
	}
	_, err := r.DB.ExecContext(ctx, `UPDATE events SET relayed_at = ? WHERE relayed_at IS NULL AND seq IN (?`+
		strings.Repeat(", ?", len(seqs)-1)+`)`, args...)
	if err != nil {
		return fmt.Errorf("outbox: mark relayed: %w", err)
	}
	return nil
}

// Bounds returns the smallest stored seq (0 when the table is empty) and
// the newest (the current head).
func (r Reader) Bounds(ctx context.Context) (oldest, newest int64, err error) {
	var lo sql.NullInt64
	if err := r.DB.QueryRowContext(ctx, "SELECT MIN(seq) FROM events").Scan(&lo); err != nil {
		return 0, 0, fmt.Errorf("outbox: bounds: %w", err)
	}
	if err := r.DB.QueryRowContext(ctx, "SELECT seq FROM outbox_seq WHERE id = 1").Scan(&newest); err != nil {
		return 0, 0, fmt.Errorf("outbox: bounds: %w", err)
	}
	return lo.Int64, newest, nil
}

// DeleteBefore removes events created before cutoff (retention). It deletes
// in batches so that it never holds long locks.
func (r Reader) DeleteBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		var res sql.Result
		var err error
		if r.DB.IsMySQL() {
			res, err = r.DB.ExecContext(ctx, "DELETE FROM events WHERE created_at < ? ORDER BY id LIMIT 5000", cutoff.UTC())
		} else {
			res, err = r.DB.ExecContext(ctx, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < ? ORDER BY id LIMIT 5000)", cutoff.UTC())
		}
		if err != nil {
			return total, fmt.Errorf("outbox: retention: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}

func (r Reader) query(ctx context.Context, q string, args ...any) ([]Event, error) {
	rows, err := r.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: read events: %w", err)
	}
	return scanEvents(rows)
}

// scanEvents reads and closes rows of (seq, topic, type, payload, created_at).
func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var typ, payload string
		if err := rows.Scan(&e.Seq, &e.Topic, &typ, &payload, &e.At); err != nil {
			return nil, fmt.Errorf("outbox: scan event: %w", err)
		}
		e.Type, e.ManagersOnly = parseStoredType(typ)
		e.Data = []byte(payload)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: read events: %w", err)
	}
	return out, nil
}
