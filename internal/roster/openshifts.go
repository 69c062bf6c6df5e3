package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// EventClaimDecided tells a claimant that a manager approved or denied
// their claim (user topic).
const EventClaimDecided = "openshift.decided"

// Claim statuses.
const (
	ClaimPending  = "pending"
	ClaimApproved = "approved"
	ClaimDenied   = "denied"
)

// Claim is a person's request to take an open shift; also the payload of
// openshift.claimed (department topic) and openshift.decided (user topic).
type Claim struct {
	ID         int64  `json:"id"`
	ShiftID    int64  `json:"shift_id"`
	EmployeeID int64  `json:"employee_id"`
	Status     string `json:"status"`
	DecidedBy  *int64 `json:"decided_by"`
	// Shift is the shift after the claim, when it was assigned.
	Shift    *Shift    `json:"shift,omitempty"`
	Warnings []Warning `json:"warnings,omitempty"`
}

const claimColumns = "id, shift_id, employee_id, status, decided_by"

func scanClaim(r db.Scanner) (Claim, error) {
	var c Claim
	var by sql.NullInt64
	err := r.Scan(&c.ID, &c.ShiftID, &c.EmployeeID, &c.Status, &by)
	if by.Valid {
		v := by.Int64
		c.DecidedBy = &v
	}
	return c, err
}

// ClaimShift lets a person of the department take a published open shift:
// at once, or as a pending claim when the store requires approval. Taking
// it checks the conflict rules like any assignment.
func (s *Service) ClaimShift(ctx context.Context, p auth.Principal, shiftID int64) (Claim, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Claim{}, err
	}
	var out Claim
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := loadShift(ctx, tx, shiftID, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		if !canSee(p, cur) || !p.InDept(cur.DepartmentID) {
			// Only people of the department may take its shifts; to anyone
			// else (admins included) the open shift is not on offer.
			return apperr.NotFoundf("shift")
		}
		if cur.Status != StatusPublished || cur.EmployeeID != nil {
			return apperr.New(apperr.Conflict, "the shift is not open")
		}
		if !cur.StartsAt.After(tx.Now()) {
			return apperr.New(apperr.Conflict, "the shift has already started")
		}
		// The claimant's lock comes before any plain read (see lockPeople).
		if err := lockPeople(ctx, tx, p.UserID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM shift_claims WHERE shift_id = ? AND employee_id = ? AND status = 'pending'",
			shiftID, p.UserID).Scan(&n); err != nil {
			return fmt.Errorf("roster: claim: %w", err)
		}
		if n > 0 {
			return apperr.New(apperr.Conflict, "you already asked for this shift")
		}
		out = Claim{ShiftID: shiftID, EmployeeID: p.UserID, Status: ClaimPending}
		if !st.ClaimsNeedApproval {
			next, warnings, err := s.assign(ctx, tx, st, cur, p.UserID, ReasonClaimed)
			if err != nil {
				return err
			}
			out.Status, out.DecidedBy, out.Shift, out.Warnings = ClaimApproved, &p.UserID, &next, warnings
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO shift_claims (shift_id, employee_id, status, decided_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			shiftID, p.UserID, out.Status, out.DecidedBy, tx.Now(), tx.Now())
		if err != nil {
			return fmt.Errorf("roster: claim: %w", err)
		}
		if out.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("roster: claim: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "openshift.claim", Entity: "shift", EntityID: shiftID, Detail: out})
		tx.Emit(outbox.DeptTopic(cur.DepartmentID), EventOpenShiftClaimed, out)
		return nil
	})
	return out, err
}

