package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Kinds of notification a person chooses about. Messages of other kinds
// (report-ready and ops alarm e-mails, which the person asked for or needs
// as an admin) follow only the e-mail switch.
const (
	KindShift        = "shift"        // a new, changed or cancelled shift
	KindReminder     = "reminder"     // a shift starts soon
	KindSwap         = "swap"         // a swap of mine was decided
	KindTimeOff      = "timeoff"      // my time off was decided
	KindAnnouncement = "announcement" // a post to my department or store
	KindRequest      = "request"      // a request waits for me as a manager
)

// Kinds lists the kinds in the order screens show them.
var Kinds = []string{KindShift, KindReminder, KindSwap, KindTimeOff, KindAnnouncement, KindRequest}

// Channels a person chooses per kind.
const (
	ChannelApp  = "app" // in-app notices (toasts) while the app is open
	ChannelPush = "push"
	ChannelSMS  = "sms"
)

// Channels lists the channels in the order screens show them.
var Channels = []string{ChannelApp, ChannelPush, ChannelEmail, ChannelSMS}

// defaultOn is the choice of a person who never chose: everything on except
// SMS, which is on only for shifts and reminders (and sends only once the
// phone is verified).
func defaultOn(kind, channel string) bool {
	if channel == ChannelSMS {
		return kind == KindShift || kind == KindReminder
	}
	return true
}

// QuietHours is a daily window, in the store's zone, in which non-urgent
// messages wait. Start after End spans midnight.
type QuietHours struct {
	Start string `json:"start"` // "22:00"
	End   string `json:"end"`   // "07:00"
}

// Preferences are a person's notification settings.
type Preferences struct {
	// EmailEnabled is the switch for every e-mail.
	EmailEnabled bool `json:"email_enabled"`
	// Choices holds, per kind, whether each channel is on.
	Choices map[string]map[string]bool `json:"choices"`
	// QuietHours is nil when none are set.
	QuietHours *QuietHours `json:"quiet_hours"`
	// Timezone is the store's zone the quiet hours are in.
	Timezone      string `json:"timezone"`
	Phone         string `json:"phone"`
	PhoneVerified bool   `json:"phone_verified"`
	// SMSStopped is true when the phone replied STOP.
	SMSStopped bool `json:"sms_stopped"`
}

// PreferencesPatch changes some settings. QuietHours is JSON null to
// remove them, absent to leave them.
type PreferencesPatch struct {
	EmailEnabled *bool                      `json:"email_enabled"`
	Choices      map[string]map[string]bool `json:"choices"`
	QuietHours   json.RawMessage            `json:"quiet_hours"`
}

// settings is the notification_settings row (zero values when absent).
type settings struct {
	quietStart, quietEnd sql.NullInt64
	phone                sql.NullString
	verified             sql.NullTime
}

func (s *Store) settings(ctx context.Context, q querier, userID int64) (settings, error) {
	var st settings
	err := q.QueryRowContext(ctx, `SELECT quiet_start, quiet_end, phone, phone_verified_at FROM notification_settings WHERE user_id = ?`, userID).
		Scan(&st.quietStart, &st.quietEnd, &st.phone, &st.verified)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("notify: settings: %w", err)
	}
	return st, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// choices returns every kind × channel choice of a person, defaults filled in.
