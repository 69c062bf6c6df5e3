// Package roster is scheduling: shifts (draft and published), the conflict
// rules, week operations (publish, copy), availability, time off, open-shift
// claims, swaps, replacement candidates and the iCal feed.
//
// Every method takes the calling principal and checks, with the object in
// hand, what that principal may do. Every write runs in one outbox
// transaction that also writes its events and an audit row.
//
// No double-booking: every transaction that gives a person a shift (create,
// edit, copy, claim, swap) first locks that person's users row (lockPeople),
// before any other read of the transaction. On MySQL this serialises writers
// per person across every server process, and because InnoDB takes its read
// snapshot at the first non-locking read, the overlap check that follows sees
// every shift committed before the lock was granted. SQLite write
// transactions are BEGIN IMMEDIATE and so serialised already. Combined
// shift creates (createbatch.go) lock all their people at once, in the same
// ascending order, in their transaction's first statement.
package roster

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Service is the scheduling domain.
type Service struct {
	W      *outbox.Writer
	People *people.Service
	// Weeks caches the week view of GET /shifts (ListShiftsJSON); nil
	// caches nothing. Its generations must hear every committed event (the
	// Writer's commit hook, the hub's observer): see WeekCache.
	Weeks *WeekCache
	// OnPublish, when set, runs inside the transaction of every publish
	// that made shifts public (the schedule acknowledgements); its error
	// undoes the publish.
	OnPublish func(ctx context.Context, tx *outbox.Tx, pub Published) error
	// Labor, when set, adds the overtime warning, with its cost, to the
	// warnings of shift writes and of GET /schedules/warnings.
	Labor Labor

	creates createCombiner // CreateShift's batches
}

// Labor is what scheduling asks the labor domain: the pay rules, and what
// overtime minutes of a person's shift cost in the store's currency.
type Labor interface {
	PayRules(ctx context.Context) (*labor.Rules, error)
	OvertimeCost(ctx context.Context, q labor.Querier, emp int64, position string, start time.Time, minutes int) (cents int64, currency string, err error)
}

// Event names of this domain (docs/api.md).
const (
	EventShiftCreated      = "shift.created"
	EventShiftUpdated      = "shift.updated"
	EventShiftDeleted      = "shift.deleted"
	EventShiftAssigned     = "shift.assigned"
	EventShiftChanged      = "shift.changed"
	EventShiftCancelled    = "shift.cancelled"
	EventSchedulePublished = "schedule.published"
	EventTimeOffRequested  = "timeoff.requested"
	EventTimeOffDecided    = "timeoff.decided"
	EventSwapRequested     = "swap.requested"
	EventSwapDecided       = "swap.decided"
	EventOpenShiftClaimed  = "openshift.claimed"
)

// Reasons carried by personal shift events.
const (
	ReasonPublished = "published"
	ReasonUpdated   = "updated"
	ReasonCancelled = "cancelled"
	ReasonClaimed   = "claimed"
	ReasonSwapped   = "swapped"
	// ReasonReleased: the person left the store or the department, and the
	// shift became an open shift of its department (ReleaseShifts).
	ReasonReleased = "released"
)

// PersonalShifts is the payload of shift.assigned|changed|cancelled on
// user:<employee_id>.
type PersonalShifts struct {
	EmployeeID   int64   `json:"employee_id"`
	DepartmentID int64   `json:"department_id"`
	Reason       string  `json:"reason"`
	WeekStart    string  `json:"week_start,omitempty"`
	Shifts       []Shift `json:"shifts"`
	// SwappedTo names the colleague who took the shifts over, on the
	// shift.cancelled of an approved swap (reason "swapped").
	SwappedTo string `json:"swapped_to,omitempty"`
}

func tellEmployee(tx *outbox.Tx, typ, reason string, sh Shift) {
	tellEmployeeThat(tx, typ, PersonalShifts{Reason: reason, Shifts: []Shift{sh}})
}

// tellEmployeeThat emits ev on the personal topic of its first shift's
// employee, filling in the employee and department.
func tellEmployeeThat(tx *outbox.Tx, typ string, ev PersonalShifts) {
	sh := ev.Shifts[0]
	if sh.EmployeeID == nil {
		return
	}
	ev.EmployeeID, ev.DepartmentID = *sh.EmployeeID, sh.DepartmentID
	tx.Emit(outbox.UserTopic(*sh.EmployeeID), typ, ev)
}

// emitShift announces a shift change on its department topic: drafts to
// managers only, published shifts to everyone in the department.
func emitShift(tx *outbox.Tx, typ string, sh Shift) {
	if sh.Status == StatusDraft {
		tx.EmitManagers(outbox.DeptTopic(sh.DepartmentID), typ, sh)
		return
	}
	tx.Emit(outbox.DeptTopic(sh.DepartmentID), typ, sh)
}

// lockPeople locks the users rows of ids in ascending order (no deadlock
// between two writers locking the same two people). It must be the first
// read of a transaction that checks overlaps; see the package comment.
func lockPeople(ctx context.Context, tx *outbox.Tx, ids ...int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if id == 0 {
			continue
		}
		var got int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM users WHERE id = ?"+tx.DB.ForUpdate(), id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("employee")
		}
		if err != nil {
			return fmt.Errorf("roster: lock person %d: %w", id, err)
		}
	}
	return nil
}

// encodeShiftCursor makes the opaque keyset cursor of a shift list ordered
// by (starts_at, id).
func encodeShiftCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeShiftCursor(c string) (time.Time, int64, error) {
	bad := apperr.New(apperr.BadRequest, "cursor is not valid")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, bad
	}
	at, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return time.Time{}, 0, bad
	}
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, bad
	}
	return time.UnixMicro(us).UTC(), n, nil
}
