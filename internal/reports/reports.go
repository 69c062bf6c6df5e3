// Package reports builds report exports: a request row (queued → running →
// ready | failed, retrying between attempts), a worker task per report, and
// the export itself streamed from the database through a format writer into
// blob storage, so memory stays flat however many rows there are.
package reports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
)

// Kinds, formats and statuses.
const (
	KindAttendance = "attendance"
	KindHours      = "hours"
	KindSchedule   = "schedule"
	// The payroll kinds: a locked pay period's pay per person (xlsx adds a
	// sheet per punch), its punches alone, and the PaymentEvolution
	// timesheet import layout. internal/labor provides their sources.
	KindPayroll        = "payroll"
	KindPayrollPunches = "payroll_punches"
	KindPayrollPE      = "payroll_paymentevolution"

	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	FormatPDF  = "pdf"

	StatusQueued  = "queued"
	StatusRunning = "running"
	StatusReady   = "ready"
	StatusFailed  = "failed"
	// StatusRetrying: an attempt failed or lost its worker; another follows.
	StatusRetrying = "retrying"
)

// EventReady is emitted on the requester's topic when a report is done
// (status ready or failed).
const EventReady = "report.ready"

// MaxSpanDays bounds a report's date range.
const MaxSpanDays = 366

// LinkTTL is how long a download link works.
const LinkTTL = 24 * time.Hour

const dayLayout = "2006-01-02"

// KindInfo describes one report kind: what it holds and the formats it can
// be built in (GET /reports/kinds).
type KindInfo struct {
	Kind        string   `json:"kind"`
	Label       string   `json:"label"`
	Description string   `json:"description"`
	Formats     []string `json:"formats"`
}

// kinds lists the report kinds in the order a screen offers them.
var kinds = []KindInfo{
	{KindHours, "Hours worked", "Per person and week: hours worked from attendance (punches minus breaks), scheduled hours, overtime over the weekly maximum.", []string{FormatCSV, FormatXLSX}},
	{KindAttendance, "Attendance", "Every published shift with its punches (late, early leave, no-show) and every punch without a shift.", []string{FormatCSV, FormatXLSX}},
	{KindSchedule, "Schedule", "The published shifts; as PDF, a printable people × days grid per week.", []string{FormatCSV, FormatXLSX, FormatPDF}},
	{KindPayroll, "Payroll", "A locked pay period: per person and rate, regular and overtime hours and gross pay; as XLSX with a sheet of every punch.", []string{FormatCSV, FormatXLSX}},
	{KindPayrollPunches, "Payroll punches", "A locked pay period's punches, each with its regular and overtime minutes, rate and cost.", []string{FormatCSV, FormatXLSX}},
	{KindPayrollPE, "Payroll: PaymentEvolution import", "A locked pay period in PaymentEvolution's timesheet import layout (CSV, no header row).", []string{FormatCSV}},
}

// Checker is a source that checks a request before it is queued (a
// payroll needs a locked pay period): a 4xx error refuses it.
type Checker interface {
	Check(ctx context.Context, p auth.Principal, from, to string, dept *int64) error
}

// Detailed is a source whose XLSX export holds a second sheet.
type Detailed interface {
	DetailSheet() (name string, src Source)
}

// Headless is a source whose CSV has no header row (an import layout
// defined by position).
type Headless interface {
	NoHeader() bool
}

// Kinds returns the report kinds with their formats.
func Kinds() []KindInfo { return slices.Clone(kinds) }

func kindInfo(kind string) (KindInfo, bool) {
	for _, k := range kinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return KindInfo{}, false
}

// Request is the body of POST /reports.
type Request struct {
	Kind         string `json:"kind"`
	Format       string `json:"format"`
	From         string `json:"from"`
	To           string `json:"to"`
	DepartmentID *int64 `json:"department_id"`
}

