package demo

import (
	"context"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func TestSeedShifts(t *testing.T) {
	d := testutil.NewDB(t, db.SQLite)
	ctx := context.Background()
	w := outbox.NewWriter(d, nil)
	ppl := &people.Service{W: w}
	if err := ppl.EnsureStore(ctx, "Demo", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	res, err := Seed(ctx, ppl, NewPassword())
	if err != nil {
		t.Fatal(err)
	}
	// A week with a DST change in it must seed cleanly too.
	if err := SeedShifts(ctx, &roster.Service{W: w, People: ppl}, res, time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var published, drafts int
	d.QueryRowContext(ctx, "SELECT COUNT(*) FROM shifts WHERE status = 'published'").Scan(&published)
	d.QueryRowContext(ctx, "SELECT COUNT(*) FROM shifts WHERE status = 'draft'").Scan(&drafts)
	if published < 100 || drafts < 100 {
		t.Errorf("published %d, drafts %d", published, drafts)
	}
}
