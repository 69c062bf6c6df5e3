package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// Action is what Decide says to do with a message.
type Action string

// Actions.
const (
	Send     Action = "send"     // send now
	Defer    Action = "defer"    // send at Decision.At (the end of quiet hours)
	Suppress Action = "suppress" // do not send (Decision.Reason says why)
)

// Reasons a message is suppressed.
const (
	ReasonGone       = "no_person"         // the person was deleted
	ReasonInactive   = "inactive"          // the person left
	ReasonEmailOff   = "email_off"         // every e-mail is off
	ReasonPreference = "preference"        // this kind is off on this channel
	ReasonNoPhone    = "no_verified_phone" // SMS without a verified phone
	ReasonSMSStopped = "sms_stopped"       // the phone replied STOP
)

// UrgentWithin is how close a shift's start makes its change urgent: a new,
// changed or cancelled shift starting within 12 hours is sent during quiet
// hours, since waiting for the morning could be too late.
const UrgentWithin = 12 * time.Hour

// Ask describes one message to one person on one channel.
type Ask struct {
	UserID  int64
	Kind    string
	Channel string
	Now     time.Time
	// Soonest is the start of the earliest shift the message is about
	// (zero when it is about none); see UrgentWithin.
	Soonest time.Time
	// Urgent marks a message the sender knows cannot wait (an urgent
	// announcement).
	Urgent bool
}

// Decision is Decide's answer.
type Decision struct {
	Action Action
	At     time.Time // for Defer
	Reason string    // for Suppress
}

// Urgent reports whether a message skips quiet hours: reminders (timed to
// their shift), shift messages within UrgentWithin of the shift's start,
// messages marked urgent, and messages of kinds a person does not choose
// about (report-ready and ops alarm e-mails).
func (a Ask) urgent() bool {
	switch {
	case a.Urgent, a.Kind == KindReminder, !contains(Kinds, a.Kind):
		return true
	case a.Kind == KindShift:
		return !a.Soonest.IsZero() && a.Soonest.Sub(a.Now) < UrgentWithin
	}
	return false
}

// Decide is asked by the worker before every send: whether the message goes
// now, waits until quiet hours end, or is suppressed, and why. In-app
// notices are never deferred (they are silent and seen only in the app).
func (s *Store) Decide(ctx context.Context, a Ask) (Decision, error) {
	r, err := s.Recipient(ctx, a.UserID)
	if errors.Is(err, db.ErrNotFound) {
		return Decision{Action: Suppress, Reason: ReasonGone}, nil
	}
	if err != nil {
		return Decision{}, err
	}
	if !r.Active {
		return Decision{Action: Suppress, Reason: ReasonInactive}, nil
	}
	if a.Channel == ChannelEmail && !r.EmailEnabled {
		return Decision{Action: Suppress, Reason: ReasonEmailOff}, nil
	}
	if contains(Kinds, a.Kind) {
		on, err := s.choice(ctx, a.UserID, a.Kind, a.Channel)
		if err != nil {
			return Decision{}, err
		}
		if !on {
			return Decision{Action: Suppress, Reason: ReasonPreference}, nil
		}
	}
	st, err := s.settings(ctx, s.DB, a.UserID)
	if err != nil {
		return Decision{}, err
	}
	if a.Channel == ChannelSMS {
		if !st.phone.Valid || !st.verified.Valid {
			return Decision{Action: Suppress, Reason: ReasonNoPhone}, nil
		}
		stopped, err := s.Stopped(ctx, st.phone.String)
		if err != nil {
			return Decision{}, err
		}
		if stopped {
			return Decision{Action: Suppress, Reason: ReasonSMSStopped}, nil
		}
	}
	if a.Channel == ChannelApp || a.urgent() || !st.quietStart.Valid || !st.quietEnd.Valid {
		return Decision{Action: Send}, nil
	}
	loc, err := s.zone(ctx)
	if err != nil {
		return Decision{}, err
	}
	if end, quiet := quietUntil(a.Now, loc, int(st.quietStart.Int64), int(st.quietEnd.Int64)); quiet {
		return Decision{Action: Defer, At: end}, nil
	}
	return Decision{Action: Send}, nil
}

// quietUntil reports whether now falls in the daily window [start, end)
// (minutes of the day in loc; start > end spans midnight) and when that
// window ends.
func quietUntil(now time.Time, loc *time.Location, start, end int) (time.Time, bool) {
	l := now.In(loc)
	m := l.Hour()*60 + l.Minute()
	in := (start < end && m >= start && m < end) || (start > end && (m >= start || m < end))
	if !in {
		return time.Time{}, false
	}
	at := time.Date(l.Year(), l.Month(), l.Day(), end/60, end%60, 0, 0, loc)
	if !at.After(now) {
		at = time.Date(l.Year(), l.Month(), l.Day()+1, end/60, end%60, 0, 0, loc)
	}
	return at.UTC(), true
}

// choice reads one kind × channel choice (the default when never chosen).
func (s *Store) choice(ctx context.Context, userID int64, kind, channel string) (bool, error) {
	var on bool
	err := s.DB.QueryRowContext(ctx, `SELECT enabled FROM notification_choices WHERE user_id = ? AND kind = ? AND channel = ?`,
		userID, kind, channel).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return defaultOn(kind, channel), nil
	}
	if err != nil {
		return false, fmt.Errorf("notify: choice: %w", err)
	}
	return on, nil
}

// Phone returns the person's verified phone, or "" without one.
func (s *Store) Phone(ctx context.Context, userID int64) (string, error) {
	st, err := s.settings(ctx, s.DB, userID)
	if err != nil || !st.phone.Valid || !st.verified.Valid {
		return "", err
	}
	return st.phone.String, nil
}