// Report is one export.
type Report struct {
	ID           int64      `json:"id"`
	RequestedBy  int64      `json:"requested_by"`
	Kind         string     `json:"kind"`
	Format       string     `json:"format"`
	From         string     `json:"from"`
	To           string     `json:"to"`
	DepartmentID *int64     `json:"department_id"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason,omitempty"`
	Rows         int64      `json:"rows"`
	SizeBytes    int64      `json:"size_bytes"`
	CreatedAt    time.Time  `json:"created_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	DownloadURL  string     `json:"download_url,omitempty"`
	objectKey    string
}

// Object is where the report's file lives: a key that depends only on the
// report, so a retried export overwrites its own earlier attempt.
func (r Report) Object() blob.Object {
	ext := r.Format
	ctype := map[string]string{FormatCSV: "text/csv; charset=utf-8", FormatPDF: "application/pdf",
		FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[r.Format]
	return blob.Object{
		Key:         fmt.Sprintf("%d/%s-%s-%s.%s", r.ID, r.Kind, r.From, r.To, ext),
		ContentType: ctype,
		Filename:    fmt.Sprintf("%s-%s-%s.%s", r.Kind, r.From, r.To, ext),
	}
}

// Enqueuer queues the export task of a report (the worker's asynq client).
type Enqueuer interface {
	EnqueueExport(ctx context.Context, reportID int64) error
}

// Service creates, reads and builds reports.
type Service struct {
	W       *outbox.Writer
	Queue   Enqueuer
	Blob    blob.Store
	Sources map[string]Source
	// InFlight, when set, counts running exports (the ExportsInFlight metric).
	InFlight func(delta int)
}

// Create validates and records a request, then queues its export.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Request) (Report, error) {
	if err := auth.RequireManager(p); err != nil {
		return Report{}, err
	}
	f := apperr.Fields{}
	if k, ok := kindInfo(in.Kind); !ok {
		f.Add("kind", "must be one of GET /reports/kinds")
	} else if !slices.Contains(k.Formats, in.Format) {
		f.Add("format", fmt.Sprintf("%s reports come as %s", k.Kind, strings.Join(k.Formats, ", ")))
	}
	from, ferr := time.Parse(dayLayout, in.From)
	to, terr := time.Parse(dayLayout, in.To)
	if ferr != nil {
		f.Add("from", "must be a date like 2026-03-01")
	}
	if terr != nil {
		f.Add("to", "must be a date like 2026-03-07")
	}
	if ferr == nil && terr == nil && (to.Before(from) || to.Sub(from) > MaxSpanDays*24*time.Hour) {
		f.Add("to", fmt.Sprintf("must be on or after from, at most %d days later", MaxSpanDays))
	}
	if err := f.Err(); err != nil {
		return Report{}, err
	}
	if in.DepartmentID != nil {
		if err := auth.RequireManagerOf(p, *in.DepartmentID); err != nil {
			return Report{}, err
		}
	} else if !p.IsAdmin() {
		return Report{}, apperr.Field("department_id", "required for managers")
	}
	if c, ok := s.Sources[in.Kind].(Checker); ok {
		if err := c.Check(ctx, p, in.From, in.To, in.DepartmentID); err != nil {
			return Report{}, err
		}
	}
	var id int64
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		var dept sql.NullInt64
		if in.DepartmentID != nil {
			dept = sql.NullInt64{Int64: *in.DepartmentID, Valid: true}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO reports (requested_by, kind, format, from_day, to_day, department_id, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.UserID, in.Kind, in.Format, from, to, dept, StatusQueued, tx.Now())
		if err != nil {
			return fmt.Errorf("reports: insert: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "report.requested", Entity: "report", EntityID: id, Detail: in})
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	if err := s.Queue.EnqueueExport(ctx, id); err != nil {
		s.fail(context.WithoutCancel(ctx), id, "could not be queued")
		return Report{}, apperr.New(apperr.Unavailable, "the report queue is unavailable; try again")
	}
	return s.load(ctx, id)
}

// Get returns a report to its requester or an admin, with a fresh download
// link when it is ready.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Report, error) {
	r, err := s.load(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && r.RequestedBy != p.UserID && !p.IsAdmin()) {
		return Report{}, apperr.NotFoundf("report")
	}
	if err != nil {
		return r, err
	}
	return r, s.link(ctx, &r)
}

// List returns the caller's own reports, newest first, each ready one with
// a fresh download link. Cursors page backwards by id.
func (s *Service) List(ctx context.Context, p auth.Principal, lp paging.ListParams) (paging.Page[Report], error) {
	lp, err := lp.Normalize()
	if err != nil {
		return paging.Page[Report]{}, err
	}
	before, err := paging.DecodeCursor(lp.Cursor)
	if err != nil {
		return paging.Page[Report]{}, err
	}
	where, args := "requested_by = ?", []any{p.UserID}
	if before > 0 {
		where, args = where+" AND id < ?", append(args, before)
	}
	rows, err := s.W.DB.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE `+where+` ORDER BY id DESC LIMIT ?`, append(args, lp.Limit+1)...)
	if err != nil {
		return paging.Page[Report]{}, fmt.Errorf("reports: list: %w", err)
	}
	page, err := paging.ReadPage(rows, lp.Limit, scanReport, func(r Report) int64 { return r.ID })
	if err != nil {
		return paging.Page[Report]{}, fmt.Errorf("reports: list: %w", err)
	}
	for i := range page.Items {
		if err := s.link(ctx, &page.Items[i]); err != nil {
			return paging.Page[Report]{}, err
		}
	}
	return page, nil
}

