package attendance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// CorrectionWindow is how far back a correction may move a clock-in: a
// year covers any payroll dispute, and a typo such as year 0000 cannot
// leave a record that blocks the person's next clock-in.
const CorrectionWindow = 366 * 24 * time.Hour

// Correction is the body of PATCH /attendance/{id}: a manager fixes a
// forgotten clock-out, a wrong time or the breaks, and says why.
type Correction struct {
	ClockInAt  *time.Time    `json:"clock_in_at"`
	ClockOutAt *time.Time    `json:"clock_out_at"`
	Breaks     *[]BreakInput `json:"breaks"`
	Reason     string        `json:"reason"`
	Version    *int64        `json:"version"`
}

// BreakInput is one break of a correction.
type BreakInput struct {
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

// Correct changes a record (managers of the person or the record's
// department, admins; never one's own record unless admin). The reason is
// required and goes to the audit log with the old and new values.
func (s *Service) Correct(ctx context.Context, p auth.Principal, id int64, in Correction, ifMatch *int64) (Record, error) {
	if in.Version == nil {
		in.Version = ifMatch
	}
	in.Reason = strings.TrimSpace(in.Reason)
	f := apperr.Fields{}
	if l := len(in.Reason); l < 3 || l > 500 {
		f.Add("reason", "say why, in 3 to 500 characters")
	}
	if in.ClockInAt == nil && in.ClockOutAt == nil && in.Breaks == nil {
		f.Add("clock_in_at", "change clock_in_at, clock_out_at or breaks")
	}
	if err := f.Err(); err != nil {
		return Record{}, err
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Record{}, err
	}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		var emp int64
		var dept sql.NullInt64
		var inAt time.Time
		var outAt sql.NullTime
		var version int64
		err := tx.QueryRowContext(ctx, "SELECT employee_id, department_id, clock_in_at, clock_out_at, version FROM attendance_records WHERE id = ?"+
			tx.DB.ForUpdate(), id).Scan(&emp, &dept, &inAt, &outAt, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("attendance record")
		}
		if err != nil {
			return fmt.Errorf("attendance: correct: %w", err)
		}
		depts, err := auth.DeptIDs(ctx, tx, emp)
		if err != nil {
			return err
		}
		who := auth.Person{ID: emp, DeptIDs: depts}
		if err := auth.ReadPerson(p, who, "attendance record"); err != nil {
			return err
		}
		if !(p.IsAdmin() || (p.UserID != emp && (auth.CanManagePerson(p, who) || (dept.Valid && p.Manages(dept.Int64))))) {
			return apperr.New(apperr.Forbidden, "only a manager of the person corrects attendance, and not their own")
		}
		if in.Version != nil && *in.Version != version {
			return apperr.Stale("the attendance record")
		}
		newIn, newOut := inAt.UTC(), (*time.Time)(nil)
		if outAt.Valid {
			t := outAt.Time.UTC()
			newOut = &t
		}
		if in.ClockInAt != nil {
			newIn = in.ClockInAt.UTC().Truncate(time.Microsecond)
		}
		if in.ClockOutAt != nil {
			t := in.ClockOutAt.UTC().Truncate(time.Microsecond)
			newOut = &t
		}
		f := apperr.Fields{}
		if newIn.After(tx.Now()) {
			f.Add("clock_in_at", "must not be in the future")
		}
		if in.ClockInAt != nil && newIn.Before(tx.Now().Add(-CorrectionWindow)) {
			f.Add("clock_in_at", "must be within the last year")
		}
		if newOut != nil && !newOut.After(newIn) {
			f.Add("clock_out_at", "must be after clock_in_at")
		}
		if newOut != nil && newOut.After(tx.Now()) {
			f.Add("clock_out_at", "must not be in the future")
		}
		if newOut != nil && newOut.Sub(newIn) > 24*time.Hour {
			f.Add("clock_out_at", "a record spans at most 24 hours")
		}
		if in.Breaks != nil {
			for i, b := range *in.Breaks {
				if !b.EndsAt.After(b.StartsAt) || b.StartsAt.Before(newIn) || (newOut != nil && b.EndsAt.After(*newOut)) {
					f.Add(fmt.Sprintf("breaks[%d]", i), "must end after it starts, within the record")
				}
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		if err := refuseLocked(ctx, tx, inAt, newIn); err != nil {
			return err
		}
		var open any = emp
		if newOut != nil {
			open = nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attendance_records SET clock_in_at = ?, clock_out_at = ?, open_employee_id = ?, note = ?,
			version = version + 1, updated_at = ? WHERE id = ?`, newIn, nullTimeArg(newOut), open, in.Reason, tx.Now(), id); err != nil {
			return fmt.Errorf("attendance: correct: %w", err)
		}
		if in.Breaks != nil {
			if _, err := tx.ExecContext(ctx, "DELETE FROM attendance_breaks WHERE record_id = ?", id); err != nil {
				return fmt.Errorf("attendance: correct breaks: %w", err)
			}
			for _, b := range *in.Breaks {
				if _, err := tx.ExecContext(ctx, "INSERT INTO attendance_breaks (record_id, starts_at, ends_at) VALUES (?, ?, ?)",
					id, b.StartsAt.UTC(), b.EndsAt.UTC()); err != nil {
					return fmt.Errorf("attendance: correct breaks: %w", err)
				}
			}
		} else if newOut != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE attendance_breaks SET ends_at = ?, open_record_id = NULL WHERE open_record_id = ?", *newOut, id); err != nil {
				return fmt.Errorf("attendance: correct breaks: %w", err)
			}
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "attendance.correct", Entity: "attendance_record", EntityID: id, Detail: map[string]any{
			"reason": in.Reason, "employee_id": emp,
			"before": map[string]any{"clock_in_at": inAt.UTC(), "clock_out_at": nullTimeArg(newOutOf(outAt))},
			"after":  map[string]any{"clock_in_at": newIn, "clock_out_at": nullTimeArg(newOut), "breaks": in.Breaks},
		}})
		if dept.Valid {
			tx.EmitManagers(outbox.DeptTopic(dept.Int64), EventCorrected, map[string]any{"id": id, "employee_id": emp, "reason": in.Reason})
		}
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	return s.getRecord(ctx, st, id)
}

func newOutOf(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}
