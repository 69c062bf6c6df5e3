package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// ClockInWindow is how early before a shift a clock-in without a shift id
// still counts for it.
const ClockInWindow = 2 * time.Hour

// AttendanceRecords answers ClockIns from the attendance_records table of
// the attendance issue: a record for the shift, or a clock-in by the person
// from ClockInWindow before the start until the end. No record means
// "not clocked in" (late, then no-show).
type AttendanceRecords struct{ DB *db.DB }

var _ ClockIns = AttendanceRecords{}

// ClockedIn reports whether a clock-in record exists.
func (a AttendanceRecords) ClockedIn(ctx context.Context, s Shift, employeeID int64) (bool, error) {
	var n int
	err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM attendance_records
		WHERE employee_id = ? AND (shift_id = ? OR (clock_in_at >= ? AND clock_in_at < ?))`,
		employeeID, s.ID, s.StartsAt.Add(-ClockInWindow).UTC(), s.EndsAt.UTC()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("worker: clock-ins: %w", err)
	}
	return n > 0, nil
}

// HasAttendance reports whether the attendance tables exist (the
// attendance issue's migration ran); until then no-show checks stand down.
func HasAttendance(ctx context.Context, d *db.DB) bool {
	var n int
	return d.QueryRowContext(ctx, `SELECT COUNT(*) FROM attendance_records WHERE 1 = 0`).Scan(&n) == nil
}
