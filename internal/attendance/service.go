package attendance

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Event names of this domain, on the department topic.
const (
	EventClockIn    = "attendance.clock_in"
	EventClockOut   = "attendance.clock_out"
	EventBreakStart = "attendance.break_start"
	EventBreakEnd   = "attendance.break_end"
	EventCorrected  = "attendance.corrected"
)

// Record sources.
const (
	SourceSelf    = "self"
	SourceKiosk   = "kiosk"
	SourceManager = "manager"
)

// PlannedShift is what attendance needs of a scheduled shift.
type PlannedShift struct {
	ID           int64
	DepartmentID int64
	EmployeeID   int64
	StartsAt     time.Time
	EndsAt       time.Time
	Position     string
}

// ShiftFilter selects published shifts overlapping [From, To).
type ShiftFilter struct {
	From, To      time.Time
	EmployeeID    int64   // 0: everyone
	DepartmentIDs []int64 // empty: every department
	IDs           []int64 // when set, exactly these shifts
}

// Shifts reads published shifts. The roster owns the table;
// SQLShifts reads it directly, and a nil Shifts means no schedule yet.
type Shifts interface {
	Published(ctx context.Context, q Querier, f ShiftFilter) ([]PlannedShift, error)
}

// Querier is a *sql.DB or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Service is the attendance domain.
type Service struct {
	W      *outbox.Writer
	People *people.Service
	Shifts Shifts
	// PINs throttles kiosk PIN attempts (see kiosk.go).
	PINs auth.Window
}

// New returns the service; r holds the PIN attempt counters.
func New(w *outbox.Writer, ppl *people.Service, shifts Shifts, r redis.UniversalClient) *Service {
	return &Service{W: w, People: ppl, Shifts: shifts, PINs: auth.Window{R: r, Clock: w.Clock, Size: PINWindow}}
}

func (s *Service) published(ctx context.Context, q Querier, f ShiftFilter) ([]PlannedShift, error) {
	if s.Shifts == nil {
		return nil, nil
	}
	return s.Shifts.Published(ctx, q, f)
}

// SQLShifts reads published shifts from the roster's shifts table.
type SQLShifts struct{}

// Published implements Shifts.
func (SQLShifts) Published(ctx context.Context, q Querier, f ShiftFilter) ([]PlannedShift, error) {
	where := []string{"status = 'published'", "employee_id IS NOT NULL"}
	var args []any
	if len(f.IDs) > 0 {
		where = append(where, "id IN ("+db.Placeholders(len(f.IDs))+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	} else {
		where = append(where, "starts_at < ?", "ends_at > ?")
		args = append(args, f.To.UTC(), f.From.UTC())
	}
	if f.EmployeeID != 0 {
		where = append(where, "employee_id = ?")
		args = append(args, f.EmployeeID)
	}
	if len(f.DepartmentIDs) > 0 {
		where = append(where, "department_id IN ("+db.Placeholders(len(f.DepartmentIDs))+")")
		for _, id := range f.DepartmentIDs {
			args = append(args, id)
		}
	}
	rows, err := q.QueryContext(ctx, "SELECT id, department_id, employee_id, starts_at, ends_at, position FROM shifts WHERE "+
		strings.Join(where, " AND ")+" ORDER BY starts_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("attendance: shifts: %w", err)
	}
	defer rows.Close()
	var out []PlannedShift
	for rows.Next() {
		var sh PlannedShift
		if err := rows.Scan(&sh.ID, &sh.DepartmentID, &sh.EmployeeID, &sh.StartsAt, &sh.EndsAt, &sh.Position); err != nil {
			return nil, fmt.Errorf("attendance: shifts: %w", err)
		}
		sh.StartsAt, sh.EndsAt = sh.StartsAt.UTC(), sh.EndsAt.UTC()
		out = append(out, sh)
	}
	return out, rows.Err()
}
