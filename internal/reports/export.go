package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Query is what a source needs to select its rows.
type Query struct {
	From, To     time.Time // days in the store's zone, To inclusive
	DepartmentID *int64
	Location     *time.Location
	WeekStart    time.Weekday // the store's first day of the week
	StoreName    string       // printed on the schedule PDF
}

// Source streams the rows of one report kind. Values are string, int64,
// float64, bool or time.Time. Stream holds no more than a row of its input
// in memory (a source that totals, like hours, holds one total per output
// row).
type Source interface {
	Columns() []string
	Stream(ctx context.Context, q Query, emit func(row []any) error) error
}

// ErrPermanent marks failures a retry cannot fix (the report is failed
// with the message as reason).
var ErrPermanent = errors.New("reports: permanent failure")

// Export builds report id: it streams the rows through the format writer
// into blob storage under the report's deterministic key, then marks the
// report ready and emits report.ready in one transaction guarded by the
// status, so however often a task is delivered (a worker killed mid-export
// and its lease recovered) the report completes exactly once. An attempt
// holds the report under a lease (claim, hold); one that ends in an error
// hands it back as retrying (Release).
func (s *Service) Export(ctx context.Context, id int64, st people.Store) error {
	r, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if r.Status == StatusReady || r.Status == StatusFailed {
		return nil
	}
	attempt, ok, err := s.claim(ctx, id)
	if err != nil || !ok {
		return err // !ok: another attempt holds it, or it finished meanwhile
	}
	ctx, stop := s.hold(ctx, id, attempt)
	defer stop()
	if err := s.export(ctx, r, st); err != nil {
		if rerr := s.Release(context.WithoutCancel(ctx), id, attempt); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

// export runs one claimed attempt of report r.
func (s *Service) export(ctx context.Context, r Report, st people.Store) error {
	id, loc := r.ID, st.Location()
	if s.InFlight != nil {
		s.InFlight(1)
		defer s.InFlight(-1)
	}
	src := s.Sources[r.Kind]
	if src == nil {
		return s.Fail(ctx, id, fmt.Sprintf("%s reports are not available on this server yet", r.Kind))
	}
	from, _ := time.ParseInLocation(dayLayout, r.From, loc)
	to, _ := time.ParseInLocation(dayLayout, r.To, loc)
	q := Query{From: from, To: to, DepartmentID: r.DepartmentID, Location: loc, WeekStart: time.Weekday(st.WeekStartsOn % 7), StoreName: st.Name}

	rows, size, err := s.write(ctx, r, src, q)
	if err != nil {
		if errors.Is(err, ErrPermanent) {
			return s.Fail(ctx, id, err.Error())
		}
		return err
	}
	return s.finish(ctx, r, rows, size)
}

// write pipes the formatted rows into the blob store; the store reads as
// the writer produces, so only a part (S3) or a buffer (dir) is in memory.
func (s *Service) write(ctx context.Context, r Report, src Source, q Query) (rows, size int64, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		n, werr := writeFormat(ctx, r.Format, r.Kind, pw, src, q)
		rows = n
		pw.CloseWithError(werr)
		done <- werr
	}()
	size, err = s.Blob.Put(ctx, r.Object(), pr)
	pr.CloseWithError(err) // unblocks the writer if Put gave up early
	if werr := <-done; werr != nil {
		return 0, 0, werr
	}
	return rows, size, err
}

func (s *Service) finish(ctx context.Context, r Report, rows, size int64) error {
	url, err := s.Blob.URL(ctx, r.Object(), LinkTTL)
	if err != nil {
		return err
	}
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET status = ?, object_key = ?, row_count = ?, size_bytes = ?, finished_at = ?, reason = ''
			WHERE id = ? AND status = ?`, StatusReady, r.Object().Key, rows, size, tx.Now(), r.ID, StatusRunning)
		if err != nil {
			return fmt.Errorf("reports: finish: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			tx.Emit(outbox.UserTopic(r.RequestedBy), EventReady, map[string]any{
				"id": r.ID, "kind": r.Kind, "format": r.Format, "status": StatusReady, "download_url": url})
			tx.Audit(outbox.Audit{Action: "report.ready", Entity: "report", EntityID: r.ID, Detail: map[string]int64{"rows": rows, "bytes": size}})
		}
		return nil
	})
}

// Fail marks report id failed with reason, once, and tells the requester.
func (s *Service) Fail(ctx context.Context, id int64, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return s.fail(ctx, id, reason)
}
