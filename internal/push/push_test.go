package push_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// browser is one subscribed device: its keys, like PushManager.subscribe makes them.
type browser struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]byte, 16)
	rand.Read(a)
	return &browser{priv: k, auth: a}
}

func (b *browser) subscription(endpoint string) push.Subscription {
	var s push.Subscription
	s.Endpoint = endpoint
	s.Keys.P256dh = base64.RawURLEncoding.EncodeToString(b.priv.PublicKey().Bytes())
	s.Keys.Auth = base64.RawURLEncoding.EncodeToString(b.auth)
	return s
}

func hkdf(salt, ikm, info []byte, n int) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(ikm)
	prk := m.Sum(nil)
	m = hmac.New(sha256.New, prk)
	m.Write(info)
	m.Write([]byte{1})
	return m.Sum(nil)[:n]
}

// decrypt opens an aes128gcm Web Push message (RFC 8291 + RFC 8188) with the
// browser's private key and auth secret.
func (b *browser) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, fmt.Errorf("body too short")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid length %d", idlen)
	}
	asPub := body[21 : 21+idlen]
	ct := body[21+idlen:]
	if uint32(len(ct)) > rs {
		return nil, fmt.Errorf("record larger than rs")
	}
	pub, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		return nil, err
	}
	secret, err := b.priv.ECDH(pub)
	if err != nil {
		return nil, err
	}
	keyInfo := append(append([]byte("WebPush: info\x00"), b.priv.PublicKey().Bytes()...), asPub...)
	ikm := hkdf(b.auth, secret, keyInfo, 32)
	cek := hkdf(salt, ikm, []byte("Content-Encoding: aes128gcm\x00"), 16)
	nonce := hkdf(salt, ikm, []byte("Content-Encoding: nonce\x00"), 12)
	blk, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if i < 0 || plain[i] != 2 {
		return nil, fmt.Errorf("missing last-record delimiter")
	}
	return plain[:i], nil
}

// pushService is an httptest push service: it decrypts what it receives
// with the keys of the registered browser, or answers a fixed status.
type pushService struct {
	*httptest.Server
	mu       sync.Mutex
	browsers map[string]*browser // path -> device
	status   map[string]int      // path -> forced status
	got      map[string][]push.Message
	errs     []error
}

