package labor

import (
	"context"
	"fmt"
	"strings"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Events of timesheets.
const (
	// EventTimesheetsChanged tells managers that a period's approvals or
	// lock changed: timesheet screens fetch it again.
	EventTimesheetsChanged = "timesheet.changed"
	// EventPunchFlagged tells the person's managers that a punch was flagged.
	EventPunchFlagged = "timesheet.flagged"
)

// TimesheetFilter selects GET /timesheets.
type TimesheetFilter struct {
	PeriodStart  string
	DepartmentID int64
}

// ListTimesheets returns the period's timesheets of the people p may see
// (managers their departments' people, admins everyone); employees use
// MyTimesheet.
func (s *Service) ListTimesheets(ctx context.Context, p auth.Principal, f TimesheetFilter) (Timesheets, error) {
	if err := auth.RequireManager(p); err != nil {
		return Timesheets{}, err
	}
	if f.DepartmentID != 0 {
		if err := auth.RequireManagerOf(p, f.DepartmentID); err != nil {
			return Timesheets{}, err
		}
	}
	return s.timesheets(ctx, s.W.DB, p, f.PeriodStart, sheetQuery{visible: visibleFor(p), dept: f.DepartmentID})
}

// MyTimesheet returns the caller's own timesheet of a period.
func (s *Service) MyTimesheet(ctx context.Context, p auth.Principal, periodStart string) (Timesheets, error) {
	if p.ClocksOnly() {
		return Timesheets{}, auth.ErrForbidden
	}
	self := func(emp int64, _ []int64) bool { return emp == p.UserID }
	return s.timesheets(ctx, s.W.DB, p, periodStart, sheetQuery{visible: self, only: p.UserID})
}

func (s *Service) timesheets(ctx context.Context, q querier, p auth.Principal, periodStart string, sq sheetQuery) (Timesheets, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Timesheets{}, err
	}
	set, err := s.GetSettings(ctx)
	if err != nil {
		return Timesheets{}, err
	}
	per, err := periodFrom("period_start", periodStart, s.W.Clock(), set, st)
	if err != nil {
		return Timesheets{}, err
	}
	if _, err := loadPeriodStatus(ctx, q, &per, ""); err != nil {
		return Timesheets{}, err
	}
	items, err := s.buildSheets(ctx, q, st, set, per, sq)
	if err != nil {
		return Timesheets{}, err
	}
	out := Timesheets{Period: per, Currency: set.Currency, Items: items}
	for _, t := range items {
		out.RegularMinutes += t.RegularMinutes
		out.OvertimeMinutes += t.OvertimeMinutes
		out.CostCents += t.CostCents
	}
	return out, nil
}

// ApproveInput is the body of POST /timesheets/approve: the people, or
// every person of a department the caller manages.
type ApproveInput struct {
	PeriodStart  string  `json:"period_start"`
	EmployeeIDs  []int64 `json:"employee_ids"`
	DepartmentID int64   `json:"department_id"`
}

// ApproveResult lists who was approved.
type ApproveResult struct {
	PeriodStart string  `json:"period_start"`
	Approved    []int64 `json:"approved"`
}

