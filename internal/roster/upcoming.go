package roster

import (
	"context"
	"time"
)

// UpcomingAssigned returns every published shift with a person that has
// not ended at now, in time order: the shifts whose reminders and late and
// no-show checks may still be due. The embedded server re-derives those
// timers from it after a restart, since its queue died with the process.
func (s *Service) UpcomingAssigned(ctx context.Context, now time.Time) ([]Shift, error) {
	return queryShifts(ctx, s.W.DB, "SELECT "+shiftColumns+" FROM shifts WHERE status = ? AND employee_id IS NOT NULL AND ends_at > ? ORDER BY starts_at, id",
		StatusPublished, now.UTC())
}
