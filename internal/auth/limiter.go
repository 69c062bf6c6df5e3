package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Login throttling. Failures are counted per IP, per (account, IP) and per
// account. The per-account limit, which is what an attacker could use to lock
// a real user out, does not apply to a browser that has signed in to that
// account before (a "known device" cookie, OWASP's device-cookie pattern),
// so the owner can still sign in while the account is under attack.
const (
	LimitWindow         = 15 * time.Minute
	LimitPerIP          = 30
	LimitPerAccountIP   = 5
	LimitPerAccount     = 20
	knownDeviceLifetime = 90 * 24 * time.Hour
)

// LoginLimiter counts failed sign-ins in Redis, shared by every node.
type LoginLimiter struct {
	R     redis.UniversalClient
	Clock func() time.Time
}

func (l *LoginLimiter) win() Window { return Window{R: l.R, Clock: l.Clock, Size: LimitWindow} }

func (l *LoginLimiter) keys(ip, email string) (ipKey, acctIPKey, acctKey string) {
	email = strings.ToLower(email)
	return "crumb:login:ip:" + ip, "crumb:login:acctip:" + email + ":" + ip, "crumb:login:acct:" + email
}

// Check returns how long the caller must wait, or 0 when a sign-in attempt
// is allowed. deviceID is the caller's known-device cookie, possibly empty.
func (l *LoginLimiter) Check(ctx context.Context, ip, email, deviceID string) (time.Duration, error) {
	ipKey, acctIPKey, acctKey := l.keys(ip, email)
	n, err := l.win().Counts(ctx, ipKey, acctIPKey, acctKey)
	if err != nil {
		return 0, fmt.Errorf("auth: login limiter: %w", err)
	}
	wait := l.win().Wait()
	if n[0] >= LimitPerIP || n[1] >= LimitPerAccountIP {
		return wait, nil
	}
	if n[2] >= LimitPerAccount {
		known, err := l.isKnownDevice(ctx, email, deviceID)
		if err != nil {
			return 0, err
		}
		if !known {
			return wait, nil
		}
	}
	return 0, nil
}

// Failed records a failed attempt.
func (l *LoginLimiter) Failed(ctx context.Context, ip, email string) error {
	ipKey, acctIPKey, acctKey := l.keys(ip, email)
	if err := l.win().Add(ctx, ipKey, acctIPKey, acctKey); err != nil {
		return fmt.Errorf("auth: login limiter: %w", err)
	}
	return nil
}

// Succeeded clears the (account, IP) counter and remembers the device.
func (l *LoginLimiter) Succeeded(ctx context.Context, ip, email, deviceID string) error {
	_, acctIPKey, _ := l.keys(ip, email)
	acctIPKey = l.win().key(acctIPKey)
	_, err := l.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, acctIPKey)
		if deviceID != "" {
			k := deviceKey(email, deviceID)
			p.Set(ctx, k, "1", knownDeviceLifetime)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: login limiter: %w", err)
	}
	return nil
}

func deviceKey(email, deviceID string) string {
	return "crumb:login:device:" + strings.ToLower(email) + ":" + deviceID
}

func (l *LoginLimiter) isKnownDevice(ctx context.Context, email, deviceID string) (bool, error) {
	if deviceID == "" || len(deviceID) > 64 {
		return false, nil
	}
	n, err := l.R.Exists(ctx, deviceKey(email, deviceID)).Result()
	if err != nil {
		return false, fmt.Errorf("auth: login limiter: %w", err)
	}
	return n == 1, nil
}
