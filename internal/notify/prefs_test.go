package notify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// halifax is the store's zone in these tests (UTC-4 in December).
var halifax, _ = time.LoadLocation("America/Halifax")

type env struct {
	d     *db.DB
	clock *testutil.Clock
	s     *notify.Store
	box   *mail.DevBox
	p     auth.Principal
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	clock := testutil.NewClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	s := &notify.Store{DB: d, Clock: clock.Now, Writer: outbox.NewWriter(d, clock.Now), SMS: &sms.DevBox{DB: d, Clock: clock.Now},
		Zone: func(context.Context) (*time.Location, error) { return halifax, nil }}
	if _, err := d.ExecContext(context.Background(), `INSERT INTO users (id, email, password_hash, first_name, last_name, role, active, max_hours_per_week, version, created_at, updated_at)
		VALUES (7, 'p@example.com', 'x', 'P', 'Q', 'employee', ?, 40, 1, ?, ?)`, true, clock.Now(), clock.Now()); err != nil {
		t.Fatal(err)
	}
	return &env{d: d, clock: clock, s: s, box: &mail.DevBox{DB: d}, p: auth.Principal{UserID: 7, Role: auth.RoleEmployee}}
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.d.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBadPreferencePayloads: every malformed patch is a validation error
// naming the field, and nothing is written.
func TestBadPreferencePayloads(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tests := []struct {
			desc  string
			body  string
			field string
		}{
			{"unknown kind", `{"choices":{"gossip":{"email":false}}}`, "choices.gossip"},
			{"unknown channel", `{"choices":{"shift":{"pigeon":true}}}`, "choices.shift.pigeon"},
			{"quiet hours not an object", `{"quiet_hours":"22-7"}`, "quiet_hours"},
			{"quiet hours bad start", `{"quiet_hours":{"start":"25:00","end":"07:00"}}`, "quiet_hours.start"},
			{"quiet hours bad end", `{"quiet_hours":{"start":"22:00","end":"7am"}}`, "quiet_hours.end"},
			{"quiet hours empty window", `{"quiet_hours":{"start":"22:00","end":"22:00"}}`, "quiet_hours.end"},
			{"quiet hours unknown field", `{"quiet_hours":{"start":"22:00","end":"07:00","tz":"UTC"}}`, "quiet_hours"},
			{"good choice beside a bad one", `{"choices":{"swap":{"email":false},"shift":{"fax":true}}}`, "choices.shift.fax"},
		}
		for _, tc := range tests {
			var in notify.PreferencesPatch
			if err := json.Unmarshal([]byte(tc.body), &in); err != nil {
				t.Fatalf("%s: %v", tc.desc, err)
			}
			_, err := e.s.SetPreferences(context.Background(), e.p, in)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.ValidationFailed || ae.Fields[tc.field] == "" {
				t.Errorf("%s: %v, want a validation error on %s", tc.desc, err, tc.field)
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM notification_choices`) + e.count(t, `SELECT COUNT(*) FROM notification_settings`) +
			e.count(t, `SELECT COUNT(*) FROM audit_log`); n != 0 {
			t.Errorf("%d rows written by refused patches", n)
		}
		if _, err := e.s.SetPreferences(context.Background(), auth.Principal{UserID: 7, Role: auth.RoleKiosk}, notify.PreferencesPatch{}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("kiosk: %v", err)
		}
	})
}

// TestPreferencesRoundTrip: defaults, a change per kind and channel, quiet
// hours set and removed.
func TestPreferencesRoundTrip(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		p, err := e.s.Preferences(ctx, e.p)
		if err != nil {
			t.Fatal(err)
		}
		if !p.EmailEnabled || !p.Choices["swap"]["email"] || p.Choices["swap"]["sms"] || !p.Choices["shift"]["sms"] || p.QuietHours != nil || p.Timezone != "America/Halifax" {
			t.Errorf("defaults: %+v", p)
		}
		var in notify.PreferencesPatch
		json.Unmarshal([]byte(`{"choices":{"swap":{"email":false,"push":false}},"quiet_hours":{"start":"22:00","end":"07:00"}}`), &in)
		if p, err = e.s.SetPreferences(ctx, e.p, in); err != nil {
			t.Fatal(err)
		}
		if p.Choices["swap"]["email"] || p.Choices["swap"]["push"] || !p.Choices["swap"]["app"] || p.QuietHours == nil || *p.QuietHours != (notify.QuietHours{Start: "22:00", End: "07:00"}) {
			t.Errorf("after the patch: %+v", p)
		}
		json.Unmarshal([]byte(`{"quiet_hours":null,"choices":{"swap":{"email":true}}}`), &in)
		if p, err = e.s.SetPreferences(ctx, e.p, in); err != nil || p.QuietHours != nil || !p.Choices["swap"]["email"] || p.Choices["swap"]["push"] {
			t.Errorf("after removing quiet hours: %+v %v", p, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'preferences.update'`); n != 2 {
			t.Errorf("%d audit rows", n)
		}
	})
}

