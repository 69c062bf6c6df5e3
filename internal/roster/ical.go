package roster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// The iCal feed: a per-person secret token (only its SHA-256 is stored) in
// a URL that calendar apps poll without signing in. A new token replaces
// the old one; revoking deletes it.

// Feed window: what a calendar app needs to show.
const (
	icalPast   = 60 * 24 * time.Hour
	icalFuture = 180 * 24 * time.Hour
)

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// NewICalToken makes (or replaces) the caller's feed token and returns it.
func (s *Service) NewICalToken(ctx context.Context, p auth.Principal) (string, error) {
	if p.UserID == 0 || p.ClocksOnly() {
		return "", auth.ErrForbidden
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM ical_tokens WHERE user_id = ?", p.UserID); err != nil {
			return fmt.Errorf("roster: ical token: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO ical_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)", p.UserID, hashToken(tok), tx.Now()); err != nil {
			return fmt.Errorf("roster: ical token: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "ical.token", Entity: "user", EntityID: p.UserID})
		return nil
	})
	return tok, err
}

// RevokeICalToken ends the caller's feed; its URL stops working.
func (s *Service) RevokeICalToken(ctx context.Context, p auth.Principal) error {
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM ical_tokens WHERE user_id = ?", p.UserID); err != nil {
			return fmt.Errorf("roster: revoke ical token: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "ical.revoke", Entity: "user", EntityID: p.UserID})
		return nil
	})
}

// ICalFeed returns the RFC 5545 calendar of the token owner's published
// shifts around now. An unknown or revoked token is 404.
func (s *Service) ICalFeed(ctx context.Context, token string, now time.Time) ([]byte, error) {
	var emp int64
	var active bool
	err := s.W.DB.QueryRowContext(ctx, "SELECT t.user_id, u.active FROM ical_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
		hashToken(token)).Scan(&emp, &active)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
		return nil, apperr.NotFoundf("calendar")
	}
	if err != nil {
		return nil, fmt.Errorf("roster: ical feed: %w", err)
	}
	shifts, err := queryShifts(ctx, s.W.DB, "SELECT "+shiftColumns+` FROM shifts WHERE employee_id = ? AND status = 'published'
		AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id`, emp, now.Add(-icalPast).UTC(), now.Add(icalFuture).UTC())
	if err != nil {
		return nil, err
	}
	names, err := s.departmentNames(ctx)
	if err != nil {
		return nil, err
	}
	return renderICal(shifts, names, now), nil
}

func (s *Service) departmentNames(ctx context.Context) (map[int64]string, error) {
	rows, err := s.W.DB.QueryContext(ctx, "SELECT id, name FROM departments")
	if err != nil {
		return nil, fmt.Errorf("roster: department names: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("roster: department names: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}

const icalStamp = "20060102T150405Z"

// renderICal writes a VCALENDAR with one VEVENT per shift, times in UTC
// (no VTIMEZONE needed), CRLF line ends and 75-octet folding (RFC 5545 3.1).
func renderICal(shifts []Shift, depts map[int64]string, now time.Time) []byte {
	var b strings.Builder
	line := func(s string) {
		for len(s) > 75 {
			cut := 75
			for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
				cut--
			}
			b.WriteString(s[:cut] + "\r\n")
			s = " " + s[cut:]
		}
		b.WriteString(s + "\r\n")
	}
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//CrumbCommander//Shifts//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + icalText("My shifts"))
	for _, sh := range shifts {
		summary := depts[sh.DepartmentID]
		if sh.Position != "" {
			summary += " – " + sh.Position
		}
		line("BEGIN:VEVENT")
		line("UID:shift-" + strconv.FormatInt(sh.ID, 10) + "@crumbcommander")
		line("DTSTAMP:" + now.UTC().Format(icalStamp))
		line("DTSTART:" + sh.StartsAt.UTC().Format(icalStamp))
		line("DTEND:" + sh.EndsAt.UTC().Format(icalStamp))
		line("SEQUENCE:" + strconv.FormatInt(sh.Version, 10))
		line("SUMMARY:" + icalText(summary))
		if sh.Notes != "" {
			line("DESCRIPTION:" + icalText(sh.Notes))
		}
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return []byte(b.String())
}

// icalText escapes a TEXT value (RFC 5545 3.3.11).
func icalText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}
