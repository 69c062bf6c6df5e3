package notify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestClaims: a notification is claimed once; a second delivery waits
// (ErrInFlight) while the first may still be sending, takes an unsent claim
// over once it is older than ClaimTTL (its delivery died between claim and
// send), and skips it once it was sent.
func TestClaims(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testutil.NewClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
		s := &notify.Store{DB: d, Clock: clock.Now}
		if _, err := d.ExecContext(ctx, `INSERT INTO users (id, email, password_hash, first_name, last_name, role, max_hours_per_week, version, created_at, updated_at)
			VALUES (7, 'p@example.com', 'x', 'P', 'Q', 'employee', 40, 1, ?, ?)`, clock.Now(), clock.Now()); err != nil {
			t.Fatal(err)
		}
		claim := func() error { return s.Claim(ctx, "seq:1", 7, notify.ChannelEmail, "shift.assigned") }
		if err := claim(); err != nil {
			t.Fatal(err)
		}
		if err := claim(); !errors.Is(err, notify.ErrInFlight) {
			t.Fatalf("a second delivery during the send: %v, want ErrInFlight", err)
		}
		clock.Advance(notify.ClaimTTL - time.Second)
		if err := claim(); !errors.Is(err, notify.ErrInFlight) {
			t.Fatalf("just before the claim expires: %v, want ErrInFlight", err)
		}
		clock.Advance(2 * time.Second)
		if err := claim(); err != nil {
			t.Fatalf("taking over an expired claim: %v", err)
		}
		if err := claim(); !errors.Is(err, notify.ErrInFlight) {
			t.Fatalf("after the takeover: %v, want ErrInFlight", err)
		}
		if err := s.MarkSent(ctx, "seq:1", 7, notify.ChannelEmail); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if err := claim(); !errors.Is(err, notify.ErrAlreadySent) {
			t.Fatalf("after the send: %v, want ErrAlreadySent", err)
		}
		if n, err := s.Count(ctx, "seq:1"); err != nil || n != 1 {
			t.Fatalf("%d notifications (%v), want 1", n, err)
		}
	})
}