// TestDecide: suppressed by preference, switch, phone and STOP; deferred in
// quiet hours to their end, in the store's zone; urgent kinds go at once.
func TestDecide(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var in notify.PreferencesPatch
		json.Unmarshal([]byte(`{"choices":{"request":{"push":false}},"quiet_hours":{"start":"22:00","end":"07:00"}}`), &in)
		if _, err := e.s.SetPreferences(ctx, e.p, in); err != nil {
			t.Fatal(err)
		}
		night := time.Date(2026, 12, 4, 3, 0, 0, 0, halifax) // 03:00 in the store
		late := time.Date(2026, 12, 3, 23, 30, 0, 0, halifax)
		day := time.Date(2026, 12, 4, 12, 0, 0, 0, halifax)
		morning := time.Date(2026, 12, 4, 7, 0, 0, 0, halifax).UTC()
		tests := []struct {
			desc string
			ask  notify.Ask
			want notify.Decision
		}{
			{"day, on", notify.Ask{Kind: "swap", Channel: "email", Now: day}, notify.Decision{Action: notify.Send}},
			{"kind off on this channel", notify.Ask{Kind: "request", Channel: "push", Now: day}, notify.Decision{Action: notify.Suppress, Reason: notify.ReasonPreference}},
			{"sms without a phone", notify.Ask{Kind: "shift", Channel: "sms", Now: day}, notify.Decision{Action: notify.Suppress, Reason: notify.ReasonNoPhone}},
			{"quiet hours, after midnight", notify.Ask{Kind: "swap", Channel: "email", Now: night}, notify.Decision{Action: notify.Defer, At: morning}},
			{"quiet hours, before midnight", notify.Ask{Kind: "timeoff", Channel: "push", Now: late}, notify.Decision{Action: notify.Defer, At: morning}},
			{"quiet hours end at 07:00 sharp", notify.Ask{Kind: "swap", Channel: "email", Now: morning}, notify.Decision{Action: notify.Send}},
			{"in-app is never deferred", notify.Ask{Kind: "swap", Channel: "app", Now: night}, notify.Decision{Action: notify.Send}},
			{"reminder is urgent", notify.Ask{Kind: "reminder", Channel: "email", Now: night}, notify.Decision{Action: notify.Send}},
			{"shift within 12 h is urgent", notify.Ask{Kind: "shift", Channel: "email", Now: night, Soonest: night.Add(5 * time.Hour)}, notify.Decision{Action: notify.Send}},
			{"shift in 3 days waits", notify.Ask{Kind: "shift", Channel: "email", Now: night, Soonest: night.Add(72 * time.Hour)}, notify.Decision{Action: notify.Defer, At: morning}},
			{"marked urgent", notify.Ask{Kind: "announcement", Channel: "email", Now: night, Urgent: true}, notify.Decision{Action: notify.Send}},
			{"report e-mail is not chosen about", notify.Ask{Kind: "report", Channel: "email", Now: night}, notify.Decision{Action: notify.Send}},
			{"no such person", notify.Ask{UserID: 99, Kind: "swap", Channel: "email", Now: day}, notify.Decision{Action: notify.Suppress, Reason: notify.ReasonGone}},
		}
		for _, tc := range tests {
			if tc.ask.UserID == 0 {
				tc.ask.UserID = 7
			}
			got, err := e.s.Decide(ctx, tc.ask)
			if err != nil || got.Action != tc.want.Action || got.Reason != tc.want.Reason || !got.At.Equal(tc.want.At) {
				t.Errorf("%s: %+v, %v; want %+v", tc.desc, got, err, tc.want)
			}
		}
		off := false
		e.s.SetPreferences(ctx, e.p, notify.PreferencesPatch{EmailEnabled: &off})
		if got, _ := e.s.Decide(ctx, notify.Ask{UserID: 7, Kind: "report", Channel: "email", Now: day}); got.Reason != notify.ReasonEmailOff {
			t.Errorf("e-mail switch off: %+v", got)
		}
		e.d.ExecContext(ctx, `UPDATE users SET active = ? WHERE id = 7`, false)
		if got, _ := e.s.Decide(ctx, notify.Ask{UserID: 7, Kind: "swap", Channel: "push", Now: day}); got.Reason != notify.ReasonInactive {
			t.Errorf("inactive: %+v", got)
		}
	})
}

