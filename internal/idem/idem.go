// Package idem stores Idempotency-Key results so that a retried POST replays
// the first response instead of doing the work twice.
package idem

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
)

// MaxKeyLen is the longest key accepted (docs/api.md).
const MaxKeyLen = 255

// Retention is how long keys are remembered.
const Retention = 24 * time.Hour

// Store is the idempotency_keys table.
type Store struct {
	DB    *db.DB
	Clock func() time.Time
}

// Result is a stored response.
type Result struct {
	Status int
	Body   []byte
}

// Hash fingerprints a request (method, path and body).
func Hash(method, path string, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return h.Sum(nil)
}

// Begin claims key for userID. It returns a stored result to replay (done
// true), or claims the key so that the caller runs the request and then
// calls Finish or Abandon.
func (s *Store) Begin(ctx context.Context, userID int64, key string, hash []byte) (res Result, done bool, err error) {
	_, err = s.DB.ExecContext(ctx, "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, created_at) VALUES (?, ?, ?, 0, ?)",
		userID, key, hash, s.Clock().UTC())
	if err == nil {
		return Result{}, false, nil
	}
	if !db.IsDuplicate(err) {
		return Result{}, false, fmt.Errorf("idem: begin: %w", err)
	}
	var stored []byte
	var status int
	var body sql.NullString
	err = s.DB.QueryRowContext(ctx, "SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = ? AND idem_key = ?", userID, key).
		Scan(&stored, &status, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return Result{}, false, apperr.New(apperr.Conflict, "a request with this Idempotency-Key is being processed; retry shortly")
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("idem: lookup: %w", err)
	}
	if string(stored) != string(hash) {
		return Result{}, false, apperr.New(apperr.ValidationFailed, "this Idempotency-Key was used with a different request")
	}
	if status == 0 {
		return Result{}, false, apperr.New(apperr.Conflict, "a request with this Idempotency-Key is being processed; retry shortly")
	}
	return Result{Status: status, Body: []byte(body.String)}, true, nil
}

// Finish stores the response of a claimed key.
func (s *Store) Finish(ctx context.Context, userID int64, key string, r Result) error {
	_, err := s.DB.ExecContext(ctx, "UPDATE idempotency_keys SET status = ?, body = ? WHERE user_id = ? AND idem_key = ?",
		r.Status, string(r.Body), userID, key)
	if err != nil {
		return fmt.Errorf("idem: finish: %w", err)
	}
	return nil
}

// Abandon releases a claimed key whose request failed in a way that may be
// retried (server errors), so that a retry runs again.
func (s *Store) Abandon(ctx context.Context, userID int64, key string) error {
	_, err := s.DB.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND status = 0", userID, key)
	if err != nil {
		return fmt.Errorf("idem: abandon: %w", err)
	}
	return nil
}

// DeleteOlderThan forgets keys past retention.
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time) error {
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", cutoff.UTC()); err != nil {
		return fmt.Errorf("idem: cleanup: %w", err)
	}
	return nil
}
