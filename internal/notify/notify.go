// Package notify records which notifications were sent (so a retried task
// sends at most once) and what happened to each (the delivery log), keeps
// each person's notification preferences, quiet hours and verified phone,
// and decides, before every send, whether a message goes now, waits for
// the end of quiet hours, or is suppressed (Decide).
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Channels.
const (
	ChannelEmail = "email"
	ChannelAlert = "alert"
)

// ErrAlreadySent is returned by Claim when the notification exists.
var ErrAlreadySent = errors.New("notify: already sent")

// Store is the notifications and preferences tables.
type Store struct {
	DB    *db.DB
	Clock func() time.Time
	// Writer runs the audited changes (preferences, phone, unsubscribe, STOP).
	Writer *outbox.Writer
	// Zone returns the store's zone (quiet hours); nil means UTC.
	Zone func(ctx context.Context) (*time.Location, error)
	// SMS sends verification codes and HELP answers; nil refuses to
	// verify phones.
	SMS sms.Sender
	// BaseURL is the app's public address (the HELP answer names it).
	BaseURL string
}

func (s *Store) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return s.Clock().UTC().Truncate(time.Microsecond)
}

// ClaimTTL is how long a claim whose send has not finished holds: longer
// than any send takes (the SMTP session's deadline is a minute). An older
// unsent claim was left by a delivery that died between claim and send (a
// killed worker), and the next delivery of the task takes it over.
const ClaimTTL = 5 * time.Minute

// ErrInFlight is returned by Claim when another delivery of the same task
// holds an unsent claim younger than ClaimTTL: the caller retries later
// (the send then finished, or its claim expired).
var ErrInFlight = errors.New("notify: being sent by another delivery")

// Claim reserves the notification (ref, user, channel). It returns
// ErrAlreadySent when it was sent, and ErrInFlight while another delivery
// holds it. The unique key is the whole at-most-once guarantee.
func (s *Store) Claim(ctx context.Context, ref string, userID int64, channel, kind string) error {
	now := s.now()
	_, err := s.DB.ExecContext(ctx, `INSERT INTO notifications (ref, user_id, channel, kind, created_at) VALUES (?, ?, ?, ?, ?)`,
		ref, userID, channel, kind, now)
	if !db.IsDuplicate(err) {
		if err != nil {
			return fmt.Errorf("notify: claim: %w", err)
		}
		return nil
	}
	res, err := s.DB.ExecContext(ctx, `UPDATE notifications SET created_at = ? WHERE ref = ? AND user_id = ? AND channel = ?
		AND sent_at IS NULL AND created_at < ?`, now, ref, userID, channel, now.Add(-ClaimTTL))
	if err != nil {
		return fmt.Errorf("notify: take over claim: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil // the delivery that held it died
	}
	var sent any // NULL or a time, whatever type the driver gives it
	err = s.DB.QueryRowContext(ctx, `SELECT sent_at FROM notifications WHERE ref = ? AND user_id = ? AND channel = ?`, ref, userID, channel).Scan(&sent)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrInFlight // released meanwhile: the retry claims it
	case err != nil:
		return fmt.Errorf("notify: claim: %w", err)
	case sent != nil:
		return ErrAlreadySent
	}
	return ErrInFlight
}

// Release gives a claim back after a failed send, so the retry may send.
func (s *Store) Release(ctx context.Context, ref string, userID int64, channel string) error {
	_, err := s.DB.ExecContext(context.WithoutCancel(ctx), `DELETE FROM notifications WHERE ref = ? AND user_id = ? AND channel = ? AND sent_at IS NULL`,
		ref, userID, channel)
	if err != nil {
		return fmt.Errorf("notify: release: %w", err)
	}
	return nil
}

// ReleaseUnsent gives back every claim whose send never finished and
// returns how many. Only a process that knows no send is in flight may call
// it: the embedded server on start, before its worker runs, since the
// claims were made by its own earlier life (killed between claim and send).
// A message the mail server accepted just before the kill is then sent
// again; one never sent is no longer lost.
func (s *Store) ReleaseUnsent(ctx context.Context) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM notifications WHERE sent_at IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("notify: release unsent: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// MarkSent records the delivery time.
func (s *Store) MarkSent(ctx context.Context, ref string, userID int64, channel string) error {
	_, err := s.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE notifications SET sent_at = ? WHERE ref = ? AND user_id = ? AND channel = ?`,
		s.now(), ref, userID, channel)
	if err != nil {
		return fmt.Errorf("notify: mark sent: %w", err)
	}
	return nil
}

// Count returns how many notifications exist for ref (tests, ops).
func (s *Store) Count(ctx context.Context, ref string) (int, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE ref = ?`, ref).Scan(&n)
	return n, err
}

// Recipient is what a message needs to know about a person.
type Recipient struct {
	ID           int64
	Email        string
	FirstName    string
	LastName     string
	Active       bool
	EmailEnabled bool
}

// Recipient loads a person with their e-mail preference (on by default).
func (s *Store) Recipient(ctx context.Context, userID int64) (Recipient, error) {
	return s.recipient(ctx, s.DB, userID)
}

func (s *Store) recipient(ctx context.Context, q querier, userID int64) (Recipient, error) {
	r := Recipient{ID: userID}
	var enabled sql.NullBool
	err := q.QueryRowContext(ctx, `SELECT u.email, u.first_name, u.last_name, u.active, p.email_enabled
		FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id WHERE u.id = ?`, userID).
		Scan(&r.Email, &r.FirstName, &r.LastName, &r.Active, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return r, db.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("notify: recipient: %w", err)
	}
	r.EmailEnabled = !enabled.Valid || enabled.Bool
	return r, nil
}

// Admins returns the active admins (alarm e-mails).
func (s *Store) Admins(ctx context.Context) ([]int64, error) {
	return s.ids(ctx, `SELECT id FROM users WHERE role = ? AND active = ? ORDER BY id`, string(auth.RoleAdmin), true)
}

// ids runs a query of user ids.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("notify: people: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Managers returns the active managers of a department (request e-mails).
func (s *Store) Managers(ctx context.Context, deptID int64) ([]int64, error) {
	return s.ids(ctx, `SELECT u.id FROM users u JOIN user_departments ud ON ud.user_id = u.id
		WHERE ud.department_id = ? AND u.role = ? AND u.active = ? ORDER BY u.id`, deptID, string(auth.RoleManager), true)
}