func newPushService(t *testing.T) *pushService {
	p := &pushService{browsers: map[string]*browser{}, status: map[string]int{}, got: map[string][]push.Message{}}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *pushService) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.status[r.URL.Path]; st != 0 {
		w.WriteHeader(st)
		return
	}
	fail := func(err error) { p.errs = append(p.errs, err); w.WriteHeader(http.StatusBadRequest) }
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		fail(fmt.Errorf("Content-Encoding %q", ce))
		return
	}
	if a := r.Header.Get("Authorization"); !strings.HasPrefix(a, "vapid t=") || !strings.Contains(a, ", k=") {
		fail(fmt.Errorf("Authorization %q", a))
		return
	}
	if r.Header.Get("TTL") == "" {
		fail(fmt.Errorf("no TTL"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	b := p.browsers[r.URL.Path]
	if b == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	plain, err := b.decrypt(body)
	if err != nil {
		fail(fmt.Errorf("decrypt: %w", err))
		return
	}
	var m push.Message
	if err := json.Unmarshal(plain, &m); err != nil {
		fail(err)
		return
	}
	p.got[r.URL.Path] = append(p.got[r.URL.Path], m)
	w.WriteHeader(http.StatusCreated)
}

func newUser(t *testing.T, d *db.DB, email string) int64 {
	t.Helper()
	res, err := d.ExecContext(context.Background(),
		"INSERT INTO users (first_name, last_name, email, password_hash, role, active, max_hours_per_week, version, created_at, updated_at) VALUES ('A', 'B', ?, '', 'employee', 1, 40, 1, ?, ?)",
		email, time.Now().UTC(), time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

func TestDeliver(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testutil.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
		keys, err := push.LoadKeys(ctx, d, "", "", clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		again, err := push.LoadKeys(ctx, d, "", "", clock.Now())
		if err != nil || again != keys {
			t.Fatalf("second start got other keys: %v", err)
		}
		ps := newPushService(t)
		svc := &push.Service{DB: d, Keys: keys, Clock: clock.Now, Subscriber: "ops@example.com", AllowLoopbackHTTP: true}
		alice := newUser(t, d, "alice@example.com")
		bob := newUser(t, d, "bob@example.com")
		phone, laptop := newBrowser(t), newBrowser(t)
		ps.browsers["/phone"], ps.browsers["/laptop"] = phone, laptop
		ps.status["/expired"] = http.StatusGone
		for _, sub := range []push.Subscription{phone.subscription(ps.URL + "/phone"), laptop.subscription(ps.URL + "/laptop"), newBrowser(t).subscription(ps.URL + "/expired")} {
			if err := svc.Subscribe(ctx, auth.Principal{UserID: alice}, sub, "test"); err != nil {
				t.Fatal(err)
			}
		}
		// The same device subscribing again (or for another person) is one row.
		if err := svc.Subscribe(ctx, auth.Principal{UserID: alice}, phone.subscription(ps.URL+"/phone"), "test"); err != nil {
			t.Fatal(err)
		}

		data := json.RawMessage(`{"employee_id":1,"department_id":2,"reason":"published","week_start":"2026-12-07",
			"shifts":[{"id":5,"starts_at":"2026-12-07T13:00:00Z","ends_at":"2026-12-07T21:00:00Z","position":"Ovens"}]}`)
		msg, ok := push.MessageFor("shift.assigned", data, 42, time.UTC)
		if !ok {
			t.Fatal("shift.assigned makes no message")
		}
		res, err := svc.Deliver(ctx, push.EventRef(42), alice, msg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent != 2 || res.Removed != 1 || res.Skipped {
			t.Errorf("first delivery = %+v, want 2 sent, 1 removed", res)
		}
		// A retried task (same event, same person) sends nothing.
		res, err = svc.Deliver(ctx, push.EventRef(42), alice, msg)
		if err != nil || !res.Skipped || res.Sent != 0 {
			t.Errorf("repeat delivery = %+v, %v; want skipped", res, err)
		}
		// Bob has no devices: nothing sent, no error.
		if res, err := svc.Deliver(ctx, push.EventRef(42), bob, msg); err != nil || res.Sent != 0 {
			t.Errorf("bob: %+v %v", res, err)
		}
		ps.mu.Lock()
		defer ps.mu.Unlock()
		if len(ps.errs) > 0 {
			t.Fatalf("push service saw bad requests: %v", ps.errs)
		}
		for _, dev := range []string{"/phone", "/laptop"} {
			got := ps.got[dev]
			if len(got) != 1 {
				t.Fatalf("%s got %d messages, want 1", dev, len(got))
			}
			if got[0].Title != "Your schedule for the week of 2026-12-07" || got[0].Body != "Mon Dec 7, 13:00–21:00" || got[0].Seq != 42 {
				t.Errorf("%s got %+v", dev, got[0])
			}
		}
		var n int
		if err := d.QueryRowContext(ctx, "SELECT COUNT(*) FROM push_subscriptions WHERE user_id = ?", alice).Scan(&n); err != nil || n != 2 {
			t.Errorf("alice has %d subscriptions (%v), want 2 after the expired one went", n, err)
		}
	})
}

func TestSubscribeValidation(t *testing.T) {
	t.Parallel()
	d := testutil.NewDB(t, db.SQLite)
	svc := &push.Service{DB: d, Clock: time.Now}
	uid := newUser(t, d, "v@example.com")
	good := newBrowser(t).subscription("https://push.example.com/abc")
	tests := []struct {
		desc  string
		edit  func(s *push.Subscription)
		field string
	}{
		{desc: "loopback endpoint", edit: func(s *push.Subscription) { s.Endpoint = "http://127.0.0.1:6379/" }, field: "endpoint"},
		{desc: "plain http endpoint", edit: func(s *push.Subscription) { s.Endpoint = "http://push.example.com/x" }, field: "endpoint"},
		{desc: "short p256dh", edit: func(s *push.Subscription) { s.Keys.P256dh = "AAAA" }, field: "keys.p256dh"},
		{desc: "missing auth", edit: func(s *push.Subscription) { s.Keys.Auth = "" }, field: "keys.auth"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := good
			tc.edit(&s)
			err := svc.Subscribe(context.Background(), auth.Principal{UserID: uid}, s, "")
			e, ok := err.(*apperr.Error)
			if !ok || e.Fields[tc.field] == "" {
				t.Errorf("err = %v, want a %s field error", err, tc.field)
			}
		})
	}
}

func TestMessageFor(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Halifax")
	tests := []struct {
		desc, typ, data, title, body string
	}{
		{desc: "changed", typ: "shift.changed", data: `{"reason":"updated","shifts":[{"starts_at":"2026-12-07T13:00:00Z","ends_at":"2026-12-07T21:00:00Z"}]}`, title: "Shift changed", body: "Mon Dec 7, 09:00–17:00"},
		{desc: "cancelled", typ: "shift.cancelled", data: `{"reason":"cancelled","shifts":[{"starts_at":"2026-12-07T13:00:00Z","ends_at":"2026-12-07T21:00:00Z"}]}`, title: "Shift cancelled", body: "Mon Dec 7, 09:00–17:00"},
		{desc: "new shift", typ: "shift.assigned", data: `{"reason":"updated","shifts":[{"starts_at":"2026-12-07T13:00:00Z","ends_at":"2026-12-07T21:00:00Z"}]}`, title: "New shift", body: "Mon Dec 7, 09:00–17:00"},
		{desc: "published week", typ: "shift.assigned", data: `{"reason":"published","week_start":"2026-12-07","shifts":[{"starts_at":"2026-12-07T13:00:00Z","ends_at":"2026-12-07T21:00:00Z"}]}`, title: "Your schedule for the week of 2026-12-07", body: "Mon Dec 7, 09:00–17:00"},
		{desc: "swapped away", typ: "shift.cancelled", data: `{"reason":"swapped","swapped_to":"Bob Baker","shifts":[{"starts_at":"2026-12-07T13:00:00Z","ends_at":"2026-12-07T21:00:00Z"}]}`, title: "Swapped to Bob Baker", body: "Mon Dec 7, 09:00–17:00"},
		{desc: "time off", typ: "timeoff.decided", data: `{"starts_on":"2026-12-24","ends_on":"2026-12-26","status":"approved"}`, title: "Time off approved", body: "2026-12-24 to 2026-12-26"},
		{desc: "swap", typ: "swap.decided", data: `{"status":"denied"}`, title: "Swap denied", body: "Open the app to see your shifts."},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			m, ok := push.MessageFor(tc.typ, json.RawMessage(tc.data), 7, loc)
			if !ok || m.Title != tc.title || m.Body != tc.body {
				t.Errorf("got %+v %v, want %q / %q", m, ok, tc.title, tc.body)
			}
		})
	}
	if _, ok := push.MessageFor("shift.created", json.RawMessage(`{}`), 1, loc); ok {
		t.Error("shift.created (a manager's draft) must not notify")
	}
}
