package demo

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// seeded is the demo people on d, with the writer and the people service.
func seeded(t *testing.T, d *db.DB) (*outbox.Writer, *people.Service, *Result) {
	t.Helper()
	ctx := context.Background()
	w := outbox.NewWriter(d, nil)
	ppl := &people.Service{W: w, Passwords: testutil.CheapHasher()}
	if err := ppl.EnsureStore(ctx, "Demo", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	res, err := Seed(ctx, ppl, NewPassword())
	if err != nil {
		t.Fatal(err)
	}
	return w, ppl, res
}

func TestSeedShifts(t *testing.T) {
	d := testutil.NewDB(t, db.SQLite)
	ctx := context.Background()
	w, ppl, res := seeded(t, d)
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

// The demo has a kiosk sign-in and kiosk PINs for the listed people, and
// the kiosk takes them.
func TestSeedKioskAndPINs(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w, ppl, res := seeded(t, d)
		_, rdb := testutil.Redis(t)
		att := attendance.New(w, ppl, attendance.SQLShifts{}, redis.NewClient(&redis.Options{Addr: testutil.RedisAddr(), DB: rdb}))
		if err := SeedPINs(ctx, att, res); err != nil {
			t.Fatal(err)
		}
		var kiosk *Login
		pins := 0
		for i, l := range res.Logins {
			if l.Role == "kiosk" {
				kiosk = &res.Logins[i]
			}
			if l.PIN != "" {
				pins++
				if why := attendance.ValidatePIN(l.PIN); why != "" {
					t.Errorf("%s: PIN %s %s", l.Email, l.PIN, why)
				}
			}
		}
		if kiosk == nil || kiosk.PIN != "" {
			t.Fatalf("kiosk login %+v", kiosk)
		}
		if pins < 8 {
			t.Errorf("%d people with PINs, want the managers and the listed employees", pins)
		}
		var stored int
		d.QueryRowContext(ctx, "SELECT COUNT(*) FROM user_pins").Scan(&stored)
		if stored != pins {
			t.Errorf("%d PINs stored, %d printed", stored, pins)
		}
		// The kiosk clocks a listed employee in with the printed PIN.
		device := auth.Principal{UserID: kiosk.ID, Role: auth.RoleKiosk}
		for _, l := range res.Logins {
			if l.Role != "employee" {
				continue
			}
			if _, err := att.Kiosk(ctx, device, attendance.ActClockIn, attendance.KioskInput{EmployeeID: l.ID, PIN: l.PIN}); err != nil {
				t.Fatalf("kiosk clock-in of %s with the printed PIN: %v", l.Email, err)
			}
			break
		}
	})
}
