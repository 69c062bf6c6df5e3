package reports

import (
	"context"
	"fmt"
	"time"
)

// LeaseTTL is how long an export attempt holds its report without renewing
// the lease; it renews every LeaseTTL/3 while it runs. A report still
// running after its lease lapsed lost its worker (killed, cut off): the
// worker's sweep (RetryLapsed) hands it to another attempt after at most
// LeaseTTL plus a sweep interval, instead of the queue's own lease recovery
// (about 80 s in asynq, which does not make its lease configurable).
const LeaseTTL = 15 * time.Second

// MaxAttempts bounds the attempts of one report, whether they failed or
// lost their worker; the sweep fails a report that used them all.
const MaxAttempts = 6

func (s *Service) now() time.Time { return s.W.Clock().UTC().Truncate(time.Microsecond) }

// claim starts an attempt: a queued or retrying report, or a running one
// whose lease lapsed, becomes running under a fresh lease. ok is false when
// the report is finished or another attempt holds it.
func (s *Service) claim(ctx context.Context, id int64) (attempt int, ok bool, err error) {
	now := s.now()
	res, err := s.W.DB.ExecContext(ctx, `UPDATE reports SET status = ?, attempts = attempts + 1, started_at = ?, lease_until = ?
		WHERE id = ? AND (status IN (?, ?) OR (status = ? AND (lease_until IS NULL OR lease_until < ?)))`,
		StatusRunning, now, now.Add(LeaseTTL), id, StatusQueued, StatusRetrying, StatusRunning, now)
	if err != nil {
		return 0, false, fmt.Errorf("reports: start: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, false, nil
	}
	if err := s.W.DB.QueryRowContext(ctx, `SELECT attempts FROM reports WHERE id = ?`, id).Scan(&attempt); err != nil {
		return 0, false, fmt.Errorf("reports: start: %w", err)
	}
	return attempt, true, nil
}

// hold renews the lease of attempt on report id every LeaseTTL/3 until the
// returned stop is called. When the lease is lost (the report was handed to
// another attempt after this one stalled) it cancels the returned context,
// so the stalled attempt gives up instead of racing its successor.
func (s *Service) hold(ctx context.Context, id int64, attempt int) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(LeaseTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			now := s.now()
			res, err := s.W.DB.ExecContext(ctx, `UPDATE reports SET lease_until = ? WHERE id = ? AND status = ? AND attempts = ?`,
				now.Add(LeaseTTL), id, StatusRunning, attempt)
			if err != nil {
				continue // the next tick tries again; the lease has room for two misses
			}
			if n, _ := res.RowsAffected(); n != 1 {
				cancel()
				return
			}
		}
	}()
	return ctx, func() { cancel(); <-done }
}

// Release hands an interrupted or failed attempt back: the report reads
// retrying until the next attempt claims it. The worker calls it when an
// attempt ends in an error that will be retried, or when it shuts down.
func (s *Service) Release(ctx context.Context, id int64, attempt int) error {
	_, err := s.W.DB.ExecContext(ctx, `UPDATE reports SET status = ?, lease_until = NULL WHERE id = ? AND status = ? AND attempts = ?`,
		StatusRetrying, id, StatusRunning, attempt)
	if err != nil {
		return fmt.Errorf("reports: release: %w", err)
	}
	return nil
}

// Attempt names one attempt of a report.
type Attempt struct {
	ReportID int64
	Attempt  int
}

// Lapsed returns the running reports whose lease ran out: their worker is
// gone.
func (s *Service) Lapsed(ctx context.Context) ([]Attempt, error) {
	return s.attempts(ctx, `SELECT id, attempts FROM reports WHERE status = ? AND lease_until < ? ORDER BY id`, StatusRunning, s.now())
}

// Unfinished returns every report not ready or failed. After a restart of
// the embedded server, whose queue lived in its memory, each needs a task.
func (s *Service) Unfinished(ctx context.Context) ([]Attempt, error) {
	return s.attempts(ctx, `SELECT id, attempts FROM reports WHERE status IN (?, ?, ?) ORDER BY id`, StatusQueued, StatusRunning, StatusRetrying)
}

func (s *Service) attempts(ctx context.Context, q string, args ...any) ([]Attempt, error) {
	rows, err := s.W.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: list attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.ReportID, &a.Attempt); err != nil {
			return nil, fmt.Errorf("reports: list attempts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Retry marks a lapsed (or, after an embedded restart, orphaned) attempt
// retrying once its next task is queued; it fails the report instead when
// it has used MaxAttempts. It changes nothing when the attempt moved on
// meanwhile (its successor already claimed it).
func (s *Service) Retry(ctx context.Context, a Attempt) (retried bool, err error) {
	if a.Attempt >= MaxAttempts {
		return false, s.Fail(ctx, a.ReportID, "the export was interrupted too often; try again later")
	}
	res, err := s.W.DB.ExecContext(ctx, `UPDATE reports SET status = ?, lease_until = NULL WHERE id = ? AND status IN (?, ?) AND attempts = ?`,
		StatusRetrying, a.ReportID, StatusRunning, StatusRetrying, a.Attempt)
	if err != nil {
		return false, fmt.Errorf("reports: retry: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