// link sets the download link of a ready report.
func (s *Service) link(ctx context.Context, r *Report) error {
	if r.Status != StatusReady {
		return nil
	}
	url, err := s.Blob.URL(ctx, r.Object(), LinkTTL)
	if err != nil {
		return fmt.Errorf("reports: link: %w", err)
	}
	r.DownloadURL = url
	return nil
}

const reportColumns = `id, requested_by, kind, format, from_day, to_day, department_id, status, reason, object_key, row_count, size_bytes, created_at, finished_at`

func (s *Service) load(ctx context.Context, id int64) (Report, error) {
	r, err := scanReport(s.W.DB.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, db.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("reports: load: %w", err)
	}
	return r, nil
}

func scanReport(row db.Scanner) (Report, error) {
	var r Report
	var from, to time.Time
	var dept sql.NullInt64
	var fin sql.NullTime
	if err := row.Scan(&r.ID, &r.RequestedBy, &r.Kind, &r.Format, &from, &to, &dept, &r.Status, &r.Reason, &r.objectKey, &r.Rows, &r.SizeBytes, &r.CreatedAt, &fin); err != nil {
		return r, err
	}
	r.From, r.To = from.Format(dayLayout), to.Format(dayLayout)
	r.CreatedAt = r.CreatedAt.UTC()
	if dept.Valid {
		r.DepartmentID = &dept.Int64
	}
	if fin.Valid {
		t := fin.Time.UTC()
		r.FinishedAt = &t
	}
	return r, nil
}

// fail marks a report failed with a reason (once) and tells the requester.
func (s *Service) fail(ctx context.Context, id int64, reason string) error {
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		var requester int64
		var kind, format string
		if err := tx.QueryRowContext(ctx, `SELECT requested_by, kind, format FROM reports WHERE id = ?`+tx.DB.ForUpdate(), id).Scan(&requester, &kind, &format); err != nil {
			return fmt.Errorf("reports: fail: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE reports SET status = ?, reason = ?, finished_at = ? WHERE id = ? AND status IN (?, ?, ?)`,
			StatusFailed, reason, tx.Now(), id, StatusQueued, StatusRunning, StatusRetrying)
		if err != nil {
			return fmt.Errorf("reports: fail: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			tx.Emit(outbox.UserTopic(requester), EventReady, map[string]any{"id": id, "kind": kind, "format": format, "status": StatusFailed})
		}
		return nil
	})
}
