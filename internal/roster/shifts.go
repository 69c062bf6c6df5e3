package roster

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
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

// Shift statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// MaxShiftLength is the longest shift accepted.
const MaxShiftLength = 16 * time.Hour

// Shift is one shift as the API and its events carry it. EmployeeID nil is
// an open shift.
type Shift struct {
	ID           int64     `json:"id"`
	DepartmentID int64     `json:"department_id"`
	EmployeeID   *int64    `json:"employee_id"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	Position     string    `json:"position"`
	Notes        string    `json:"notes"`
	Status       string    `json:"status"`
	Version      int64     `json:"version"`
}

// Interval is the shift's time span.
func (s Shift) Interval() Interval { return Interval{ID: s.ID, Start: s.StartsAt, End: s.EndsAt} }

func (s Shift) employee() int64 {
	if s.EmployeeID == nil {
		return 0
	}
	return *s.EmployeeID
}

// ShiftResult is a written shift with the soft-rule warnings of the write.
type ShiftResult struct {
	Shift
	Warnings []Warning `json:"warnings"`
}

// NullableID is a JSON field that tells "absent" from "null" (PATCH
// employee_id: null makes the shift open).
type NullableID struct {
	Set   bool
	Value *int64
}

// UnmarshalJSON records that the field was present.
func (n *NullableID) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Value = nil
		return nil
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// ShiftInput is the body of POST /shifts and PATCH /shifts/{id}.
type ShiftInput struct {
	DepartmentID *int64     `json:"department_id"`
	EmployeeID   NullableID `json:"employee_id"`
	StartsAt     *string    `json:"starts_at"`
	EndsAt       *string    `json:"ends_at"`
	Position     *string    `json:"position"`
	Notes        *string    `json:"notes"`
	// Status is "draft" (default) or "published"; only on create.
	Status  *string `json:"status"`
	Version *int64  `json:"version"`
}

// ShiftFilter narrows GET /shifts. Zero values do not filter. From and To
// are RFC 3339 instants or calendar dates (local midnight in the store's zone).
type ShiftFilter struct {
	From, To     string
	DepartmentID int64
	EmployeeID   int64
	Status       string
}

const shiftColumns = "id, department_id, employee_id, starts_at, ends_at, position, notes, status, version"

func scanShift(r db.Scanner) (Shift, error) {
	var s Shift
	var emp sql.NullInt64
	err := r.Scan(&s.ID, &s.DepartmentID, &emp, &s.StartsAt, &s.EndsAt, &s.Position, &s.Notes, &s.Status, &s.Version)
	if emp.Valid {
		v := emp.Int64
		s.EmployeeID = &v
	}
	s.StartsAt, s.EndsAt = s.StartsAt.UTC(), s.EndsAt.UTC()
	return s, err
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func loadShift(ctx context.Context, q querier, id int64, lock string) (Shift, error) {
	sh, err := scanShift(q.QueryRowContext(ctx, "SELECT "+shiftColumns+" FROM shifts WHERE id = ?"+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Shift{}, apperr.NotFoundf("shift")
	}
	if err != nil {
		return Shift{}, fmt.Errorf("roster: load shift: %w", err)
	}
	return sh, nil
}

func queryShifts(ctx context.Context, q querier, query string, args ...any) ([]Shift, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("roster: query shifts: %w", err)
	}
	out, err := db.Collect(rows, scanShift)
	if err != nil {
		return nil, fmt.Errorf("roster: scan shift: %w", err)
	}
	return out, nil
}

// loadVisibleShift loads shift id (with lock, "" or a row lock) and answers
// 404 unless p may see it, so that a shift p may not see looks absent.
func loadVisibleShift(ctx context.Context, q querier, p auth.Principal, id int64, lock string) (Shift, error) {
	sh, err := loadShift(ctx, q, id, lock)
	if err != nil {
		return Shift{}, err
	}
	if !canSee(p, sh) {
		return Shift{}, apperr.NotFoundf("shift")
	}
	return sh, nil
}

// lockShiftToManage locks shift id in tx for a change only managers of its
// department make: 404 unless p may see it, then auth.RequireManagerOf.
func lockShiftToManage(ctx context.Context, tx *outbox.Tx, p auth.Principal, id int64) (Shift, error) {
	sh, err := loadVisibleShift(ctx, tx, p, id, tx.DB.ForUpdate())
	if err != nil {
		return Shift{}, err
	}
	if err := auth.RequireManagerOf(p, sh.DepartmentID); err != nil {
		return Shift{}, err
	}
	return sh, nil
}

// canSee: admins and managers of the department see every shift; people of
// the department (and the assignee) see published ones.
func canSee(p auth.Principal, sh Shift) bool {
	if p.Manages(sh.DepartmentID) {
		return true
	}
	return sh.Status == StatusPublished && (p.InDept(sh.DepartmentID) || sh.employee() == p.UserID)
}

// requireManagerOfDept is 404 for a department a manager may not know
// about in this role and 403 for people who manage nothing.
func requireManagerOfDept(p auth.Principal, dept int64) error {
	if p.Manages(dept) {
		return nil
	}
	if p.Role == auth.RoleManager {
		return apperr.NotFoundf("department")
	}
	return auth.ErrForbidden
}

// GetShift returns one shift the caller may see.
func (s *Service) GetShift(ctx context.Context, p auth.Principal, id int64) (Shift, error) {
	return loadVisibleShift(ctx, s.W.DB, p, id, "")
}

// ListShifts lists the shifts the caller may see, in time order.
func (s *Service) ListShifts(ctx context.Context, p auth.Principal, f ShiftFilter, lp paging.ListParams) (paging.Page[Shift], error) {
	q, err := s.parseShiftQuery(ctx, p, f, lp)
	if err != nil {
		return paging.Page[Shift]{}, err
	}
	return s.runShiftQuery(ctx, p, q)
}

// shiftQuery is a validated GET /shifts.
type shiftQuery struct {
	f        ShiftFilter
	lp       paging.ListParams
	after    time.Time // the cursor's position, when lp.Cursor is set
	afterID  int64
	from, to time.Time // UTC; zero when absent
	// nothing: the caller is in no department; the answer is empty (and
	// from/to were not read).
	nothing bool
}

// parseShiftQuery validates the filter and paging, in the order errors have
// always been reported.
func (s *Service) parseShiftQuery(ctx context.Context, p auth.Principal, f ShiftFilter, lp paging.ListParams) (shiftQuery, error) {
	q := shiftQuery{f: f}
	var err error
	if q.lp, err = lp.Normalize(); err != nil {
		return q, err
	}
	if q.lp.Cursor != "" {
		if q.after, q.afterID, err = decodeShiftCursor(q.lp.Cursor); err != nil {
			return q, err
		}
	}
	switch f.Status {
	case "", StatusDraft, StatusPublished:
	default:
		return q, apperr.New(apperr.BadRequest, "status must be draft or published")
	}
	if !p.IsAdmin() && len(p.DeptIDs) == 0 {
		q.nothing = true
		return q, nil
	}
	q.from, q.to, err = s.parseRange(ctx, f.From, f.To)
	return q, err
}

// runShiftQuery reads one page of shifts that p may see.
func (s *Service) runShiftQuery(ctx context.Context, p auth.Principal, q shiftQuery) (paging.Page[Shift], error) {
	if q.nothing {
		return paging.Page[Shift]{Items: []Shift{}}, nil
	}
	f, lp := q.f, q.lp
	where, args := []string{"1 = 1"}, []any{}
	if lp.Cursor != "" {
		where = append(where, "(starts_at > ? OR (starts_at = ? AND id > ?))")
		args = append(args, q.after, q.after, q.afterID)
	}
	if !p.IsAdmin() {
		vis := "department_id IN (" + db.Placeholders(len(p.DeptIDs)) + ")"
		for _, d := range p.DeptIDs {
			args = append(args, d)
		}
		if p.Role != auth.RoleManager {
			vis += " AND status = 'published'"
		}
		where = append(where, "("+vis+")")
	}
	if f.DepartmentID != 0 {
		where, args = append(where, "department_id = ?"), append(args, f.DepartmentID)
	}
	if f.EmployeeID != 0 {
		where, args = append(where, "employee_id = ?"), append(args, f.EmployeeID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !q.from.IsZero() {
		// Bounded on starts_at too, so the (department_id, starts_at) index serves it.
		where = append(where, "starts_at >= ?", "ends_at > ?")
		args = append(args, q.from.Add(-MaxShiftLength), q.from)
	}
	if !q.to.IsZero() {
		where, args = append(where, "starts_at < ?"), append(args, q.to)
	}
	args = append(args, lp.Limit+1)
	items, err := queryShifts(ctx, s.W.DB, "SELECT "+shiftColumns+" FROM shifts WHERE "+strings.Join(where, " AND ")+
		" ORDER BY starts_at, id LIMIT ?", args...)
	if err != nil {
		return paging.Page[Shift]{}, err
	}
	out := paging.Page[Shift]{Items: items}
	if len(items) > lp.Limit {
		out.Items = items[:lp.Limit]
		last := out.Items[lp.Limit-1]
		out.NextCursor = encodeShiftCursor(last.StartsAt, last.ID)
	}
	return out, nil
}

// CreateShift adds a shift, checking the conflict rules under the person's
// lock. Creates that arrive together are written together, in one
// transaction (see createCombiner); each gets the answer it would have got
// alone, in arrival order.
func (s *Service) CreateShift(ctx context.Context, p auth.Principal, in ShiftInput) (ShiftResult, error) {
	st, sh, err := s.prepareCreate(ctx, p, in)
	if err != nil {
		return ShiftResult{}, err
	}
	return s.creates.create(ctx, s, &createCall{ctx: ctx, p: p, st: st, sh: sh})
}

// prepareCreate validates a create and checks that p may make it: what
// needs no lock, so such errors never enter a batch.
func (s *Service) prepareCreate(ctx context.Context, p auth.Principal, in ShiftInput) (people.Store, Shift, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return st, Shift{}, err
	}
	sh := Shift{Status: StatusDraft}
	f := apperr.Fields{}
	if in.DepartmentID == nil || *in.DepartmentID <= 0 {
		f.Add("department_id", "is required")
	} else {
		sh.DepartmentID = *in.DepartmentID
	}
	if in.StartsAt == nil {
		f.Add("starts_at", "is required")
	}
	if in.EndsAt == nil {
		f.Add("ends_at", "is required")
	}
	if in.Status != nil {
		sh.Status = *in.Status
	}
	if in.Version != nil {
		f.Add("version", "is not allowed when creating")
	}
	applyShiftInput(&sh, in, f)
	if err := f.Err(); err != nil {
		return st, Shift{}, err
	}
	return st, sh, requireManagerOfDept(p, sh.DepartmentID)
}

// createAlone is CreateShift's write in a transaction of its own: the path
// of a create whose combined batch failed for a reason not its own.
func (s *Service) createAlone(ctx context.Context, p auth.Principal, st people.Store, sh Shift) (ShiftResult, error) {
	var out ShiftResult
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		warnings, err := s.checkAssignment(ctx, tx, st, sh, nil)
		if err != nil {
			return err
		}
		if sh.ID, err = insertShift(ctx, tx, sh); err != nil {
			return err
		}
		sh.Version = 1
		recordCreate(tx, p, sh, nil)
		out = ShiftResult{Shift: sh, Warnings: warnings}
		return nil
	})
	return out, err
}

// recordCreate queues the audit row and the events of a created shift.
// origin, when set, is the creating request's (a combined transaction
// serves several).
func recordCreate(tx *outbox.Tx, p auth.Principal, sh Shift, origin *outbox.Origin) {
	tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "shift.create", Entity: "shift", EntityID: sh.ID, Detail: sh, Origin: origin})
	emitShift(tx, EventShiftCreated, sh)
	if sh.Status == StatusPublished {
		tellEmployee(tx, EventShiftAssigned, ReasonUpdated, sh)
	}
}

// UpdateShift changes a shift; the conflict rules are checked again when its
// time or person changes. The employee of a published shift is told.
func (s *Service) UpdateShift(ctx context.Context, p auth.Principal, id int64, in ShiftInput, ifMatch *int64) (ShiftResult, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return ShiftResult{}, err
	}
	if in.Version == nil {
		in.Version = ifMatch
	}
	var out ShiftResult
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := lockShiftToManage(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if in.Version != nil && *in.Version != cur.Version {
			return apperr.Stale("the shift")
		}
		next := cur
		f := apperr.Fields{}
		if in.DepartmentID != nil {
			next.DepartmentID = *in.DepartmentID
		}
		if in.Status != nil {
			f.Add("status", "cannot be changed here; publish the week instead")
		}
		applyShiftInput(&next, in, f)
		if err := f.Err(); err != nil {
			return err
		}
		if next.DepartmentID != cur.DepartmentID {
			if err := requireManagerOfDept(p, next.DepartmentID); err != nil {
				return err
			}
		}
		warnings, err := s.checkAssignment(ctx, tx, st, next, &cur)
		if err != nil {
			return err
		}
		next.Version = cur.Version + 1
		if _, err := tx.ExecContext(ctx, `UPDATE shifts SET department_id = ?, employee_id = ?, starts_at = ?, ends_at = ?, position = ?, notes = ?,
			version = ?, updated_at = ? WHERE id = ?`, next.DepartmentID, next.EmployeeID, next.StartsAt, next.EndsAt, next.Position, next.Notes,
			next.Version, tx.Now(), id); err != nil {
			return fmt.Errorf("roster: update shift: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "shift.update", Entity: "shift", EntityID: id, Detail: map[string]any{"before": cur, "after": next}})
		if next.DepartmentID != cur.DepartmentID {
			// The shift left its department: that department hears it go
			// (its screens and caches), before the new one hears it come.
			emitShift(tx, EventShiftDeleted, cur)
		}
		emitShift(tx, EventShiftUpdated, next)
		if next.Status == StatusPublished {
			tellReassigned(tx, cur, next, ReasonUpdated, "")
		}
		out = ShiftResult{Shift: next, Warnings: warnings}
		return nil
	})
	return out, err
}

// tellReassigned tells the people of a published shift what changed: the
// same person hears shift.changed; a new person shift.assigned and the
// previous one shift.cancelled (naming newName as swapped_to, if given).
func tellReassigned(tx *outbox.Tx, cur, next Shift, reason, newName string) {
	if cur.employee() == next.employee() {
		tellEmployee(tx, EventShiftChanged, reason, next)
		return
	}
	tellEmployeeThat(tx, EventShiftCancelled, PersonalShifts{Reason: reason, Shifts: []Shift{cur}, SwappedTo: newName})
	tellEmployee(tx, EventShiftAssigned, reason, next)
}

// ReleaseShifts opens the shifts of employee emp that have not started yet,
// in depts (nil: every department), inside tx: the transaction that
// deactivates the person or takes them out of those departments
// (people.Service.Leaving), which holds the person's row lock like every
// roster writer. Each shift becomes an open shift of its department, with
// an audit row; the department hears shift.updated (managers only for
// drafts) and the person shift.cancelled for published ones. Shifts that
// already started stay in the history as they were.
func (s *Service) ReleaseShifts(ctx context.Context, tx *outbox.Tx, actor auth.Principal, emp int64, depts []int64) error {
	q, args := "SELECT "+shiftColumns+" FROM shifts WHERE employee_id = ? AND starts_at > ?", []any{emp, tx.Now()}
	if depts != nil {
		if len(depts) == 0 {
			return nil
		}
		q += " AND department_id IN (" + db.Placeholders(len(depts)) + ")"
		for _, d := range depts {
			args = append(args, d)
		}
	}
	shifts, err := queryShifts(ctx, tx, q+" ORDER BY starts_at, id"+tx.DB.ForUpdate(), args...)
	if err != nil {
		return err
	}
	for _, cur := range shifts {
		next := cur
		next.EmployeeID = nil
		next.Version = cur.Version + 1
		if _, err := tx.ExecContext(ctx, "UPDATE shifts SET employee_id = NULL, version = ?, updated_at = ? WHERE id = ?", next.Version, tx.Now(), cur.ID); err != nil {
			return fmt.Errorf("roster: release shift: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: actor.UserID, Action: "shift.release", Entity: "shift", EntityID: cur.ID, Detail: map[string]any{"before": cur, "after": next}})
		emitShift(tx, EventShiftUpdated, next)
		if cur.Status == StatusPublished {
			tellEmployee(tx, EventShiftCancelled, ReasonReleased, cur)
		}
	}
	return nil
}

// DeleteShift removes (cancels) a shift; the employee of a published shift
// is told.
func (s *Service) DeleteShift(ctx context.Context, p auth.Principal, id int64, ifMatch *int64) error {
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := lockShiftToManage(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != cur.Version {
			return apperr.Stale("the shift")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM shifts WHERE id = ?", id); err != nil {
			return fmt.Errorf("roster: delete shift: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "shift.delete", Entity: "shift", EntityID: id, Detail: cur})
		emitShift(tx, EventShiftDeleted, cur)
		if cur.Status == StatusPublished {
			tellEmployee(tx, EventShiftCancelled, ReasonCancelled, cur)
		}
		return nil
	})
}

// applyShiftInput copies the present fields of in onto sh and validates the
// result into f (the times are parsed as RFC 3339 instants with an offset).
func applyShiftInput(sh *Shift, in ShiftInput, f apperr.Fields) {
	if in.EmployeeID.Set {
		sh.EmployeeID = in.EmployeeID.Value
		if sh.EmployeeID != nil && *sh.EmployeeID <= 0 {
			f.Add("employee_id", "must be a person's id or null")
		}
	}
	if in.StartsAt != nil {
		t, err := time.Parse(time.RFC3339, *in.StartsAt)
		if err != nil {
			f.Add("starts_at", "must be an RFC 3339 instant like 2026-12-01T09:00:00-04:00")
		}
		sh.StartsAt = t.UTC().Truncate(time.Second)
	}
	if in.EndsAt != nil {
		t, err := time.Parse(time.RFC3339, *in.EndsAt)
		if err != nil {
			f.Add("ends_at", "must be an RFC 3339 instant like 2026-12-01T17:00:00-04:00")
		}
		sh.EndsAt = t.UTC().Truncate(time.Second)
	}
	if in.Position != nil {
		sh.Position = strings.TrimSpace(*in.Position)
	}
	if in.Notes != nil {
		sh.Notes = *in.Notes
	}
	if _, bad := f["starts_at"]; !bad {
		if _, bad := f["ends_at"]; !bad && !sh.StartsAt.IsZero() && !sh.EndsAt.IsZero() {
			switch d := sh.EndsAt.Sub(sh.StartsAt); {
			case d <= 0:
				f.Add("ends_at", "must be after starts_at")
			case d > MaxShiftLength:
				f.Add("ends_at", "a shift may last at most 16 hours")
			}
		}
	}
	if len(sh.Position) > 80 {
		f.Add("position", "must be at most 80 characters")
	}
	if len(sh.Notes) > 1000 {
		f.Add("notes", "must be at most 1000 characters")
	}
	if sh.Status != StatusDraft && sh.Status != StatusPublished {
		f.Add("status", "must be draft or published")
	}
}

// parseRange reads the from/to query values: RFC 3339 instants, or dates
// read in the store's zone (the store is only loaded for dates).
func (s *Service) parseRange(ctx context.Context, vals ...string) (time.Time, time.Time, error) {
	var out [2]time.Time
	var loc *time.Location
	for i, v := range vals[:2] {
		if v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			out[i] = t.UTC()
			continue
		}
		if loc == nil {
			st, err := s.People.GetStore(ctx)
			if err != nil {
				return out[0], out[1], err
			}
			loc = st.Location()
		}
		t, ok := parseDate(v, loc)
		if !ok {
			return out[0], out[1], apperr.New(apperr.BadRequest, "from and to must be dates (2026-12-01) or RFC 3339 instants")
		}
		out[i] = t.UTC()
	}
	return out[0], out[1], nil
}
