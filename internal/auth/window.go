package auth

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/apperr"
)

// Window counts attempts per key in fixed time windows kept in Redis, so that
// every node shares the counts. It is the one throttling primitive: the login
// limiter, the kiosk PIN limiter and the bakery count limiter are built on it.
// A key's counter expires a minute after its window ends.
type Window struct {
	R     redis.UniversalClient
	Clock func() time.Time
	Size  time.Duration
}

func (w Window) now() time.Time {
	if w.Clock == nil {
		return time.Now()
	}
	return w.Clock()
}

func (w Window) slot() int64 { return w.now().Unix() / int64(w.Size/time.Second) }

// key is the Redis key of name in the current window.
func (w Window) key(name string) string { return name + ":" + strconv.FormatInt(w.slot(), 10) }

// Wait is how long until the current window ends.
func (w Window) Wait() time.Duration {
	size := int64(w.Size / time.Second)
	now := w.now().Unix()
	return time.Duration((now/size+1)*size-now) * time.Second
}

// Counts returns the current window's count of each name.
func (w Window) Counts(ctx context.Context, names ...string) ([]int, error) {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = w.key(n)
	}
	vals, err := w.R.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("auth: rate window: %w", err)
	}
	out := make([]int, len(vals))
	for i, v := range vals {
		s, _ := v.(string)
		out[i], _ = strconv.Atoi(s)
	}
	return out, nil
}

// Add counts one attempt against each name.
func (w Window) Add(ctx context.Context, names ...string) error {
	_, err := w.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, n := range names {
			k := w.key(n)
			p.Incr(ctx, k)
			p.Expire(ctx, k, w.Size+time.Minute)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: rate window: %w", err)
	}
	return nil
}

// Clear forgets the current window's count of each name.
func (w Window) Clear(ctx context.Context, names ...string) error {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = w.key(n)
	}
	if err := w.R.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("auth: rate window: %w", err)
	}
	return nil
}

// Take counts one attempt against name and returns a 429 rate_limited error
// (with Retry-After) when that makes more than limit in the window.
func (w Window) Take(ctx context.Context, name string, limit int, what string) error {
	k := w.key(name)
	var incr *redis.IntCmd
	_, err := w.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		p.Expire(ctx, k, w.Size+time.Minute)
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: rate window: %w", err)
	}
	if incr.Val() > int64(limit) {
		return RateLimited(what, w.Wait())
	}
	return nil
}

// RateLimited is the 429 telling the caller to wait.
func RateLimited(what string, wait time.Duration) error {
	e := apperr.New(apperr.RateLimited, "too many %s; try again in %d seconds", what, int((wait+time.Second-1)/time.Second))
	e.RetryAfter = wait
	return e
}
