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
	"github.com/crumbcommander/crumb/internal/people"
)

// Time-off statuses.
const (
	TimeOffPending  = "pending"
	TimeOffApproved = "approved"
	TimeOffDenied   = "denied"
)

// maxTimeOffDays bounds one request.
const maxTimeOffDays = 366

// TimeOff is a request to be away on whole days [StartsOn, EndsOn] of the
// store's calendar; it is also the payload of timeoff.requested|decided.
type TimeOff struct {
	ID         int64  `json:"id"`
	EmployeeID int64  `json:"employee_id"`
	StartsOn   string `json:"starts_on"`
	EndsOn     string `json:"ends_on"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	DecidedBy  *int64 `json:"decided_by"`
	Version    int64  `json:"version"`
}

// TimeOffInput is the body of POST /time-off. EmployeeID defaults to the
// caller; managers may file for their people.
type TimeOffInput struct {
	EmployeeID *int64 `json:"employee_id"`
	StartsOn   string `json:"starts_on"`
	EndsOn     string `json:"ends_on"`
	Reason     string `json:"reason"`
}

// TimeOffDecision is the answer to approve/deny: the request and, when
// approved, the person's published shifts it collides with (they stay; the
// manager must find replacements).
type TimeOffDecision struct {
	TimeOff
	CollidingShifts []Shift `json:"colliding_shifts"`
}

// TimeOffFilter narrows GET /time-off.
type TimeOffFilter struct {
	EmployeeID int64
	Status     string
}

const timeOffColumns = "id, employee_id, starts_on, ends_on, status, reason, decided_by, version"

func scanTimeOff(r db.Scanner) (TimeOff, error) {
	var t TimeOff
	var by sql.NullInt64
	err := r.Scan(&t.ID, &t.EmployeeID, &t.StartsOn, &t.EndsOn, &t.Status, &t.Reason, &by, &t.Version)
	if by.Valid {
		v := by.Int64
		t.DecidedBy = &v
	}
	return t, err
}

// RequestTimeOff files a pending request; the person's managers hear
// timeoff.requested on their department topics.
func (s *Service) RequestTimeOff(ctx context.Context, p auth.Principal, in TimeOffInput) (TimeOff, error) {
	emp := p.UserID
	if in.EmployeeID != nil {
		emp = *in.EmployeeID
	}
	// Calendar dates check the same in any zone; the store's zone turns
	// them into instants in the transaction below.
	f := apperr.Fields{}
	start, ok1 := parseDate(in.StartsOn, time.UTC)
	end, ok2 := parseDate(in.EndsOn, time.UTC)
	switch {
	case !ok1:
		f.Add("starts_on", "must be a date like 2026-12-24")
	case !ok2:
		f.Add("ends_on", "must be a date like 2026-12-26")
	case end.Before(start):
		f.Add("ends_on", "must be on or after starts_on")
	case daysBetween(start, end) >= maxTimeOffDays:
		f.Add("ends_on", "a request may cover at most a year")
	}
	if len(in.Reason) > 500 {
		f.Add("reason", "must be at most 500 characters")
	}
	if err := f.Err(); err != nil {
		return TimeOff{}, err
	}
	e, err := s.People.GetEmployee(ctx, p, emp)
	if err != nil {
		return TimeOff{}, err
	}
	if e.ID != p.UserID && !auth.CanManagePerson(p, e.Person()) {
		return TimeOff{}, auth.ErrForbidden
	}
	t := TimeOff{EmployeeID: e.ID, StartsOn: start.Format(dateLayout), EndsOn: end.Format(dateLayout), Status: TimeOffPending,
		Reason: strings.TrimSpace(in.Reason), Version: 1}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		// The days become instants in the zone the store has at COMMIT: the
		// shared lock on its row waits for a zone change under way (which
		// rezones every stored request, RezoneTimeOff) and holds off the
		// next one until this request is stored.
		var zone string
		if err := tx.QueryRowContext(ctx, "SELECT timezone FROM store WHERE id = 1"+tx.DB.ForShare()).Scan(&zone); err != nil {
			return fmt.Errorf("roster: request time off: %w", err)
		}
		from, to := timeOffSpan(t.StartsOn, t.EndsOn, people.Store{Timezone: zone}.Location())
		res, err := tx.ExecContext(ctx, `INSERT INTO time_off (employee_id, starts_on, ends_on, starts_at, ends_at, reason, status, version, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', 1, ?)`, t.EmployeeID, t.StartsOn, t.EndsOn, from, to, t.Reason, tx.Now())
		if err != nil {
			return fmt.Errorf("roster: request time off: %w", err)
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("roster: request time off: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "timeoff.request", Entity: "time_off", EntityID: t.ID, Detail: t})
		for _, d := range e.DepartmentIDs {
			tx.EmitManagers(outbox.DeptTopic(d), EventTimeOffRequested, t)
		}
		return nil
	})
	return t, err
}

// ListTimeOff lists requests: admins all, managers their people's and their
// own, others their own.
func (s *Service) ListTimeOff(ctx context.Context, p auth.Principal, f TimeOffFilter, lp paging.ListParams) (paging.Page[TimeOff], error) {
	lp, err := lp.Normalize()
	if err != nil {
		return paging.Page[TimeOff]{}, err
	}
	after, err := paging.DecodeCursor(lp.Cursor)
	if err != nil {
		return paging.Page[TimeOff]{}, err
	}
	where, args := []string{"id > ?"}, []any{after}
	vis, visArgs := people.VisibleTo(p, "employee_id")
	where, args = append(where, vis), append(args, visArgs...)
	if f.EmployeeID != 0 {
		where, args = append(where, "employee_id = ?"), append(args, f.EmployeeID)
	}
	switch f.Status {
	case "":
	case TimeOffPending, TimeOffApproved, TimeOffDenied:
		where, args = append(where, "status = ?"), append(args, f.Status)
	default:
		return paging.Page[TimeOff]{}, apperr.New(apperr.BadRequest, "status must be pending, approved or denied")
	}
	args = append(args, lp.Limit+1)
	rows, err := s.W.DB.QueryContext(ctx, "SELECT "+timeOffColumns+" FROM time_off WHERE "+strings.Join(where, " AND ")+" ORDER BY id LIMIT ?", args...)
	if err != nil {
		return paging.Page[TimeOff]{}, fmt.Errorf("roster: list time off: %w", err)
	}
	page, err := paging.ReadPage(rows, lp.Limit, scanTimeOff, func(t TimeOff) int64 { return t.ID })
	if err != nil {
		return paging.Page[TimeOff]{}, fmt.Errorf("roster: list time off: %w", err)
	}
	return page, nil
}

// DecideTimeOff approves or denies a pending request (the person's managers
// and admins). Approving locks the person like a shift write does, so no
// shift slips in beside it, and lists the published shifts it collides with.
func (s *Service) DecideTimeOff(ctx context.Context, p auth.Principal, id int64, approve bool) (TimeOffDecision, error) {
	var out TimeOffDecision
	var emp int64
	err := s.W.DB.QueryRowContext(ctx, "SELECT employee_id FROM time_off WHERE id = ?", id).Scan(&emp)
	if errors.Is(err, sql.ErrNoRows) {
		return out, apperr.NotFoundf("time off request")
	}
	if err != nil {
		return out, fmt.Errorf("roster: decide time off: %w", err)
	}
	e, err := s.People.GetEmployee(ctx, p, emp)
	if apperr.Is(err, apperr.NotFound) {
		return out, apperr.NotFoundf("time off request")
	}
	if err != nil {
		return out, err
	}
	if !auth.CanManagePerson(p, e.Person()) || (e.ID == p.UserID && !p.IsAdmin()) {
		return out, auth.ErrForbidden
	}
	status := TimeOffDenied
	if approve {
		status = TimeOffApproved
	}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		if err := lockPeople(ctx, tx, emp); err != nil {
			return err
		}
		t, err := scanTimeOff(tx.QueryRowContext(ctx, "SELECT "+timeOffColumns+" FROM time_off WHERE id = ?"+tx.DB.ForUpdate(), id))
		if err != nil {
			return fmt.Errorf("roster: decide time off: %w", err)
		}
		if t.Status != TimeOffPending {
			return apperr.New(apperr.Conflict, "the request was already %s", t.Status)
		}
		t.Status, t.DecidedBy, t.Version = status, &p.UserID, t.Version+1
		if _, err := tx.ExecContext(ctx, "UPDATE time_off SET status = ?, decided_by = ?, decided_at = ?, version = ? WHERE id = ?",
			t.Status, p.UserID, tx.Now(), t.Version, id); err != nil {
			return fmt.Errorf("roster: decide time off: %w", err)
		}
		out = TimeOffDecision{TimeOff: t, CollidingShifts: []Shift{}}
		if approve {
			if out.CollidingShifts, err = queryShifts(ctx, tx, `SELECT `+shiftColumns+` FROM shifts s WHERE employee_id = ? AND status = 'published'
				AND EXISTS (SELECT 1 FROM time_off o WHERE o.id = ? AND s.starts_at < o.ends_at AND s.ends_at > o.starts_at) ORDER BY starts_at, id`, emp, id); err != nil {
				return err
			}
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "timeoff." + map[bool]string{true: "approve", false: "deny"}[approve],
			Entity: "time_off", EntityID: id, Detail: out})
		tx.Emit(outbox.UserTopic(emp), EventTimeOffDecided, t)
		return nil
	})
	return out, err
}