// assign gives the locked shift cur to person emp after the conflict rules,
// writes it and tells everyone concerned.
func (s *Service) assign(ctx context.Context, tx *outbox.Tx, st people.Store, cur Shift, emp int64, reason string) (Shift, []Warning, error) {
	next := cur
	next.EmployeeID = &emp
	warnings, err := s.checkAssignment(ctx, tx, st, next, &cur)
	if err != nil {
		return Shift{}, nil, err
	}
	next.Version = cur.Version + 1
	if _, err := tx.ExecContext(ctx, "UPDATE shifts SET employee_id = ?, version = ?, updated_at = ? WHERE id = ?",
		emp, next.Version, tx.Now(), cur.ID); err != nil {
		return Shift{}, nil, fmt.Errorf("roster: assign shift: %w", err)
	}
	emitShift(tx, EventShiftUpdated, next)
	if next.Status == StatusPublished {
		var newName string
		if reason == ReasonSwapped {
			// The person who gave the shift away hears whom it went to.
			var first, last string
			if err := tx.QueryRowContext(ctx, "SELECT first_name, last_name FROM users WHERE id = ?", emp).Scan(&first, &last); err != nil {
				return Shift{}, nil, fmt.Errorf("roster: assign shift: %w", err)
			}
			newName = first + " " + last
		}
		tellReassigned(tx, cur, next, reason, newName)
	}
	return next, warnings, nil
}

// ListClaims lists the claims of a shift (its department's managers).
func (s *Service) ListClaims(ctx context.Context, p auth.Principal, shiftID int64) ([]Claim, error) {
	sh, err := s.GetShift(ctx, p, shiftID)
	if err != nil {
		return nil, err
	}
	if err := auth.RequireManagerOf(p, sh.DepartmentID); err != nil {
		return nil, err
	}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT "+claimColumns+" FROM shift_claims WHERE shift_id = ? ORDER BY id", shiftID)
	if err != nil {
		return nil, fmt.Errorf("roster: list claims: %w", err)
	}
	out, err := db.Collect(rows, scanClaim)
	if err != nil {
		return nil, fmt.Errorf("roster: list claims: %w", err)
	}
	return out, nil
}

// DecideClaim approves (assigns the shift, re-checking conflicts now) or
// denies a pending claim. Approving denies the shift's other pending claims.
func (s *Service) DecideClaim(ctx context.Context, p auth.Principal, shiftID, claimID int64, approve bool) (Claim, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Claim{}, err
	}
	var out Claim
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := lockShiftToManage(ctx, tx, p, shiftID)
		if err != nil {
			return err
		}
		c, err := scanClaim(tx.QueryRowContext(ctx, "SELECT "+claimColumns+" FROM shift_claims WHERE id = ? AND shift_id = ?"+tx.DB.ForUpdate(), claimID, shiftID))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("claim")
		}
		if err != nil {
			return fmt.Errorf("roster: decide claim: %w", err)
		}
		if c.Status != ClaimPending {
			return apperr.New(apperr.Conflict, "the claim was already %s", c.Status)
		}
		c.Status, c.DecidedBy = ClaimDenied, &p.UserID
		if approve {
			if cur.EmployeeID != nil {
				return apperr.New(apperr.Conflict, "the shift is no longer open")
			}
			next, warnings, err := s.assign(ctx, tx, st, cur, c.EmployeeID, ReasonClaimed)
			if err != nil {
				return err
			}
			c.Status, c.Shift, c.Warnings = ClaimApproved, &next, warnings
			if _, err := tx.ExecContext(ctx, "UPDATE shift_claims SET status = 'denied', decided_by = ?, updated_at = ? WHERE shift_id = ? AND status = 'pending' AND id <> ?",
				p.UserID, tx.Now(), shiftID, claimID); err != nil {
				return fmt.Errorf("roster: decide claim: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE shift_claims SET status = ?, decided_by = ?, updated_at = ? WHERE id = ?", c.Status, p.UserID, tx.Now(), claimID); err != nil {
			return fmt.Errorf("roster: decide claim: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "openshift." + c.Status, Entity: "shift_claim", EntityID: claimID, Detail: c})
		tx.Emit(outbox.UserTopic(c.EmployeeID), EventClaimDecided, c)
		out = c
		return nil
	})
	return out, err
}
