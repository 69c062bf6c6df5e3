// Package comms is the store's team communication: announcements to
// departments (or the whole store) with each recipient's read receipt, and
// the acknowledgement of a published week's schedule with its one reminder.
//
// Every write goes through the outbox, so the events that carry it to open
// screens (announcement.posted, announcement.read, schedule.ack) commit with
// it. Authorization is checked here with the object in hand: managers post
// to departments they manage, admins also to the whole store, people read
// only what is addressed to them, and a kiosk does none of it.
package comms

import (
	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Event names of this domain (docs/api.md).
const (
	// EventAnnouncementPosted goes to each addressed department's topic
	// (every department's for a store-wide post) with the Announcement.
	EventAnnouncementPosted = "announcement.posted"
	// EventAnnouncementRead carries a Read to the managers of the
	// reader's addressed departments (admins for a store-wide post) and to
	// the reader's own topic.
	EventAnnouncementRead = "announcement.read"
	// EventScheduleAck carries a WeekAck to the department's managers and
	// to the person's own topic.
	EventScheduleAck = "schedule.ack"
)

// Service is announcements and schedule acknowledgements.
type Service struct {
	W      *outbox.Writer
	People *people.Service

	seen seenBatch // MarkSeen's combined transactions
}

// noKiosk refuses the kiosk principal, which may only clock people in and out.
func noKiosk(p auth.Principal) error {
	if p.ClocksOnly() {
		return auth.ErrForbidden
	}
	return nil
}

var errNotAddressed = apperr.New(apperr.Forbidden, "this announcement is not addressed to you")
