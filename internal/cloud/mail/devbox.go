package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// DevBox keeps messages in the mailbox table instead of sending them; admins
// read it through GET /api/v1/admin/mailbox.
type DevBox struct {
	DB    *db.DB
	Clock func() time.Time
}

var _ Sender = (*DevBox)(nil)

// Stored is one message in the dev mailbox.
type Stored struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	Message
}

// Send stores m.
func (d *DevBox) Send(ctx context.Context, m Message) error {
	now := time.Now
	if d.Clock != nil {
		now = d.Clock
	}
	_, err := d.DB.ExecContext(ctx, `INSERT INTO mailbox (to_addr, subject, text_body, html_body, created_at) VALUES (?, ?, ?, ?, ?)`,
		m.To, m.Subject, m.Text, m.HTML, now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("mail: store in dev mailbox: %w", err)
	}
	return nil
}

// List returns up to limit messages older than beforeID (0: the newest),
// newest first; to filters by recipient when not empty.
func (d *DevBox) List(ctx context.Context, to string, beforeID int64, limit int) ([]Stored, error) {
	q := `SELECT id, created_at, to_addr, subject, text_body, html_body FROM mailbox WHERE 1=1`
	var args []any
	if to != "" {
		q += ` AND to_addr = ?`
		args = append(args, to)
	}
	if beforeID > 0 {
		q += ` AND id < ?`
		args = append(args, beforeID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("mail: list mailbox: %w", err)
	}
	defer rows.Close()
	out := []Stored{}
	for rows.Next() {
		var s Stored
		if err := rows.Scan(&s.ID, &s.At, &s.To, &s.Subject, &s.Text, &s.HTML); err != nil {
			return nil, fmt.Errorf("mail: scan mailbox: %w", err)
		}
		s.At = s.At.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}