// lastCode reads the code texted to phone from the dev mailbox.
func (e *env) lastCode(t *testing.T, phone string) string {
	t.Helper()
	msgs, err := e.box.List(context.Background(), phone, 0, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no text to %s: %v", phone, err)
	}
	_, rest, _ := strings.Cut(msgs[0].Text, "code: ")
	return rest[:6]
}

// TestPhoneVerification: invalid numbers are refused with nothing written;
// a code is texted, tried at most MaxCodeAttempts times, and asked for at
// most once a minute; the right code verifies; a number that sent STOP is
// refused.
func TestPhoneVerification(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		for _, bad := range []string{"", "5550123", "902-555-0123", "+0902555012", "+1", "+1902555012345678", "+1902abc0123", "tel:+19025550123", "+1 902 555 0123 ext 4"} {
			_, err := e.s.SetPhone(ctx, e.p, notify.PhoneInput{Phone: bad})
			if ae, ok := apperr.As(err); !ok || ae.Fields["phone"] == "" {
				t.Errorf("%q: %v, want a validation error on phone", bad, err)
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM notification_settings`) + e.count(t, `SELECT COUNT(*) FROM phone_codes`) + e.count(t, `SELECT COUNT(*) FROM mailbox`); n != 0 {
			t.Fatalf("%d rows written for invalid numbers", n)
		}
		const phone = "+19025550123"
		p, err := e.s.SetPhone(ctx, e.p, notify.PhoneInput{Phone: "+1 (902) 555-0123"})
		if err != nil || p.Phone != phone || p.PhoneVerified {
			t.Fatalf("set phone: %+v %v", p, err)
		}
		code := e.lastCode(t, phone)
		if _, err := e.s.SetPhone(ctx, e.p, notify.PhoneInput{Phone: phone}); !apperr.Is(err, apperr.RateLimited) {
			t.Errorf("a second code within a minute: %v", err)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for i := 0; i < notify.MaxCodeAttempts; i++ {
			if _, err := e.s.VerifyPhone(ctx, e.p, notify.CodeInput{Code: wrong}); !apperr.Is(err, apperr.ValidationFailed) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if _, err := e.s.VerifyPhone(ctx, e.p, notify.CodeInput{Code: code}); !apperr.Is(err, apperr.Gone) {
			t.Errorf("the right code after %d wrong ones: %v, want gone", notify.MaxCodeAttempts, err)
		}
		if _, err := e.s.VerifyPhone(ctx, e.p, notify.CodeInput{Code: "12ab56"}); !apperr.Is(err, apperr.ValidationFailed) {
			t.Errorf("malformed code: %v", err)
		}
		e.clock.Advance(notify.CodeInterval)
		if _, err := e.s.SetPhone(ctx, e.p, notify.PhoneInput{Phone: phone}); err != nil {
			t.Fatal(err)
		}
		code = e.lastCode(t, phone)
		e.clock.Advance(notify.CodeTTL)
		if _, err := e.s.VerifyPhone(ctx, e.p, notify.CodeInput{Code: code}); !apperr.Is(err, apperr.Gone) {
			t.Errorf("an expired code: %v", err)
		}
		if _, err := e.s.SetPhone(ctx, e.p, notify.PhoneInput{Phone: phone}); err != nil {
			t.Fatal(err)
		}
		if p, err = e.s.VerifyPhone(ctx, e.p, notify.CodeInput{Code: e.lastCode(t, phone)}); err != nil || !p.PhoneVerified {
			t.Fatalf("verify: %+v %v", p, err)
		}
		if got, _ := e.s.Phone(ctx, 7); got != phone {
			t.Errorf("verified phone %q", got)
		}
		if err := e.s.InboundSMS(ctx, "in-1", "+19025550199", "Stop please"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(notify.CodeInterval)
		if _, err := e.s.SetPhone(ctx, e.p, notify.PhoneInput{Phone: "+19025550199"}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("a number that sent STOP: %v", err)
		}
		if got, _ := e.s.Phone(ctx, 7); got != phone {
			t.Errorf("a refused number replaced the verified one: %q", got)
		}
	})
}

// TestUnsubscribeLink: the link turns its kind's e-mails off without
// signing in, with an audit row, as often as it is used; an unknown token
// is 404, an expired one 410.
func TestUnsubscribeLink(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		tok, err := e.s.IssueUnsubscribe(ctx, 7, notify.KindSwap)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			got, err := e.s.Unsubscribe(ctx, notify.UnsubscribeInput{Token: tok})
			if err != nil || got.Kind != notify.KindSwap || got.Channel != notify.ChannelEmail {
				t.Fatalf("use %d: %+v %v", i, got, err)
			}
		}
		p, _ := e.s.Preferences(ctx, e.p)
		if p.Choices["swap"]["email"] || !p.Choices["swap"]["push"] || !p.Choices["shift"]["email"] || !p.EmailEnabled {
			t.Errorf("after unsubscribing from swaps: %+v", p)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'preferences.unsubscribe' AND actor_id = 7`); n != 2 {
			t.Errorf("%d audit rows", n)
		}
		all, _ := e.s.IssueUnsubscribe(ctx, 7, "report")
		if _, err := e.s.Unsubscribe(ctx, notify.UnsubscribeInput{Token: all}); err != nil {
			t.Fatal(err)
		}
		if p, _ := e.s.Preferences(ctx, e.p); p.EmailEnabled {
			t.Error("a link for a kind no one chooses about turns every e-mail off")
		}
		if _, err := e.s.Unsubscribe(ctx, notify.UnsubscribeInput{Token: "crumbl_nope"}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown token: %v", err)
		}
		e.clock.Advance(notify.UnsubscribeTTL)
		if _, err := e.s.Unsubscribe(ctx, notify.UnsubscribeInput{Token: tok}); !apperr.Is(err, apperr.Gone) {
			t.Errorf("expired token: %v", err)
		}
	})
}

