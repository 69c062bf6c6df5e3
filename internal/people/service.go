// Package people owns the store settings, departments and employees, and
// signing in. Every method takes the calling principal and checks, with the
// object in hand, what that principal may do (internal/auth's policy).
package people

import (
	"context"
	"database/sql"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Service is the people domain.
type Service struct {
	W        *outbox.Writer
	Sessions *auth.Sessions
	Limiter  *auth.LoginLimiter
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

// Page limits of list endpoints.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ListParams are the paging parameters of every list.
type ListParams struct {
	Limit  int
	Cursor string
}

// EncodeCursor makes an opaque cursor from the last id of a page.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

// DecodeCursor reads a cursor; "" is the first page.
func DecodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, apperr.New(apperr.BadRequest, "cursor is not valid")
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id < 0 {
		return 0, apperr.New(apperr.BadRequest, "cursor is not valid")
	}
	return id, nil
}

// Normalize applies the default and maximum limit.
func (p ListParams) Normalize() (ListParams, error) {
	switch {
	case p.Limit == 0:
		p.Limit = DefaultLimit
	case p.Limit < 0 || p.Limit > MaxLimit:
		return p, apperr.New(apperr.BadRequest, "limit must be between 1 and %d", MaxLimit)
	}
	return p, nil
}

// checkVersion returns 409 stale_version when want is set and differs.
func checkVersion(want *int64, have int64, what string) error {
	if want != nil && *want != have {
		return apperr.Stale(what)
	}
	return nil
}

// dateLayout is the calendar date format of the API.
const dateLayout = time.DateOnly

// ReadPage scans rows, queried ordered by id with LIMIT limit+1, into a page
// whose cursor is the id of its last item. It closes rows.
func ReadPage[T any](rows *sql.Rows, limit int, scan func(db.Scanner) (T, error), id func(T) int64) (Page[T], error) {
	items, err := db.Collect(rows, scan)
	if err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Items: items}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.NextCursor = EncodeCursor(id(out.Items[limit-1]))
	}
	return out, nil
}
