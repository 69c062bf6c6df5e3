package notify

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
)

// Delivery statuses in the delivery log.
const (
	StatusSent       = "sent"
	StatusFailed     = "failed" // the last attempt failed; asynq retries with backoff
	StatusSuppressed = "suppressed"
	StatusDeferred   = "deferred" // waits for the end of quiet hours
)

// Delivery is one (event, person, channel) as admins see it.
type Delivery struct {
	ID        int64      `json:"id"`
	Ref       string     `json:"ref"`
	UserID    int64      `json:"user_id"`
	Name      string     `json:"name"`
	Channel   string     `json:"channel"`
	Kind      string     `json:"kind"`
	Status    string     `json:"status"`
	Detail    string     `json:"detail"`
	Attempts  int        `json:"attempts"` // sends tried
	SendAt    *time.Time `json:"send_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Record writes the latest outcome of (ref, user, channel) to the delivery
// log. A send, failed or not, counts an attempt; a sent row never turns back into
// anything else (a late duplicate delivery changes nothing).
func (s *Store) Record(ctx context.Context, ref string, userID int64, channel, kind, status, detail string, sendAt time.Time) error {
	now := s.now()
	var at any
	if !sendAt.IsZero() {
		at = sendAt.UTC()
	}
	detail = trim(detail, 300)
	tried := 0 // attempts count sends, not suppressions or deferrals
	if status == StatusFailed || status == StatusSent {
		tried = 1
	}
	ctx = context.WithoutCancel(ctx)
	res, err := s.DB.ExecContext(ctx, `UPDATE deliveries SET status = ?, detail = ?, send_at = ?, updated_at = ?,
		attempts = attempts + CASE WHEN ? IN ('failed', 'sent') THEN 1 ELSE 0 END
		WHERE ref = ? AND user_id = ? AND channel = ? AND status <> 'sent'`, status, detail, at, now, status, ref, userID, channel)
	if err != nil {
		return fmt.Errorf("notify: record delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO deliveries (ref, user_id, channel, kind, status, detail, attempts, send_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ref, userID, channel, kind, status, detail, tried, at, now, now)
	if db.IsDuplicate(err) {
		return nil // sent already
	}
	if err != nil {
		return fmt.Errorf("notify: record delivery: %w", err)
	}
	return nil
}

// DeliveryFilter narrows the delivery log.
type DeliveryFilter struct {
	Status  string
	Channel string
	UserID  int64
}

// Deliveries lists the delivery log newest first (admins only).
func (s *Store) Deliveries(ctx context.Context, p auth.Principal, f DeliveryFilter, lp paging.ListParams) (paging.Page[Delivery], error) {
	if err := auth.RequireAdmin(p); err != nil {
		return paging.Page[Delivery]{}, err
	}
	fields := apperr.Fields{}
	if f.Status != "" && !contains([]string{StatusSent, StatusFailed, StatusSuppressed, StatusDeferred}, f.Status) {
		fields.Add("status", "must be sent, failed, suppressed or deferred")
	}
	if f.Channel != "" && !contains(Channels, f.Channel) {
		fields.Add("channel", "must be one of "+strings.Join(Channels, ", "))
	}
	if err := fields.Err(); err != nil {
		return paging.Page[Delivery]{}, err
	}
	lp, err := lp.Normalize()
	if err != nil {
		return paging.Page[Delivery]{}, err
	}
	before, err := paging.DecodeCursor(lp.Cursor)
	if err != nil {
		return paging.Page[Delivery]{}, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if before > 0 {
		where, args = append(where, "d.id < ?"), append(args, before)
	}
	if f.Status != "" {
		where, args = append(where, "d.status = ?"), append(args, f.Status)
	}
	if f.Channel != "" {
		where, args = append(where, "d.channel = ?"), append(args, f.Channel)
	}
	if f.UserID > 0 {
		where, args = append(where, "d.user_id = ?"), append(args, f.UserID)
	}
	args = append(args, lp.Limit+1)
	rows, err := s.DB.QueryContext(ctx, `SELECT d.id, d.ref, d.user_id, u.first_name, u.last_name, d.channel, d.kind, d.status, d.detail,
		d.attempts, d.send_at, d.created_at, d.updated_at
		FROM deliveries d JOIN users u ON u.id = d.user_id WHERE `+strings.Join(where, " AND ")+` ORDER BY d.id DESC LIMIT ?`, args...)
	if err != nil {
		return paging.Page[Delivery]{}, fmt.Errorf("notify: deliveries: %w", err)
	}
	page, err := paging.ReadPage(rows, lp.Limit, scanDelivery, func(d Delivery) int64 { return d.ID })
	if err != nil {
		return paging.Page[Delivery]{}, fmt.Errorf("notify: deliveries: %w", err)
	}
	return page, nil
}

func scanDelivery(r db.Scanner) (Delivery, error) {
	var d Delivery
	var first, last string
	var sendAt sql.NullTime
	if err := r.Scan(&d.ID, &d.Ref, &d.UserID, &first, &last, &d.Channel, &d.Kind, &d.Status, &d.Detail, &d.Attempts, &sendAt, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return d, err
	}
	d.Name = strings.TrimSpace(first + " " + last)
	if sendAt.Valid {
		t := sendAt.Time.UTC()
		d.SendAt = &t
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, nil
}

// Unsubscribe link bounds: a link in an e-mail works for 60 days, as often
// as it is used, without signing in.
const (
	UnsubscribePurpose = "unsubscribe"
	UnsubscribeTTL     = 60 * 24 * time.Hour
)

// IssueUnsubscribe returns a new unsubscribe-link token for kind (the
// person's e-mails of that kind; any other kind means every e-mail).
func (s *Store) IssueUnsubscribe(ctx context.Context, userID int64, kind string) (string, error) {
	var tok string
	err := s.Writer.Do(ctx, func(tx *outbox.Tx) error {
		var err error
		tok, err = auth.IssueLink(ctx, tx, UnsubscribePurpose, userID, kind, UnsubscribeTTL)
		return err
	})
	return tok, err
}

// UnsubscribeInput is the body of POST /unsubscribe.
type UnsubscribeInput struct {
	Token string `json:"token"`
}

// Unsubscribed says what a link turned off.
type Unsubscribed struct {
	Kind    string `json:"kind"` // "" for every e-mail
	Channel string `json:"channel"`
}

// Unsubscribe turns off the e-mails a link names, with an audit row, for
// whoever holds the link. An unknown token is 404, an expired one 410.
func (s *Store) Unsubscribe(ctx context.Context, in UnsubscribeInput) (Unsubscribed, error) {
	var out Unsubscribed
	err := s.Writer.Do(ctx, func(tx *outbox.Tx) error {
		l, err := auth.UseLink(ctx, tx, in.Token, UnsubscribePurpose, false)
		if err != nil {
			return err
		}
		out = Unsubscribed{Channel: ChannelEmail}
		if contains(Kinds, l.Subject) {
			out.Kind = l.Subject
			err = setChoice(ctx, tx, l.UserID, l.Subject, ChannelEmail, false, tx.Now())
		} else {
			err = upsert(ctx, tx, `INSERT INTO notification_prefs (user_id, email_enabled, updated_at) VALUES (?, ?, ?)`,
				[]string{"email_enabled", "updated_at"}, []string{"user_id"}, l.UserID, false, tx.Now())
		}
		if err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: l.UserID, Action: "preferences.unsubscribe", Entity: "user", EntityID: l.UserID,
			Detail: map[string]string{"kind": l.Subject, "channel": ChannelEmail, "via": "link"}})
		return nil
	})
	return out, err
}
