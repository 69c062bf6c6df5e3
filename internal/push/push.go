// Package push sends Web Push notifications (RFC 8030, encrypted per RFC 8291,
// signed with VAPID per RFC 8292) to the browsers people subscribed: the
// phone in a pocket hears about the same shift events that send e-mail.
//
// Every delivery is claimed in push_deliveries under the unique key
// (ref, user_id, channel) first (ref: "event:<seq>" or a reminder's id), so a retried or duplicated task never
// notifies twice for one event. Subscriptions the push service reports gone
// (404 or 410) are deleted.
package push

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
)

// Channel is the delivery channel name in push_deliveries.
const Channel = "push"

// DefaultTTL is how long a push service keeps an undelivered message.
const DefaultTTL = 12 * time.Hour

// Service stores subscriptions and sends notifications.
type Service struct {
	DB    *db.DB
	Keys  Keys
	Clock func() time.Time
	Log   *slog.Logger
	// Subscriber is the VAPID contact: an https: URL or an e-mail address.
	Subscriber string
	// HTTP sends to push services; nil uses a client with a 15 s timeout.
	HTTP *http.Client
	// AllowLoopbackHTTP accepts http://127.0.0.1 endpoints (tests only:
	// real push services are https, and loopback would reach our own ports).
	AllowLoopbackHTTP bool
}

// Keys is a VAPID key pair, base64url without padding.
type Keys struct {
	Public  string `json:"public_key"`
	Private string `json:"-"`
}

// Subscription is a browser's PushSubscription as the client sends it.
type Subscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// Unsubscription names the endpoint to forget.
type Unsubscription struct {
	Endpoint string `json:"endpoint"`
}

// Message is what the service worker shows.
type Message struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url,omitempty"`
	Tag   string `json:"tag,omitempty"`
	Event string `json:"event,omitempty"`
	Seq   int64  `json:"seq,omitempty"`
}

// LoadKeys returns the configured VAPID keys, or the stored pair, or
// generates, stores and returns a new pair (first start in embedded mode).
// Concurrent first starts agree: the loser of the insert race reads the
// winner's pair.
func LoadKeys(ctx context.Context, d *db.DB, public, private string, now time.Time) (Keys, error) {
	if public != "" && private != "" {
		return Keys{Public: public, Private: private}, nil
	}
	var k Keys
	err := d.QueryRowContext(ctx, "SELECT public_key, private_key FROM vapid_keys WHERE id = 1").Scan(&k.Public, &k.Private)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Keys{}, fmt.Errorf("push: read vapid keys: %w", err)
	}
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return Keys{}, fmt.Errorf("push: generate vapid keys: %w", err)
	}
	_, err = d.ExecContext(ctx, "INSERT INTO vapid_keys (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)", pub, priv, now.UTC())
	if db.IsDuplicate(err) {
		return LoadKeys(ctx, d, "", "", now)
	}
	if err != nil {
		return Keys{}, fmt.Errorf("push: store vapid keys: %w", err)
	}
	return Keys{Public: pub, Private: priv}, nil
}

func endpointHash(endpoint string) []byte {
	h := sha256.Sum256([]byte(endpoint))
	return h[:]
}

func validKey(s string, min int) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	return err == nil && len(b) >= min
}