// TestDeliveryLog: the latest outcome per (ref, person, channel), failures
// counted, a sent row final; admins only; bad filters refused.
func TestDeliveryLog(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		rec := func(ref, channel, status string) {
			t.Helper()
			if err := e.s.Record(ctx, ref, 7, channel, "shift", status, "", time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		rec("seq:1", "email", notify.StatusFailed)
		rec("seq:1", "email", notify.StatusFailed)
		rec("seq:1", "email", notify.StatusSent)
		rec("seq:1", "email", notify.StatusFailed) // a late duplicate
		rec("seq:1", "sms", notify.StatusSuppressed)
		page, err := e.s.Deliveries(ctx, auth.System, notify.DeliveryFilter{}, paginate(t))
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("%+v %v", page, err)
		}
		email := page.Items[1]
		if email.Channel != "email" || email.Status != notify.StatusSent || email.Attempts != 3 || email.Name != "P Q" {
			t.Errorf("email row %+v", email)
		}
		if page, _ := e.s.Deliveries(ctx, auth.System, notify.DeliveryFilter{Status: "suppressed"}, paginate(t)); len(page.Items) != 1 || page.Items[0].Channel != "sms" {
			t.Errorf("filtered: %+v", page.Items)
		}
		if _, err := e.s.Deliveries(ctx, e.p, notify.DeliveryFilter{}, paginate(t)); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("employee: %v", err)
		}
		if _, err := e.s.Deliveries(ctx, auth.System, notify.DeliveryFilter{Status: "lost"}, paginate(t)); !apperr.Is(err, apperr.ValidationFailed) {
			t.Errorf("bad status: %v", err)
		}
	})
}

func paginate(t *testing.T) paging.ListParams {
	t.Helper()
	return paging.ListParams{Limit: 50}
}
