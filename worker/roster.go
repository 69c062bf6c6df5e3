package worker

import (
	"context"
	"errors"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/roster"
)

// RosterShifts looks shifts up in the roster (ShiftLookup).
type RosterShifts struct{ Roster *roster.Service }

var _ ShiftLookup = RosterShifts{}

// LookupShift returns the shift as it is now, or db.ErrNotFound.
func (r RosterShifts) LookupShift(ctx context.Context, id int64) (Shift, error) {
	sh, err := r.Roster.GetShift(ctx, auth.System, id)
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == apperr.NotFound {
		return Shift{}, db.ErrNotFound
	}
	if err != nil {
		return Shift{}, err
	}
	return sh, nil
}