// Subscribe stores (or renews) a subscription of the caller's browser. An
// endpoint another person registered stays theirs: 409 conflict (an
// endpoint is a capability; whoever presents it must not take over the
// other person's notifications). A kiosk may not subscribe.
func (s *Service) Subscribe(ctx context.Context, p auth.Principal, in Subscription, userAgent string) error {
	if p.ClocksOnly() {
		return auth.ErrForbidden
	}
	f := apperr.Fields{}
	u, err := url.Parse(in.Endpoint)
	if err != nil || u.Scheme != "https" && !(s.AllowLoopbackHTTP && u.Scheme == "http" && isLoopback(u.Hostname())) || u.Host == "" || len(in.Endpoint) > 2048 {
		f.Add("endpoint", "must be the https URL of a push service")
	}
	if !validKey(in.Keys.P256dh, 65) {
		f.Add("keys.p256dh", "must be the browser's P-256 public key (base64url)")
	}
	if !validKey(in.Keys.Auth, 16) {
		f.Add("keys.auth", "must be the 16-byte auth secret (base64url)")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if len(userAgent) > 255 {
		userAgent = userAgent[:255]
	}
	hash := endpointHash(in.Endpoint)
	_, err = s.DB.ExecContext(ctx, "INSERT INTO push_subscriptions (user_id, endpoint, endpoint_hash, p256dh, auth, user_agent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		p.UserID, in.Endpoint, hash, in.Keys.P256dh, in.Keys.Auth, userAgent, s.Clock().UTC())
	if db.IsDuplicate(err) {
		// The device subscribed before: renew it if it is the caller's.
		// (An endpoint never changes owner, so reading then updating is safe.)
		var owner int64
		if err = s.DB.QueryRowContext(ctx, "SELECT user_id FROM push_subscriptions WHERE endpoint_hash = ?", hash).Scan(&owner); err == nil {
			if owner != p.UserID {
				return apperr.New(apperr.Conflict, "this push endpoint belongs to another person's sign-in; unsubscribe it there first")
			}
			_, err = s.DB.ExecContext(ctx, "UPDATE push_subscriptions SET p256dh = ?, auth = ?, user_agent = ? WHERE endpoint_hash = ? AND user_id = ?",
				in.Keys.P256dh, in.Keys.Auth, userAgent, hash, p.UserID)
		}
	}
	if err != nil {
		return fmt.Errorf("push: save subscription: %w", err)
	}
	return nil
}

func isLoopback(host string) bool { return host == "localhost" || host == "127.0.0.1" || host == "::1" }

// Unsubscribe forgets one of the caller's subscriptions (a no-op when unknown).
func (s *Service) Unsubscribe(ctx context.Context, p auth.Principal, in Unsubscription) error {
	if in.Endpoint == "" {
		return apperr.Field("endpoint", "is required")
	}
	_, err := s.DB.ExecContext(ctx, "DELETE FROM push_subscriptions WHERE endpoint_hash = ? AND user_id = ?", endpointHash(in.Endpoint), p.UserID)
	if err != nil {
		return fmt.Errorf("push: delete subscription: %w", err)
	}
	return nil
}

type stored struct {
	id int64
	Subscription
}

func (s *Service) subscriptions(ctx context.Context, userID int64) ([]stored, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("push: list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var x stored
		if err := rows.Scan(&x.id, &x.Endpoint, &x.Keys.P256dh, &x.Keys.Auth); err != nil {
			return nil, fmt.Errorf("push: scan subscription: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Result says what Deliver did.
type Result struct {
	Skipped bool // already delivered for this (event, person)
	Sent    int  // devices that accepted the message
	Removed int  // expired subscriptions deleted
}

// EventRef is the delivery ref of an outbox event.
func EventRef(seq int64) string { return fmt.Sprintf("event:%d", seq) }

// Deliver sends msg to every device of userID, once per (ref, userID): ref
// is EventRef(seq) for events, the reminder's id for reminders.
// A failure other than an expired subscription returns an error so the task
// is retried; devices that already accepted may then see it again, which the
// notification tag collapses on the phone.
func (s *Service) Deliver(ctx context.Context, ref string, userID int64, msg Message) (Result, error) {
	if ref == "" || len(ref) > 64 {
		return Result{}, fmt.Errorf("push: delivery ref %q must be 1 to 64 characters", ref)
	}
	var res Result
	var sentAt sql.NullTime
	if _, err := s.DB.ExecContext(ctx, "INSERT INTO push_deliveries (ref, user_id, channel, created_at) VALUES (?, ?, ?, ?)",
		ref, userID, Channel, s.Clock().UTC()); err != nil {
		if !db.IsDuplicate(err) {
			return res, fmt.Errorf("push: claim delivery: %w", err)
		}
		var raw any
		if err := s.DB.QueryRowContext(ctx, "SELECT sent_at FROM push_deliveries WHERE ref = ? AND user_id = ? AND channel = ?",
			ref, userID, Channel).Scan(&raw); err != nil {
			return res, fmt.Errorf("push: read delivery: %w", err)
		}
		sentAt.Valid = raw != nil
	}
	if sentAt.Valid {
		res.Skipped = true
		return res, nil
	}
	subs, err := s.subscriptions(ctx, userID)
	if err != nil {
		return res, err
	}
	body, err := jsonMarshal(msg)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, sub := range subs {
		gone, err := s.send(ctx, sub.Subscription, body, msg.Tag)
		switch {
		case gone:
			if _, err := s.DB.ExecContext(ctx, "DELETE FROM push_subscriptions WHERE id = ?", sub.id); err != nil {
				errs = append(errs, fmt.Errorf("push: delete expired subscription: %w", err))
			}
			res.Removed++
		case err != nil:
			errs = append(errs, err)
		default:
			res.Sent++
		}
	}
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	if _, err := s.DB.ExecContext(ctx, "UPDATE push_deliveries SET sent_at = ?, devices = ? WHERE ref = ? AND user_id = ? AND channel = ?",
		s.Clock().UTC(), res.Sent, ref, userID, Channel); err != nil {
		return res, fmt.Errorf("push: mark delivery: %w", err)
	}
	return res, nil
}

// send posts one encrypted message; gone reports a 404/410 (subscription expired).
func (s *Service) send(ctx context.Context, sub Subscription, body []byte, topic string) (gone bool, err error) {
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	ws := &webpush.Subscription{Endpoint: sub.Endpoint, Keys: webpush.Keys{P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}}
	resp, err := webpush.SendNotificationWithContext(ctx, body, ws, &webpush.Options{
		HTTPClient: client, Subscriber: s.Subscriber, TTL: int(DefaultTTL.Seconds()), Urgency: webpush.UrgencyHigh,
		VAPIDPublicKey: s.Keys.Public, VAPIDPrivateKey: s.Keys.Private, Topic: topicHeader(topic),
	})
	if err != nil {
		return false, fmt.Errorf("push: send to %s: %w", hostOf(sub.Endpoint), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return true, nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	default:
		return false, fmt.Errorf("push: %s answered %d", hostOf(sub.Endpoint), resp.StatusCode)
	}
}

// topicHeader makes a Topic header value (≤32 URL-safe base64 characters).
func topicHeader(tag string) string {
	if tag == "" {
		return ""
	}
	h := sha256.Sum256([]byte(tag))
	return base64.RawURLEncoding.EncodeToString(h[:])[:32]
}

func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Host
	}
	return "push service"
}
