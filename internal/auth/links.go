package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Links act for one person without signing in: the link in an e-mail or SMS
// that acknowledges a schedule, or unsubscribes from a kind of message. A
// link is a random token (only its SHA-256 is stored) bound to one purpose,
// one person and one subject (what it acts on, such as a week), with an
// expiry. A link made to work once is refused after its first use.

// LinkPrefix starts every link token, so that a leaked one is recognisable.
const LinkPrefix = "crumbl_"

// maxLinkTTL bounds how long a link may live.
const maxLinkTTL = 90 * 24 * time.Hour

// Link is what a link token stands for.
type Link struct {
	Purpose   string
	UserID    int64
	Subject   string
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// IssueLink stores a new link for userID inside tx and returns its token.
// purpose names what the link does ("schedule.ack", "unsubscribe"); subject
// names the object it acts on and may be empty.
func IssueLink(ctx context.Context, tx *outbox.Tx, purpose string, userID int64, subject string, ttl time.Duration) (string, error) {
	if purpose == "" || len(purpose) > 40 || len(subject) > 120 || ttl <= 0 || ttl > maxLinkTTL {
		return "", fmt.Errorf("auth: link %q for %q with ttl %v is out of bounds", purpose, subject, ttl)
	}
	tok, err := randomToken(LinkPrefix)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO links (token_hash, purpose, user_id, subject, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		hashToken(tok), purpose, userID, subject, tx.Now().Add(ttl), tx.Now()); err != nil {
		return "", fmt.Errorf("auth: issue link: %w", err)
	}
	return tok, nil
}

// UseLink reads the link of token for purpose inside tx (locking its row
// on MySQL). A token that is malformed, unknown or made for another purpose
// is 404 not_found, whoever asks; an expired one is 410 gone. With once, a
// link already used is 410 gone and the link is marked used now; the mark
// commits or rolls back with tx, so a failed action leaves the link usable.
func UseLink(ctx context.Context, tx *outbox.Tx, token, purpose string, once bool) (Link, error) {
	if !strings.HasPrefix(token, LinkPrefix) || len(token) > 100 {
		return Link{}, apperr.NotFoundf("link")
	}
	var l Link
	var used sql.NullTime
	err := tx.QueryRowContext(ctx, "SELECT purpose, user_id, subject, expires_at, used_at FROM links WHERE token_hash = ?"+tx.DB.ForUpdate(),
		hashToken(token)).Scan(&l.Purpose, &l.UserID, &l.Subject, &l.ExpiresAt, &used)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && l.Purpose != purpose) {
		return Link{}, apperr.NotFoundf("link")
	}
	if err != nil {
		return Link{}, fmt.Errorf("auth: use link: %w", err)
	}
	if used.Valid {
		t := used.Time
		l.UsedAt = &t
	}
	if !tx.Now().Before(l.ExpiresAt) {
		return Link{}, apperr.New(apperr.Gone, "this link has expired")
	}
	if once {
		if l.UsedAt != nil {
			return Link{}, apperr.New(apperr.Gone, "this link was already used")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE links SET used_at = ? WHERE token_hash = ?", tx.Now(), hashToken(token)); err != nil {
			return Link{}, fmt.Errorf("auth: use link: %w", err)
		}
	}
	return l, nil
}

// DeleteExpiredLinks removes links that expired before cutoff.
func DeleteExpiredLinks(ctx context.Context, d *db.DB, cutoff time.Time) error {
	if _, err := d.ExecContext(ctx, "DELETE FROM links WHERE expires_at < ?", cutoff.UTC()); err != nil {
		return fmt.Errorf("auth: delete expired links: %w", err)
	}
	return nil
}