// Approve approves timesheets of a period (managers of the people,
// admins; never one's own unless admin). A person with a punch still open
// in the period is refused, all or nothing: 409 listing the open punches.
// An approval holds while the person's punches stay as approved: a later
// correction withdraws it.
func (s *Service) Approve(ctx context.Context, p auth.Principal, in ApproveInput) (ApproveResult, error) {
	if err := auth.RequireManager(p); err != nil {
		return ApproveResult{}, err
	}
	if (len(in.EmployeeIDs) == 0) == (in.DepartmentID == 0) {
		return ApproveResult{}, apperr.Field("employee_ids", "name the people (employee_ids) or a department (department_id)")
	}
	if len(in.EmployeeIDs) > 1000 {
		return ApproveResult{}, apperr.Field("employee_ids", "at most 1000 people at once")
	}
	if in.DepartmentID != 0 {
		if err := auth.RequireManagerOf(p, in.DepartmentID); err != nil {
			return ApproveResult{}, err
		}
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return ApproveResult{}, err
	}
	set, err := s.GetSettings(ctx)
	if err != nil {
		return ApproveResult{}, err
	}
	per, err := periodFrom("period_start", in.PeriodStart, s.W.Clock(), set, st)
	if err != nil {
		return ApproveResult{}, err
	}
	if in.PeriodStart == "" {
		return ApproveResult{}, apperr.Field("period_start", "is required")
	}
	out := ApproveResult{PeriodStart: per.StartsOn, Approved: []int64{}}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		// The period's row first: it serialises approvals with lock and
		// reopen, and its status says whether the period is locked.
		if err := ensurePeriodRow(ctx, tx, per); err != nil {
			return err
		}
		if _, err := loadPeriodStatus(ctx, tx, &per, tx.DB.ForUpdate()); err != nil {
			return err
		}
		if per.Status == PeriodLocked {
			return apperr.New(apperr.Conflict, "the pay period starting %s is locked; an admin reopens it", per.StartsOn)
		}
		want := map[int64]bool{}
		for _, id := range in.EmployeeIDs {
			want[id] = true
		}
		vis := visibleFor(p)
		sq := sheetQuery{dept: in.DepartmentID, visible: func(emp int64, depts []int64) bool {
			return (in.DepartmentID != 0 || want[emp]) && vis(emp, depts) && (p.IsAdmin() || emp != p.UserID)
		}}
		sheets, err := s.buildSheets(ctx, tx, st, set, per, sq)
		if err != nil {
			return err
		}
		found := map[int64]bool{}
		var open []apperr.ConflictItem
		for _, t := range sheets {
			found[t.EmployeeID] = true
			for _, pu := range t.Punches {
				if pu.Open {
					at := pu.ClockInAt
					open = append(open, apperr.ConflictItem{Kind: "open_punch", ID: pu.RecordID, StartsAt: &at})
				}
			}
		}
		for id := range want {
			if !found[id] {
				return apperr.NotFoundf(fmt.Sprintf("timesheet of employee %d in this period", id))
			}
		}
		if len(open) > 0 {
			return &apperr.Error{Code: apperr.Conflict, Message: "punches are still open in this period; clock them out or correct them first", Conflicts: open}
		}
		for _, t := range sheets {
			if _, err := tx.ExecContext(ctx, "DELETE FROM timesheet_approvals WHERE period_start = ? AND employee_id = ?", per.StartsOn, t.EmployeeID); err != nil {
				return fmt.Errorf("labor: approve: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO timesheet_approvals (period_start, employee_id, fingerprint, approved_by, approved_at) VALUES (?, ?, ?, ?, ?)",
				per.StartsOn, t.EmployeeID, t.fingerprint, p.UserID, tx.Now()); err != nil {
				return fmt.Errorf("labor: approve: %w", err)
			}
			out.Approved = append(out.Approved, t.EmployeeID)
			tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "timesheet.approve", Entity: "employee", EntityID: t.EmployeeID,
				Detail: map[string]any{"period_start": per.StartsOn, "regular_minutes": t.RegularMinutes, "overtime_minutes": t.OvertimeMinutes, "cost_cents": t.CostCents}})
		}
		emitTimesheets(tx, sheets, per.StartsOn)
		return nil
	})
	return out, err
}

func emitTimesheets(tx *outbox.Tx, sheets []Timesheet, period string) {
	seen := map[int64]bool{}
	for _, t := range sheets {
		for _, d := range t.DepartmentIDs {
			if !seen[d] {
				seen[d] = true
				tx.EmitManagers(outbox.DeptTopic(d), EventTimesheetsChanged, map[string]any{"period_start": period, "department_id": d})
			}
		}
	}
}

func ensurePeriodRow(ctx context.Context, tx *outbox.Tx, per Period) error {
	ignore := "INSERT OR IGNORE"
	if tx.DB.IsMySQL() {
		ignore = "INSERT IGNORE"
	}
	_, err := tx.ExecContext(ctx, ignore+" INTO pay_periods (starts_on, ends_on, starts_at, ends_at, status, version, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
		per.StartsOn, per.EndsOn, per.start.UTC(), per.end.UTC(), PeriodOpen, tx.Now())
	if err != nil {
		return fmt.Errorf("labor: pay period: %w", err)
	}
	return nil
}

// LockInput is the body of POST /pay-periods/{start}/lock and /reopen.
type LockInput struct {
	Reason string `json:"reason"`
}

// Lock locks a pay period (managers, admins; audited): every timesheet
// in it must be approved as it stands and no punch open, else 409 with the
// list. A locked period refuses punches and corrections inside it.
func (s *Service) Lock(ctx context.Context, p auth.Principal, start string, in LockInput) (Period, error) {
	if err := auth.RequireManager(p); err != nil {
		return Period{}, err
	}
	return s.setLock(ctx, p, start, true, in)
}