// timeOffSpan is the stretch of time the days first..last (dates, both
// included) cover in loc: from the first one's local midnight to the one
// after the last, in UTC. Dates stored by this package always parse.
func timeOffSpan(first, last string, loc *time.Location) (from, to time.Time) {
	start, _ := parseDate(first, loc)
	end, _ := parseDate(last, loc)
	y, m, d := end.Date()
	return start.UTC(), dayStart(y, m, d+1, loc).UTC()
}

// RezoneTimeOff moves every time-off request to the store's new zone loc,
// inside tx: the transaction that changes the zone (people.Service.Rezone).
// A request is for calendar days, which begin at local midnight, so its
// instants follow the zone; shifts are instants and stay where they are.
func (s *Service) RezoneTimeOff(ctx context.Context, tx *outbox.Tx, loc *time.Location) error {
	type days struct {
		id          int64
		first, last string
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, starts_on, ends_on FROM time_off ORDER BY id"+tx.DB.ForUpdate())
	if err != nil {
		return fmt.Errorf("roster: rezone time off: %w", err)
	}
	all, err := db.Collect(rows, func(r db.Scanner) (days, error) {
		var d days
		return d, r.Scan(&d.id, &d.first, &d.last)
	})
	if err != nil {
		return fmt.Errorf("roster: rezone time off: %w", err)
	}
	// In chunks of one statement each (5 parameters a request).
	const chunk = 500
	for len(all) > 0 {
		part := all[:min(len(all), chunk)]
		all = all[len(part):]
		var starts, ends []any
		ids := make([]any, len(part))
		for i, d := range part {
			from, to := timeOffSpan(d.first, d.last, loc)
			starts = append(starts, d.id, from)
			ends = append(ends, d.id, to)
			ids[i] = d.id
		}
		when := strings.Repeat(" WHEN ? THEN ?", len(part))
		args := append(append(starts, ends...), ids...)
		if _, err := tx.ExecContext(ctx, "UPDATE time_off SET starts_at = CASE id"+when+" END, ends_at = CASE id"+when+
			" END WHERE id IN ("+db.Placeholders(len(part))+")", args...); err != nil {
			return fmt.Errorf("roster: rezone time off: %w", err)
		}
	}
	return nil
}
