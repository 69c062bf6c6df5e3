package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
)

// Swap statuses: A offers (pending), B accepts (accepted), a manager
// approves or denies; B may decline and A withdraw while it is not final
// (denied).
const (
	SwapPending  = "pending"
	SwapAccepted = "accepted"
	SwapApproved = "approved"
	SwapDenied   = "denied"
)

// Swap is a request to hand a published shift to a colleague; also the
// payload of swap.requested|decided.
type Swap struct {
	ID             int64  `json:"id"`
	ShiftID        int64  `json:"shift_id"`
	FromEmployeeID int64  `json:"from_employee_id"`
	ToEmployeeID   int64  `json:"to_employee_id"`
	Status         string `json:"status"`
	DecidedBy      *int64 `json:"decided_by,omitempty"`
	Version        int64  `json:"version"`
	// The shift as people know it (day, time, department), so no screen or
	// message has to say "shift #27".
	ShiftStartsAt  time.Time `json:"shift_starts_at"`
	ShiftEndsAt    time.Time `json:"shift_ends_at"`
	DepartmentID   int64     `json:"department_id"`
	DepartmentName string    `json:"department_name"`
	FromName       string    `json:"from_name"`
	ToName         string    `json:"to_name"`
	// Shift is the shift after an approved swap.
	Shift    *Shift    `json:"shift,omitempty"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// SwapInput is the body of POST /shifts/{id}/swap-requests.
type SwapInput struct {
	ToEmployeeID int64 `json:"to_employee_id"`
}

const swapColumns = "id, shift_id, from_employee_id, to_employee_id, status, decided_by, version"

// swapDescribed reads a swap with its shift's time and department.
const swapDescribed = `SELECT w.id, w.shift_id, w.from_employee_id, w.to_employee_id, w.status, w.decided_by, w.version,
	s.starts_at, s.ends_at, s.department_id, d.name, f.first_name, f.last_name, t.first_name, t.last_name
	FROM swap_requests w JOIN shifts s ON s.id = w.shift_id JOIN departments d ON d.id = s.department_id
	JOIN users f ON f.id = w.from_employee_id JOIN users t ON t.id = w.to_employee_id`

func scanDescribedSwap(r db.Scanner) (Swap, error) {
	var w Swap
	var by sql.NullInt64
	var fFirst, fLast, tFirst, tLast string
	err := r.Scan(&w.ID, &w.ShiftID, &w.FromEmployeeID, &w.ToEmployeeID, &w.Status, &by, &w.Version,
		&w.ShiftStartsAt, &w.ShiftEndsAt, &w.DepartmentID, &w.DepartmentName, &fFirst, &fLast, &tFirst, &tLast)
	w.FromName, w.ToName = fFirst+" "+fLast, tFirst+" "+tLast
	if by.Valid {
		v := by.Int64
		w.DecidedBy = &v
	}
	w.ShiftStartsAt, w.ShiftEndsAt = w.ShiftStartsAt.UTC(), w.ShiftEndsAt.UTC()
	return w, err
}

// describeSwap reads the swap id as it is now, with its shift's time and
// department.
func describeSwap(ctx context.Context, q querier, id int64) (Swap, error) {
	w, err := scanDescribedSwap(q.QueryRowContext(ctx, swapDescribed+" WHERE w.id = ?", id))
	if err != nil {
		return Swap{}, fmt.Errorf("roster: read swap: %w", err)
	}
	return w, nil
}

func scanSwap(r db.Scanner) (Swap, error) {
	var w Swap
	var by sql.NullInt64
	err := r.Scan(&w.ID, &w.ShiftID, &w.FromEmployeeID, &w.ToEmployeeID, &w.Status, &by, &w.Version)
	if by.Valid {
		v := by.Int64
		w.DecidedBy = &v
	}
	return w, err
}

func emitSwap(tx *outbox.Tx, typ string, dept int64, w Swap) {
	tx.EmitManagers(outbox.DeptTopic(dept), typ, w)
	tx.Emit(outbox.UserTopic(w.FromEmployeeID), typ, w)
	tx.Emit(outbox.UserTopic(w.ToEmployeeID), typ, w)
}

// RequestSwap: the assignee of a published shift offers it to a colleague
// of the department.
func (s *Service) RequestSwap(ctx context.Context, p auth.Principal, shiftID int64, in SwapInput) (Swap, error) {
	var out Swap
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := loadVisibleShift(ctx, tx, p, shiftID, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		if cur.employee() != p.UserID {
			return auth.ErrForbidden
		}
		if cur.Status != StatusPublished {
			return apperr.New(apperr.Conflict, "only published shifts can be swapped")
		}
		if in.ToEmployeeID <= 0 || in.ToEmployeeID == p.UserID {
			return apperr.Field("to_employee_id", "must be a colleague's id")
		}
		who, err := loadPerson(ctx, tx, in.ToEmployeeID, cur.DepartmentID, "")
		if err != nil {
			return err
		}
		if !who.inDept || !who.active {
			return apperr.Field("to_employee_id", "the person does not work in this department")
		}
		out = Swap{ShiftID: shiftID, FromEmployeeID: p.UserID, ToEmployeeID: in.ToEmployeeID, Status: SwapPending, Version: 1}
		res, err := tx.ExecContext(ctx, `INSERT INTO swap_requests (shift_id, from_employee_id, to_employee_id, status, version, created_at, updated_at)
			VALUES (?, ?, ?, 'pending', 1, ?, ?)`, shiftID, p.UserID, in.ToEmployeeID, tx.Now(), tx.Now())
		if err != nil {
			return fmt.Errorf("roster: request swap: %w", err)
		}
		if out.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("roster: request swap: %w", err)
		}
		if out, err = describeSwap(ctx, tx, out.ID); err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "swap.request", Entity: "swap_request", EntityID: out.ID, Detail: out})
		emitSwap(tx, EventSwapRequested, cur.DepartmentID, out)
		return nil
	})
	return out, err
}

// Swap actions.
const (
	SwapAccept  = "accept"
	SwapApprove = "approve"
	SwapDeny    = "deny"
)

// DecideSwap moves a swap on: the colleague accepts; a manager of the
// department approves (the shift changes hands after the conflict rules are
// checked again now) or denies; the colleague may also decline and the
// offerer withdraw with deny.
func (s *Service) DecideSwap(ctx context.Context, p auth.Principal, id int64, action string) (Swap, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Swap{}, err
	}
	var shiftID int64
	if err := s.W.DB.QueryRowContext(ctx, "SELECT shift_id FROM swap_requests WHERE id = ?", id).Scan(&shiftID); errors.Is(err, sql.ErrNoRows) {
		return Swap{}, apperr.NotFoundf("swap request")
	} else if err != nil {
		return Swap{}, fmt.Errorf("roster: decide swap: %w", err)
	}
	var out Swap
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := loadShift(ctx, tx, shiftID, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		w, err := scanSwap(tx.QueryRowContext(ctx, "SELECT "+swapColumns+" FROM swap_requests WHERE id = ?"+tx.DB.ForUpdate(), id))
		if err != nil {
			return fmt.Errorf("roster: decide swap: %w", err)
		}
		manager := p.Manages(cur.DepartmentID)
		party := p.UserID == w.FromEmployeeID || p.UserID == w.ToEmployeeID
		if action == SwapApprove && party && manager && !p.IsAdmin() {
			// Nobody signs off their own trade; another manager (or an admin) must.
			return apperr.New(apperr.Forbidden, "you are part of this swap; another manager must approve it")
		}
		if !manager && !party {
			return apperr.NotFoundf("swap request")
		}
		final := w.Status == SwapApproved || w.Status == SwapDenied
		typ := EventSwapDecided
		switch {
		case final:
			return apperr.New(apperr.Conflict, "the swap request was already %s", w.Status)
		case action == SwapAccept:
			if p.UserID != w.ToEmployeeID {
				return auth.ErrForbidden
			}
			if w.Status != SwapPending {
				return apperr.New(apperr.Conflict, "the swap request was already accepted")
			}
			w.Status, typ = SwapAccepted, EventSwapRequested
		case action == SwapApprove:
			if !manager {
				return auth.ErrForbidden
			}
			if w.Status != SwapAccepted {
				return apperr.New(apperr.Conflict, "the colleague has not accepted the swap yet")
			}
			if cur.employee() != w.FromEmployeeID {
				return apperr.New(apperr.Conflict, "the shift no longer belongs to the person who offered it")
			}
			next, warnings, err := s.assign(ctx, tx, st, cur, w.ToEmployeeID, ReasonSwapped)
			if err != nil {
				return err
			}
			w.Status, w.DecidedBy, w.Shift, w.Warnings = SwapApproved, &p.UserID, &next, warnings
		case action == SwapDeny:
			w.Status, w.DecidedBy = SwapDenied, &p.UserID
		default:
			return apperr.NotFoundf("action")
		}
		w.Version++
		if _, err := tx.ExecContext(ctx, "UPDATE swap_requests SET status = ?, decided_by = ?, version = ?, updated_at = ? WHERE id = ?",
			w.Status, w.DecidedBy, w.Version, tx.Now(), id); err != nil {
			return fmt.Errorf("roster: decide swap: %w", err)
		}
		full, err := describeSwap(ctx, tx, id)
		if err != nil {
			return err
		}
		full.Shift, full.Warnings = w.Shift, w.Warnings
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "swap." + action, Entity: "swap_request", EntityID: id, Detail: full})
		emitSwap(tx, typ, cur.DepartmentID, full)
		out = full
		return nil
	})
	return out, err
}

// ListSwaps lists the swap requests the caller is part of, and for managers
// those of their departments' shifts.
func (s *Service) ListSwaps(ctx context.Context, p auth.Principal, status string, lp paging.ListParams) (paging.Page[Swap], error) {
	lp, err := lp.Normalize()
	if err != nil {
		return paging.Page[Swap]{}, err
	}
	after, err := paging.DecodeCursor(lp.Cursor)
	if err != nil {
		return paging.Page[Swap]{}, err
	}
	where, args := []string{"w.id > ?"}, []any{after}
	if !p.IsAdmin() {
		vis := "(w.from_employee_id = ? OR w.to_employee_id = ?"
		args = append(args, p.UserID, p.UserID)
		if p.Role == auth.RoleManager && len(p.DeptIDs) > 0 {
			vis += " OR s.department_id IN (" + db.Placeholders(len(p.DeptIDs)) + ")"
			for _, d := range p.DeptIDs {
				args = append(args, d)
			}
		}
		where = append(where, vis+")")
	}
	if status != "" {
		where, args = append(where, "w.status = ?"), append(args, status)
	}
	args = append(args, lp.Limit+1)
	rows, err := s.W.DB.QueryContext(ctx, swapDescribed+" WHERE "+strings.Join(where, " AND ")+" ORDER BY w.id LIMIT ?", args...)
	if err != nil {
		return paging.Page[Swap]{}, fmt.Errorf("roster: list swaps: %w", err)
	}
	page, err := paging.ReadPage(rows, lp.Limit, scanDescribedSwap, func(w Swap) int64 { return w.ID })
	if err != nil {
		return paging.Page[Swap]{}, fmt.Errorf("roster: list swaps: %w", err)
	}
	return page, nil
}
