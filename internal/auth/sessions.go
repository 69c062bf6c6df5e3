package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// TokenPrefix starts every session token, so that leaked tokens are easy to
// recognise in secret scanners.
const TokenPrefix = "crumb_"

// EventSessionRevoked tells hubs to close the sockets of a session (or, with
// session_id 0, of every session of the user).
const EventSessionRevoked = "session.revoked"

// SessionRevoked is the payload of EventSessionRevoked.
type SessionRevoked struct {
	UserID    int64 `json:"user_id"`
	SessionID int64 `json:"session_id,omitempty"`
	// KeepSessionID survives a revoke-all (the session that changed the password).
	KeepSessionID int64 `json:"keep_session_id,omitempty"`
}

// ErrUnauthenticated is the 401 for a missing, expired or revoked token.
var ErrUnauthenticated = apperr.New(apperr.Unauthenticated, "sign in to continue")

// Sessions stores hashed session tokens.
type Sessions struct {
	W   *outbox.Writer
	TTL time.Duration

	cache principalCache
}

// principalCacheTTL bounds how long a node keeps answering from memory for
// a session another node revoked; the node that revokes forgets at once.
// It spares every request two queries.
const principalCacheTTL = time.Second

// principalCacheMax caps the cache; past it the cache starts over.
const principalCacheMax = 50_000

type cachedPrincipal struct {
	p     Principal
	until time.Time // wall clock: the injected test clock may stand still
}

// principalCache maps a token hash to the principal it resolved to.
type principalCache struct {
	mu sync.Mutex
	m  map[string]cachedPrincipal
}

func (c *principalCache) get(key string) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Now().After(e.until) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *principalCache) put(key string, p Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= principalCacheMax {
		c.m = make(map[string]cachedPrincipal)
	}
	c.m[key] = cachedPrincipal{p: p, until: time.Now().Add(principalCacheTTL)}
}

// forget drops the entries of a user (every session when sessionID is 0).
func (c *principalCache) forget(userID, sessionID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.p.UserID == userID && (sessionID == 0 || e.p.SessionID == sessionID) {
			delete(c.m, k)
		}
	}
}

// ForgetUser makes this node look a user's sessions up again, after a
// change to their role, departments, password or active flag commits.
// A nil Sessions (a service built without sign-in, in tests) has nothing to forget.
func (s *Sessions) ForgetUser(userID int64) {
	if s != nil {
		s.cache.forget(userID, 0)
	}
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// NewToken returns a fresh random session token.
func NewToken() (string, error) { return randomToken(TokenPrefix) }

// randomToken returns prefix and 32 random bytes, URL-safe.
func randomToken(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: token: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Create starts a session for userID and returns its token. Only the hash of
// the token is stored.
func (s *Sessions) Create(ctx context.Context, tx *outbox.Tx, userID int64, ip, userAgent string) (string, error) {
	token, err := NewToken()
	if err != nil {
		return "", err
	}
	if len(userAgent) > 255 {
		userAgent = userAgent[:255]
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?)`, hashToken(token), userID, tx.Now(), tx.Now().Add(s.TTL), ip, userAgent)
	if err != nil {
		return "", fmt.Errorf("auth: create session: %w", err)
	}
	return token, nil
}

// Lookup returns the principal of a valid token.
func (s *Sessions) Lookup(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return Principal{}, ErrUnauthenticated
	}
	key := string(hashToken(token))
	if p, ok := s.cache.get(key); ok {
		return p, nil
	}
	var p Principal
	var role string
	var active bool
	err := s.W.DB.QueryRowContext(ctx, `SELECT s.id, s.user_id, u.role, u.active, s.expires_at FROM sessions s
		JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?`,
		hashToken(token), s.W.Clock().UTC()).Scan(&p.SessionID, &p.UserID, &role, &active, &p.Expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: lookup session: %w", err)
	}
	p.Role = Role(role)
	p.DeptIDs, err = DeptIDs(ctx, s.W.DB, p.UserID)
	if err != nil {
		return Principal{}, err
	}
	s.cache.put(key, p)
	return p, nil
}

// DeptIDs returns the departments of a person, ascending.
func DeptIDs(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, userID int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT department_id FROM user_departments WHERE user_id = ? ORDER BY department_id", userID)
	if err != nil {
		return nil, fmt.Errorf("auth: departments: %w", err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("auth: departments: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Revoke ends one session; its token stops working and its sockets close.
func (s *Sessions) Revoke(ctx context.Context, p Principal) error {
	defer s.cache.forget(p.UserID, p.SessionID)
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", tx.Now(), p.SessionID); err != nil {
			return fmt.Errorf("auth: revoke session: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "logout", Entity: "session", EntityID: p.SessionID})
		tx.Emit(outbox.UserTopic(p.UserID), EventSessionRevoked, SessionRevoked{UserID: p.UserID, SessionID: p.SessionID})
		return nil
	})
}

// RevokeUserTx ends every session of userID except keep (0 keeps none),
// inside the caller's transaction, and tells hubs to close the sockets.
func RevokeUserTx(ctx context.Context, tx *outbox.Tx, userID, keep int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL",
		tx.Now(), userID, keep); err != nil {
		return fmt.Errorf("auth: revoke sessions: %w", err)
	}
	tx.Emit(outbox.UserTopic(userID), EventSessionRevoked, SessionRevoked{UserID: userID, KeepSessionID: keep})
	return nil
}

// DeleteExpired removes sessions that expired or were revoked before cutoff.
func (s *Sessions) DeleteExpired(ctx context.Context, cutoff time.Time) error {
	_, err := s.W.DB.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", cutoff.UTC(), cutoff.UTC())
	if err != nil {
		return fmt.Errorf("auth: delete expired sessions: %w", err)
	}
	return nil
}
