package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Phone verification bounds.
const (
	// CodeTTL is how long a verification code works.
	CodeTTL = 10 * time.Minute
	// MaxCodeAttempts is how many wrong codes end a code.
	MaxCodeAttempts = 5
	// CodeInterval is the least time between two codes for one person.
	CodeInterval = time.Minute
)

// e164 is a phone number in E.164: +, a country code not starting with 0,
// 8 to 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// NormalizePhone accepts an E.164 number, ignoring spaces, dashes, dots
// and parentheses people type between digits.
func NormalizePhone(in string) (string, bool) {
	p := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, strings.TrimSpace(in))
	return p, len(in) <= 40 && e164.MatchString(p)
}

// PhoneInput is the body of POST /me/phone.
type PhoneInput struct {
	Phone string `json:"phone"`
}

// CodeInput is the body of POST /me/phone/verify.
type CodeInput struct {
	Code string `json:"code"`
}

func codeHash(userID int64, phone, code string) []byte {
	h := sha256.Sum256([]byte(strconv.FormatInt(userID, 10) + "|" + phone + "|" + code))
	return h[:]
}

// SetPhone stores the caller's new, unverified phone and texts it a
// six-digit code: no other message goes to the number until the code is
// entered (VerifyPhone). A number that replied STOP is refused, as is a
// new code within CodeInterval of the last. If the code cannot be sent,
// nothing is written.
func (s *Store) SetPhone(ctx context.Context, p auth.Principal, in PhoneInput) (Preferences, error) {
	if p.ClocksOnly() {
		return Preferences{}, auth.ErrForbidden
	}
	phone, ok := NormalizePhone(in.Phone)
	if !ok {
		return Preferences{}, apperr.Field("phone", "must be a phone number in international format, such as +14165550123")
	}
	if s.SMS == nil {
		return Preferences{}, apperr.New(apperr.Unavailable, "text messages are not configured on this server")
	}
	if stopped, err := s.Stopped(ctx, phone); err != nil {
		return Preferences{}, err
	} else if stopped {
		return Preferences{}, apperr.New(apperr.Conflict, "this number replied STOP to our messages; reply START from it first")
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return Preferences{}, err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	if err := s.codeInterval(ctx, s.DB, p.UserID, s.now()); err != nil {
		return Preferences{}, err
	}
	// The code goes out before anything is written: a failed send leaves
	// nothing behind, and the dev mailbox's SQLite write cannot wait on
	// this transaction's lock. A code whose write then fails never works.
	if err := s.SMS.Send(ctx, phone, "CrumbCommander code: "+code+". It expires in 10 minutes. Not you? Ignore this."); err != nil {
		return Preferences{}, fmt.Errorf("notify: send code (%v): %w", err,
			&apperr.Error{Code: apperr.Unavailable, Message: "the code could not be sent; try again later", RetryAfter: time.Minute})
	}
	var out Preferences
	err = s.Writer.Do(ctx, func(tx *outbox.Tx) error {
		now := tx.Now()
		if err := s.codeInterval(ctx, tx, p.UserID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM phone_codes WHERE user_id = ?`, p.UserID); err != nil {
			return fmt.Errorf("notify: phone code: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO phone_codes (user_id, phone, code_hash, attempts, expires_at, created_at) VALUES (?, ?, ?, 0, ?, ?)`,
			p.UserID, phone, codeHash(p.UserID, phone, code), now.Add(CodeTTL), now); err != nil {
			return fmt.Errorf("notify: phone code: %w", err)
		}
		if err := s.ensureSettings(ctx, tx, p.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notification_settings SET phone = ?, phone_verified_at = NULL, updated_at = ? WHERE user_id = ?`,
			phone, now, p.UserID); err != nil {
			return fmt.Errorf("notify: set phone: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "phone.set", Entity: "user", EntityID: p.UserID, Detail: map[string]string{"phone": maskPhone(phone)}})
		out, err = s.preferences(ctx, tx, p.UserID)
		return err
	})
	return out, err
}

// codeInterval refuses a new code within CodeInterval of the last one.
func (s *Store) codeInterval(ctx context.Context, q querier, userID int64, now time.Time) error {
	var last time.Time
	err := q.QueryRowContext(ctx, `SELECT created_at FROM phone_codes WHERE user_id = ?`, userID).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: phone code: %w", err)
	}
	if wait := CodeInterval - now.Sub(last); wait > 0 {
		return &apperr.Error{Code: apperr.RateLimited, Message: "a code was sent less than a minute ago; wait before asking again", RetryAfter: wait}
	}
	return nil
}

// VerifyPhone checks the code texted to the caller's phone. A wrong code
// counts against MaxCodeAttempts (the count commits even though the answer
// is an error); after that, or after CodeTTL, the code is gone.
func (s *Store) VerifyPhone(ctx context.Context, p auth.Principal, in CodeInput) (Preferences, error) {
	if p.ClocksOnly() {
		return Preferences{}, auth.ErrForbidden
	}
	code := strings.TrimSpace(in.Code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return Preferences{}, apperr.Field("code", "must be the six digits we texted you")
	}
	var out Preferences
	var answer error
	err := s.Writer.Do(ctx, func(tx *outbox.Tx) error {
		answer = nil
		var phone string
		var hash []byte
		var attempts int
		var expires time.Time
		err := tx.QueryRowContext(ctx, `SELECT phone, code_hash, attempts, expires_at FROM phone_codes WHERE user_id = ?`+tx.DB.ForUpdate(), p.UserID).
			Scan(&phone, &hash, &attempts, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			answer = apperr.New(apperr.NotFound, "no code is waiting; ask for a new one")
			return nil
		case err != nil:
			return fmt.Errorf("notify: verify phone: %w", err)
		case !tx.Now().Before(expires) || attempts >= MaxCodeAttempts:
			answer = apperr.New(apperr.Gone, "this code has expired or was tried too often; ask for a new one")
			return nil
		}
		if subtle.ConstantTimeCompare(hash, codeHash(p.UserID, phone, code)) != 1 {
			if _, err := tx.ExecContext(ctx, `UPDATE phone_codes SET attempts = attempts + 1 WHERE user_id = ?`, p.UserID); err != nil {
				return fmt.Errorf("notify: verify phone: %w", err)
			}
			answer = apperr.Field("code", fmt.Sprintf("is wrong (%d tries left)", MaxCodeAttempts-attempts-1))
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM phone_codes WHERE user_id = ?`, p.UserID); err != nil {
			return fmt.Errorf("notify: verify phone: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notification_settings SET phone_verified_at = ?, updated_at = ? WHERE user_id = ? AND phone = ?`,
			tx.Now(), tx.Now(), p.UserID, phone); err != nil {
			return fmt.Errorf("notify: verify phone: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "phone.verify", Entity: "user", EntityID: p.UserID, Detail: map[string]string{"phone": maskPhone(phone)}})
		out, err = s.preferences(ctx, tx, p.UserID)
		return err
	})
	if err != nil {
		return Preferences{}, err
	}
	return out, answer
}

// DeletePhone forgets the caller's phone (and any code waiting).
func (s *Store) DeletePhone(ctx context.Context, p auth.Principal) (Preferences, error) {
	if p.ClocksOnly() {
		return Preferences{}, auth.ErrForbidden
	}
	var out Preferences
	err := s.Writer.Do(ctx, func(tx *outbox.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM phone_codes WHERE user_id = ?`, p.UserID); err != nil {
			return fmt.Errorf("notify: delete phone: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notification_settings SET phone = NULL, phone_verified_at = NULL, updated_at = ? WHERE user_id = ?`,
			tx.Now(), p.UserID); err != nil {
			return fmt.Errorf("notify: delete phone: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "phone.delete", Entity: "user", EntityID: p.UserID})
		var err error
		out, err = s.preferences(ctx, tx, p.UserID)
		return err
	})
	return out, err
}

// maskPhone keeps the country code and the last two digits (audit detail).
func maskPhone(p string) string {
	if len(p) < 6 {
		return "+…"
	}
	return p[:2] + strings.Repeat("•", len(p)-4) + p[len(p)-2:]
}

// Stopped reports whether phone replied STOP (and not START since).
func (s *Store) Stopped(ctx context.Context, phone string) (bool, error) {
	return s.stopped(ctx, s.DB, phone)
}

func (s *Store) stopped(ctx context.Context, q querier, phone string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_optouts WHERE phone = ?`, phone).Scan(&n); err != nil {
		return false, fmt.Errorf("notify: sms opt-out: %w", err)
	}
	return n > 0, nil
}