// Reopen unlocks a locked pay period (admins; audited, reason required).
func (s *Service) Reopen(ctx context.Context, p auth.Principal, start string, in LockInput) (Period, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return Period{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if l := len(in.Reason); l < 3 || l > 500 {
		return Period{}, apperr.Field("reason", "say why, in 3 to 500 characters")
	}
	return s.setLock(ctx, p, start, false, in)
}

func (s *Service) setLock(ctx context.Context, p auth.Principal, start string, lock bool, in LockInput) (Period, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Period{}, err
	}
	set, err := s.GetSettings(ctx)
	if err != nil {
		return Period{}, err
	}
	if start == "" {
		return Period{}, apperr.Field("period_start", "is required")
	}
	per, err := periodFrom("period_start", start, s.W.Clock(), set, st)
	if err != nil {
		return Period{}, err
	}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		if err := ensurePeriodRow(ctx, tx, per); err != nil {
			return err
		}
		if _, err := loadPeriodStatus(ctx, tx, &per, tx.DB.ForUpdate()); err != nil {
			return err
		}
		if lock == (per.Status == PeriodLocked) {
			return apperr.New(apperr.Conflict, "the pay period starting %s is already %s", per.StartsOn, per.Status)
		}
		var sheets []Timesheet
		if lock {
			var err error
			sheets, err = s.buildSheets(ctx, tx, st, set, per, sheetQuery{visible: func(int64, []int64) bool { return true }})
			if err != nil {
				return err
			}
			var items []apperr.ConflictItem
			for _, t := range sheets {
				for _, pu := range t.Punches {
					if pu.Open {
						at := pu.ClockInAt
						items = append(items, apperr.ConflictItem{Kind: "open_punch", ID: pu.RecordID, StartsAt: &at})
					}
				}
				if !t.Approved && len(t.Punches) > 0 {
					items = append(items, apperr.ConflictItem{Kind: "not_approved", ID: t.EmployeeID})
				}
			}
			if len(items) > 0 {
				return &apperr.Error{Code: apperr.Conflict, Message: "every timesheet with punches must be approved, and no punch open, before the period is locked", Conflicts: items}
			}
		}
		status, at, by := PeriodOpen, any(nil), any(nil)
		action := "pay_period.reopen"
		if lock {
			status, at, by = PeriodLocked, tx.Now(), p.UserID
			action = "pay_period.lock"
		}
		if _, err := tx.ExecContext(ctx, "UPDATE pay_periods SET status = ?, locked_at = ?, locked_by = ?, version = version + 1, updated_at = ? WHERE starts_on = ?",
			status, at, by, tx.Now(), per.StartsOn); err != nil {
			return fmt.Errorf("labor: lock: %w", err)
		}
		if _, err := loadPeriodStatus(ctx, tx, &per, ""); err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: action, Entity: "pay_period", Detail: map[string]any{"period_start": per.StartsOn, "reason": in.Reason}})
		tx.Emit(outbox.TopicStore, EventTimesheetsChanged, map[string]any{"period_start": per.StartsOn, "status": status})
		return nil
	})
	return per, err
}

// FlagInput is the body of POST /attendance/{id}/flags.
type FlagInput struct {
	Comment string `json:"comment"`
}

// FlagPunch lets a person say one of their own punches is wrong; their
// managers hear it and see it on the timesheet.
func (s *Service) FlagPunch(ctx context.Context, p auth.Principal, record int64, in FlagInput) (Flag, error) {
	in.Comment = strings.TrimSpace(in.Comment)
	if l := len(in.Comment); l < 3 || l > 500 {
		return Flag{}, apperr.Field("comment", "say what is wrong, in 3 to 500 characters")
	}
	var out Flag
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		var emp int64
		err := tx.QueryRowContext(ctx, "SELECT employee_id FROM attendance_records WHERE id = ?", record).Scan(&emp)
		if err != nil || emp != p.UserID {
			// Someone else's punch is as unknown as a missing one.
			return apperr.NotFoundf("attendance record")
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO punch_flags (record_id, employee_id, comment, created_at) VALUES (?, ?, ?, ?)", record, emp, in.Comment, tx.Now())
		if err != nil {
			return fmt.Errorf("labor: flag: %w", err)
		}
		out = Flag{RecordID: record, Comment: in.Comment, CreatedAt: tx.Now()}
		out.ID, _ = res.LastInsertId()
		depts, err := auth.DeptIDs(ctx, tx, emp)
		if err != nil {
			return err
		}
		for _, d := range depts {
			tx.EmitManagers(outbox.DeptTopic(d), EventPunchFlagged, map[string]any{"record_id": record, "employee_id": emp, "comment": in.Comment})
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "attendance.flag", Entity: "attendance_record", EntityID: record, Detail: in})
		return nil
	})
	return out, err
}
