// Package people owns the store settings, departments and employees, and
// signing in. Every method takes the calling principal and checks, with the
// object in hand, what that principal may do (internal/auth's policy).
package people

import (
	"context"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Service is the people domain.
type Service struct {
	W        *outbox.Writer
	Sessions *auth.Sessions
	Limiter  *auth.LoginLimiter
	// Passwords hashes new passwords (and, for attendance, kiosk PINs);
	// the zero value uses the production parameters.
	Passwords auth.Hasher
	// Leaving, when set, runs inside the transaction that deactivates a
	// person (depts nil: everywhere) or takes them out of departments
	// (depts: the ones they left), so that other domains let go of what
	// they hold for the person there: the roster opens their future shifts.
	Leaving func(ctx context.Context, tx *outbox.Tx, actor auth.Principal, employeeID int64, depts []int64) error
	// Rezone, when set, runs inside the transaction that changes the
	// store's time zone to loc, so that what other domains keep as local
	// calendar days follows the new zone: the roster's time off.
	Rezone func(ctx context.Context, tx *outbox.Tx, loc *time.Location) error

	storeCache storeCache
}

// Event names of this domain.
const (
	EventEmployeeUpdated = "employee.updated"
	EventStoreUpdated    = "store.updated"
	EventDeptUpdated     = "department.updated"
)

// checkVersion returns 409 stale_version when want is set and differs.
func checkVersion(want *int64, have int64, what string) error {
	if want != nil && *want != have {
		return apperr.Stale(what)
	}
	return nil
}

// dateLayout is the calendar date format of the API.
const dateLayout = time.DateOnly
