package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestLinks: a link works for its purpose only, until it expires; a
// once-only link is refused after its first use, and a use whose
// transaction rolls back leaves it usable.
func TestLinks(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testutil.NewClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
		w := outbox.NewWriter(d, clock.Now)
		if _, err := d.ExecContext(ctx, `INSERT INTO users (id, email, password_hash, first_name, last_name, role, max_hours_per_week, version, created_at, updated_at)
			VALUES (7, 'a@example.com', 'x', 'A', 'B', 'employee', 40, 1, ?, ?)`, clock.Now(), clock.Now()); err != nil {
			t.Fatal(err)
		}
		issue := func(purpose string, ttl time.Duration) string {
			var tok string
			if err := w.Do(ctx, func(tx *outbox.Tx) (err error) {
				tok, err = auth.IssueLink(ctx, tx, purpose, 7, "week:2026-12-07", ttl)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, auth.LinkPrefix) {
				t.Fatalf("token %q", tok)
			}
			return tok
		}
		use := func(tok, purpose string, once bool, fail error) (auth.Link, error) {
			var l auth.Link
			err := w.Do(ctx, func(tx *outbox.Tx) (err error) {
				if l, err = auth.UseLink(ctx, tx, tok, purpose, once); err != nil {
					return err
				}
				return fail
			})
			return l, err
		}
		wantCode := func(err error, code apperr.Code) {
			t.Helper()
			if !apperr.Is(err, code) {
				t.Fatalf("got %v, want %s", err, code)
			}
		}

		ack := issue("schedule.ack", 48*time.Hour)
		_, err := use(ack, "unsubscribe", true, nil)
		wantCode(err, apperr.NotFound)
		_, err = use("crumbl_nothing", "schedule.ack", true, nil)
		wantCode(err, apperr.NotFound)
		_, err = use("crumb_session-like", "schedule.ack", true, nil)
		wantCode(err, apperr.NotFound)

		_, err = use(ack, "schedule.ack", true, apperr.New(apperr.Conflict, "the action failed"))
		wantCode(err, apperr.Conflict)
		l, err := use(ack, "schedule.ack", true, nil)
		if err != nil || l.UserID != 7 || l.Subject != "week:2026-12-07" || l.Purpose != "schedule.ack" {
			t.Fatalf("use after a rolled-back use: %+v %v", l, err)
		}
		_, err = use(ack, "schedule.ack", true, nil)
		wantCode(err, apperr.Gone)

		unsub := issue("unsubscribe", time.Hour)
		for range 2 {
			if _, err := use(unsub, "unsubscribe", false, nil); err != nil {
				t.Fatalf("a link that is not once-only works again: %v", err)
			}
		}
		clock.Advance(time.Hour)
		_, err = use(unsub, "unsubscribe", false, nil)
		wantCode(err, apperr.Gone)

		if err := w.Do(ctx, func(tx *outbox.Tx) error {
			_, err := auth.IssueLink(ctx, tx, "unsubscribe", 7, "", 0)
			return err
		}); err == nil {
			t.Fatal("a link without a lifetime was issued")
		}

		if err := auth.DeleteExpiredLinks(ctx, d, clock.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.QueryRowContext(ctx, "SELECT COUNT(*) FROM links").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d links left after the expired one was deleted (%v), want 1", n, err)
		}
	})
}