func (s *Store) choices(ctx context.Context, q querier, userID int64) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	for _, k := range Kinds {
		out[k] = map[string]bool{}
		for _, c := range Channels {
			out[k][c] = defaultOn(k, c)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT kind, channel, enabled FROM notification_choices WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("notify: choices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, c string
		var on bool
		if err := rows.Scan(&k, &c, &on); err != nil {
			return nil, fmt.Errorf("notify: choices: %w", err)
		}
		if out[k] != nil {
			out[k][c] = on
		}
	}
	return out, rows.Err()
}

func (s *Store) zone(ctx context.Context) (*time.Location, error) {
	if s.Zone == nil {
		return time.UTC, nil
	}
	return s.Zone(ctx)
}

// Preferences returns the caller's settings.
func (s *Store) Preferences(ctx context.Context, p auth.Principal) (Preferences, error) {
	return s.preferences(ctx, s.DB, p.UserID)
}

func (s *Store) preferences(ctx context.Context, q querier, userID int64) (Preferences, error) {
	r, err := s.recipient(ctx, q, userID)
	if err != nil {
		return Preferences{}, err
	}
	out := Preferences{EmailEnabled: r.EmailEnabled}
	if out.Choices, err = s.choices(ctx, q, userID); err != nil {
		return out, err
	}
	st, err := s.settings(ctx, q, userID)
	if err != nil {
		return out, err
	}
	if st.quietStart.Valid && st.quietEnd.Valid {
		out.QuietHours = &QuietHours{Start: clockText(int(st.quietStart.Int64)), End: clockText(int(st.quietEnd.Int64))}
	}
	loc, err := s.zone(ctx)
	if err != nil {
		return out, err
	}
	out.Timezone = loc.String()
	if st.phone.Valid {
		out.Phone, out.PhoneVerified = st.phone.String, st.verified.Valid
		if out.SMSStopped, err = s.stopped(ctx, q, st.phone.String); err != nil {
			return out, err
		}
	}
	return out, nil
}

func clockText(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// parseClock reads "HH:MM" (00:00 to 23:59) as minutes of the day.
func parseClock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// validate checks a patch, returning the quiet hours it sets (set reports
// whether it touches them; nil with set removes them).
func (in PreferencesPatch) validate() (quiet *[2]int, set bool, err error) {
	f := apperr.Fields{}
	for k, chans := range in.Choices {
		if !contains(Kinds, k) {
			f.Add("choices."+k, "is not a kind of notification (want one of "+strings.Join(Kinds, ", ")+")")
			continue
		}
		for c := range chans {
			if !contains(Channels, c) {
				f.Add("choices."+k+"."+c, "is not a channel (want one of "+strings.Join(Channels, ", ")+")")
			}
		}
	}
	if raw := strings.TrimSpace(string(in.QuietHours)); raw != "" {
		set = true
		if raw != "null" {
			var q QuietHours
			dec := json.NewDecoder(strings.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&q); err != nil {
				f.Add("quiet_hours", `must be {"start":"HH:MM","end":"HH:MM"} or null`)
			} else {
				a, okA := parseClock(q.Start)
				b, okB := parseClock(q.End)
				switch {
				case !okA:
					f.Add("quiet_hours.start", "must be a time of day, HH:MM")
				case !okB:
					f.Add("quiet_hours.end", "must be a time of day, HH:MM")
				case a == b:
					f.Add("quiet_hours.end", "must differ from the start")
				default:
					quiet = &[2]int{a, b}
				}
			}
		}
	}
	return quiet, set, f.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SetPreferences changes the caller's own settings in one transaction, with
// an audit row; an invalid patch writes nothing.
func (s *Store) SetPreferences(ctx context.Context, p auth.Principal, in PreferencesPatch) (Preferences, error) {
	if p.ClocksOnly() {
		return Preferences{}, auth.ErrForbidden
	}
	quiet, setQuiet, err := in.validate()
	if err != nil {
		return Preferences{}, err
	}
	if _, err := s.Recipient(ctx, p.UserID); err != nil {
		return Preferences{}, err
	}
	var out Preferences
	err = s.Writer.Do(ctx, func(tx *outbox.Tx) error {
		now := tx.Now()
		if in.EmailEnabled != nil {
			if err := upsert(ctx, tx, `INSERT INTO notification_prefs (user_id, email_enabled, updated_at) VALUES (?, ?, ?)`,
				[]string{"email_enabled", "updated_at"}, []string{"user_id"}, p.UserID, *in.EmailEnabled, now); err != nil {
				return err
			}
		}
		for k, chans := range in.Choices {
			for c, on := range chans {
				if err := setChoice(ctx, tx, p.UserID, k, c, on, now); err != nil {
					return err
				}
			}
		}
		if setQuiet {
			var a, b any
			if quiet != nil {
				a, b = quiet[0], quiet[1]
			}
			if err := s.ensureSettings(ctx, tx, p.UserID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE notification_settings SET quiet_start = ?, quiet_end = ?, updated_at = ? WHERE user_id = ?`,
				a, b, now, p.UserID); err != nil {
				return fmt.Errorf("notify: set quiet hours: %w", err)
			}
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "preferences.update", Entity: "user", EntityID: p.UserID, Detail: in})
		var err error
		out, err = s.preferences(ctx, tx, p.UserID)
		return err
	})
	return out, err
}

func setChoice(ctx context.Context, tx *outbox.Tx, userID int64, kind, channel string, on bool, now time.Time) error {
	return upsert(ctx, tx, `INSERT INTO notification_choices (user_id, kind, channel, enabled, updated_at) VALUES (?, ?, ?, ?, ?)`,
		[]string{"enabled", "updated_at"}, []string{"user_id", "kind", "channel"}, userID, kind, channel, on, now)
}

// ensureSettings makes the person's notification_settings row exist.
func (s *Store) ensureSettings(ctx context.Context, tx *outbox.Tx, userID int64) error {
	ignore := "INSERT OR IGNORE"
	if tx.DB.IsMySQL() {
		ignore = "INSERT IGNORE"
	}
	if _, err := tx.ExecContext(ctx, ignore+` INTO notification_settings (user_id, updated_at) VALUES (?, ?)`, userID, tx.Now()); err != nil {
		return fmt.Errorf("notify: settings row: %w", err)
	}
	return nil
}

// upsert runs insert, updating cols on a conflict over key.
func upsert(ctx context.Context, tx *outbox.Tx, insert string, cols, key []string, args ...any) error {
	sets := make([]string, len(cols))
	for i, c := range cols {
		if tx.DB.IsMySQL() {
			sets[i] = c + " = VALUES(" + c + ")"
		} else {
			sets[i] = c + " = excluded." + c
		}
	}
	q := insert + " ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
	if tx.DB.IsMySQL() {
		q = insert + " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("notify: save preferences: %w", err)
	}
	return nil
}
