package push

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/outbox"
)

func jsonMarshal(m Message) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("push: encode message: %w", err)
	}
	return b, nil
}

// Events are the event types that notify a person's devices: the same ones
// that send e-mail.
var Events = map[string]bool{
	"shift.assigned": true, "shift.changed": true, "shift.cancelled": true,
	"timeoff.decided": true, "swap.decided": true, "shift.reminder": true,
}

// UserOf returns the person of a personal topic ("user:12" → 12).
func UserOf(topic string) (int64, bool) {
	rest, ok := strings.CutPrefix(topic, "user:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

type shiftJSON struct {
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Position string    `json:"position"`
}

type eventPayload struct {
	Reason    string      `json:"reason"`
	WeekStart string      `json:"week_start"`
	Shifts    []shiftJSON `json:"shifts"`
	StartsOn  string      `json:"starts_on"`
	EndsOn    string      `json:"ends_on"`
	Status    string      `json:"status"`
	SwappedTo string      `json:"swapped_to"`
	// shift.reminder carries the shift itself.
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
}

// MessageFor builds the notification of an event for its person, with times
// in the store's zone. ok is false for events that do not notify.
func MessageFor(eventType string, data json.RawMessage, seq int64, loc *time.Location) (Message, bool) {
	if !Events[eventType] {
		return Message{}, false
	}
	var p eventPayload
	if err := json.Unmarshal(data, &p); err != nil {
		return Message{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	span := func(a, b time.Time) string {
		return a.In(loc).Format("Mon Jan 2, 15:04") + "–" + b.In(loc).Format("15:04")
	}
	shifts := func() string {
		if len(p.Shifts) == 0 {
			return ""
		}
		s := span(p.Shifts[0].StartsAt, p.Shifts[0].EndsAt)
		if len(p.Shifts) > 1 {
			s += fmt.Sprintf(" and %d more", len(p.Shifts)-1)
		}
		return s
	}
	m := Message{URL: "/home", Event: eventType, Seq: seq, Tag: eventType + ":" + strconv.FormatInt(seq, 10)}
	switch eventType {
	case "shift.assigned":
		m.Title = "New shift"
		if p.Reason == "published" {
			m.Title = "Your schedule is out"
			if p.WeekStart != "" {
				m.Title = "Your schedule for the week of " + p.WeekStart
			}
		}
		m.Body = shifts()
	case "shift.changed":
		m.Title, m.Body = "Shift changed", shifts()
	case "shift.cancelled":
		m.Title, m.Body = "Shift cancelled", shifts()
		if p.Reason == "swapped" {
			// The same words as the app's banner.
			m.Title = "Swapped away"
			if p.SwappedTo != "" {
				m.Title = "Swapped to " + p.SwappedTo
			}
		}
	case "shift.reminder":
		m.Title = "Shift reminder"
		if p.StartsAt != nil && p.EndsAt != nil {
			m.Body = span(*p.StartsAt, *p.EndsAt)
		} else {
			m.Body = shifts()
		}
	case "timeoff.decided":
		m.Title = "Time off " + p.Status
		m.Body = p.StartsOn + " to " + p.EndsOn
	case "swap.decided":
		m.Title = "Swap " + p.Status
		m.Body = "Open the app to see your shifts."
	}
	if m.Body == "" {
		m.Body = "Open the app for details."
	}
	return m, true
}

// EventMessage is MessageFor for a stored event.
func EventMessage(e outbox.Event, loc *time.Location) (Message, bool) {
	return MessageFor(e.Type, e.Data, e.Seq, loc)
}
