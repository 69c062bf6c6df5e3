package attendance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// refuseLocked answers 409 when any of times falls in a pay period the
// labor domain has locked (its pay_periods rows): a locked period's punches
// are what payroll was paid from, so punches and corrections inside it wait
// until an admin reopens it. A record belongs to the period of its
// clock-in. The read takes a shared lock (MySQL), so a period cannot be
// locked between this check and the punch's commit.
func refuseLocked(ctx context.Context, tx *outbox.Tx, times ...time.Time) error {
	for _, t := range times {
		if t.IsZero() {
			continue
		}
		var start string
		err := tx.QueryRowContext(ctx, "SELECT starts_on FROM pay_periods WHERE status = 'locked' AND starts_at <= ? AND ends_at > ?"+tx.DB.ForShare(),
			t.UTC(), t.UTC()).Scan(&start)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("attendance: pay period lock: %w", err)
		}
		return apperr.New(apperr.Conflict, "the pay period starting %s is locked: no punches or corrections in it until an admin reopens it", start)
	}
	return nil
}
