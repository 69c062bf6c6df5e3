package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
)

// MaxPayRateCents is the highest hourly rate accepted ($1,000.00 an hour).
const MaxPayRateCents = 100000

// Employee is a person of the store, whatever their role.
type Employee struct {
	ID              int64     `json:"id"`
	FirstName       string    `json:"first_name"`
	LastName        string    `json:"last_name"`
	Email           string    `json:"email"`
	Phone           string    `json:"phone"`
	Role            auth.Role `json:"role"`
	DepartmentIDs   []int64   `json:"department_ids"`
	HiredOn         *string   `json:"hired_on"`
	Active          bool      `json:"active"`
	MaxHoursPerWeek int       `json:"max_hours_per_week"`
	// PayRateCents is the hourly base rate in cents of the store's
	// currency: the rate of any day no wage row (internal/labor) covers.
	// Shown to admins, the person's managers and the person; the service
	// clears it for others.
	PayRateCents *int64 `json:"pay_rate_cents,omitempty"`
	Version      int64  `json:"version"`

	payRateCents int64
}

// Person is what the authorization policy needs.
func (e Employee) Person() auth.Person { return auth.Person{ID: e.ID, DeptIDs: e.DepartmentIDs} }

// FullName is "First Last".
func (e Employee) FullName() string { return e.FirstName + " " + e.LastName }

// EmployeeInput is the body of POST and PATCH /employees.
type EmployeeInput struct {
	FirstName       *string    `json:"first_name"`
	LastName        *string    `json:"last_name"`
	Email           *string    `json:"email"`
	Phone           *string    `json:"phone"`
	Role            *auth.Role `json:"role"`
	DepartmentIDs   *[]int64   `json:"department_ids"`
	HiredOn         *string    `json:"hired_on"`
	Active          *bool      `json:"active"`
	MaxHoursPerWeek *int       `json:"max_hours_per_week"`
	PayRateCents    *int64     `json:"pay_rate_cents"`
	Password        *string    `json:"password"`
	Version         *int64     `json:"version"`
}

// EmployeeFilter narrows GET /employees.
type EmployeeFilter struct {
	DepartmentID int64
	Role         auth.Role
	Active       *bool
}

const userColumns = `u.id, u.first_name, u.last_name, u.email, u.phone, u.role, u.hired_on, u.active,
	u.max_hours_per_week, u.pay_rate_cents, u.version`

func scanEmployee(r db.Scanner) (Employee, error) {
	var e Employee
	var hired sql.NullTime
	var role string
	err := r.Scan(&e.ID, &e.FirstName, &e.LastName, &e.Email, &e.Phone, &role, &hired, &e.Active,
		&e.MaxHoursPerWeek, &e.payRateCents, &e.Version)
	if err != nil {
		return e, err
	}
	e.Role = auth.Role(role)
	if hired.Valid {
		s := hired.Time.Format(dateLayout)
		e.HiredOn = &s
	}
	return e, nil
}

// forViewer clears what the viewer may not see.
func (e Employee) forViewer(p auth.Principal) Employee {
	e.PayRateCents = nil
	if p.IsAdmin() || p.UserID == e.ID || (p.Role == auth.RoleManager && p.SharesDept(e.DepartmentIDs)) {
		r := e.payRateCents
		e.PayRateCents = &r
	}
	if e.DepartmentIDs == nil {
		e.DepartmentIDs = []int64{}
	}
	return e
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// loadEmployee reads one person with departments; forUpdate locks the row.
func loadEmployee(ctx context.Context, q querier, d *db.DB, id int64, forUpdate bool) (Employee, error) {
	lock := ""
	if forUpdate {
		lock = d.ForUpdate()
	}
	e, err := scanEmployee(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id = ?"+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Employee{}, apperr.NotFoundf("employee")
	}
	if err != nil {
		return Employee{}, fmt.Errorf("people: load employee: %w", err)
	}
	if e.DepartmentIDs, err = auth.DeptIDs(ctx, q, id); err != nil {
		return Employee{}, err
	}
	return e, nil
}

// GetEmployee returns one person the caller may see (404 otherwise).
func (s *Service) GetEmployee(ctx context.Context, p auth.Principal, id int64) (Employee, error) {
	e, err := loadEmployee(ctx, s.W.DB, s.W.DB, id, false)
	if err != nil {
		return Employee{}, err
	}
	if err := auth.ReadPerson(p, e.Person(), "employee"); err != nil {
		return Employee{}, err
	}
	return e.forViewer(p), nil
}

// ListEmployees lists the people the caller may see: admins everyone,
// managers the people of their departments, others themselves.
func (s *Service) ListEmployees(ctx context.Context, p auth.Principal, f EmployeeFilter, lp paging.ListParams) (paging.Page[Employee], error) {
	lp, err := lp.Normalize()
	if err != nil {
		return paging.Page[Employee]{}, err
	}
	after, err := paging.DecodeCursor(lp.Cursor)
	if err != nil {
		return paging.Page[Employee]{}, err
	}
	where := []string{"u.id > ?"}
	args := []any{after}
	vis, visArgs := VisibleTo(p, "u.id")
	where, args = append(where, vis), append(args, visArgs...)
	if f.DepartmentID != 0 {
		where = append(where, "u.id IN (SELECT user_id FROM user_departments WHERE department_id = ?)")
		args = append(args, f.DepartmentID)
	}
	if f.Role != "" {
		where = append(where, "u.role = ?")
		args = append(args, string(f.Role))
	}
	if f.Active != nil {
		where = append(where, "u.active = ?")
		args = append(args, *f.Active)
	}
	args = append(args, lp.Limit+1)
	rows, err := s.W.DB.QueryContext(ctx, "SELECT "+userColumns+" FROM users u WHERE "+strings.Join(where, " AND ")+" ORDER BY u.id LIMIT ?", args...)
	if err != nil {
		return paging.Page[Employee]{}, fmt.Errorf("people: list employees: %w", err)
	}
	out, err := paging.ReadPage(rows, lp.Limit, scanEmployee, func(e Employee) int64 { return e.ID })
	if err != nil {
		return paging.Page[Employee]{}, fmt.Errorf("people: list employees: %w", err)
	}
	if err := s.fillDepartments(ctx, out.Items); err != nil {
		return paging.Page[Employee]{}, err
	}
	for i := range out.Items {
		out.Items[i] = out.Items[i].forViewer(p)
	}
	return out, nil
}

// fillDepartments loads department ids of a page of people in one query.
func (s *Service) fillDepartments(ctx context.Context, es []Employee) error {
	if len(es) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(es))
	args := make([]any, len(es))
	for i, e := range es {
		idx[e.ID] = i
		args[i] = e.ID
		es[i].DepartmentIDs = []int64{}
	}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT user_id, department_id FROM user_departments WHERE user_id IN ("+
		db.Placeholders(len(es))+") ORDER BY user_id, department_id", args...)
	if err != nil {
		return fmt.Errorf("people: departments of people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, d int64
		if err := rows.Scan(&u, &d); err != nil {
			return fmt.Errorf("people: departments of people: %w", err)
		}
		es[idx[u]].DepartmentIDs = append(es[idx[u]].DepartmentIDs, d)
	}
	return rows.Err()
}

// CreateEmployee adds a person (admins only). Password is required.
func (s *Service) CreateEmployee(ctx context.Context, p auth.Principal, in EmployeeInput) (Employee, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return Employee{}, err
	}
	e := Employee{Role: auth.RoleEmployee, Active: true, MaxHoursPerWeek: 40, DepartmentIDs: []int64{}, Version: 1}
	f := apperr.Fields{}
	applyEmployeeInput(&e, in, f)
	if in.Password == nil {
		f.Add("password", "is required")
	} else if why := auth.ValidatePassword(*in.Password); why != "" {
		f.Add("password", why)
	}
	validateEmployee(e, f)
	if err := f.Err(); err != nil {
		return Employee{}, err
	}
	hash, err := s.Passwords.Hash(*in.Password)
	if err != nil {
		return Employee{}, err
	}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		if err := checkDepartmentsExist(ctx, tx, e.DepartmentIDs); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, first_name, last_name, phone, role, hired_on,
			active, max_hours_per_week, pay_rate_cents, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			e.Email, hash, e.FirstName, e.LastName, e.Phone, string(e.Role), hiredOnValue(e.HiredOn), e.Active,
			e.MaxHoursPerWeek, e.payRateCents, tx.Now(), tx.Now())
		if db.IsDuplicate(err) {
			return apperr.Field("email", "someone already uses this e-mail address")
		}
		if err != nil {
			return fmt.Errorf("people: create employee: %w", err)
		}
		e.ID, _ = res.LastInsertId()
		if err := setDepartments(ctx, tx, e.ID, e.DepartmentIDs); err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "employee.create", Entity: "employee", EntityID: e.ID, Detail: auditView(e)})
		emitEmployee(tx, e, false)
		return nil
	})
	if err != nil {
		return Employee{}, err
	}
	return e.forViewer(p), nil
}

// UpdateEmployee changes a person (admins only). Deactivating ends their
// sessions; a change of role or departments closes their sockets so that
// they resubscribe with their new topics.
func (s *Service) UpdateEmployee(ctx context.Context, p auth.Principal, id int64, in EmployeeInput, ifMatch *int64) (Employee, error) {
	if in.Version == nil {
		in.Version = ifMatch
	}
	var out Employee
	// Role, departments and the active flag are part of every cached
	// principal of this person: look them up again after the change.
	defer s.Sessions.ForgetUser(id)
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := loadEmployee(ctx, tx, tx.DB, id, true)
		if err != nil {
			return err
		}
		if err := auth.ReadPerson(p, cur.Person(), "employee"); err != nil {
			return err
		}
		if err := auth.RequireAdmin(p); err != nil {
			return err
		}
		if err := checkVersion(in.Version, cur.Version, "the employee"); err != nil {
			return err
		}
		next := cur
		f := apperr.Fields{}
		applyEmployeeInput(&next, in, f)
		validateEmployee(next, f)
		if in.Password != nil {
			f.Add("password", "change passwords with POST /me/password")
		}
		if err := f.Err(); err != nil {
			return err
		}
		if err := checkDepartmentsExist(ctx, tx, next.DepartmentIDs); err != nil {
			return err
		}
		if cur.Role == auth.RoleAdmin && cur.Active && (!next.Active || next.Role != auth.RoleAdmin) {
			if err := requireAnotherAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		next.Version = cur.Version + 1
		_, err = tx.ExecContext(ctx, `UPDATE users SET email = ?, first_name = ?, last_name = ?, phone = ?, role = ?, hired_on = ?,
			active = ?, max_hours_per_week = ?, pay_rate_cents = ?, version = ?, updated_at = ? WHERE id = ?`,
			next.Email, next.FirstName, next.LastName, next.Phone, string(next.Role), hiredOnValue(next.HiredOn), next.Active,
			next.MaxHoursPerWeek, next.payRateCents, next.Version, tx.Now(), id)
		if db.IsDuplicate(err) {
			return apperr.Field("email", "someone already uses this e-mail address")
		}
		if err != nil {
			return fmt.Errorf("people: update employee: %w", err)
		}
		deptsChanged := !slices.Equal(cur.DepartmentIDs, next.DepartmentIDs)
		if deptsChanged {
			if err := setDepartments(ctx, tx, id, next.DepartmentIDs); err != nil {
				return err
			}
		}
		if cur.Active && !next.Active {
			if err := auth.RevokeUserTx(ctx, tx, id, 0); err != nil {
				return err
			}
		}
		if s.Leaving != nil && cur.Active {
			var left []int64 // nil: deactivated, gone everywhere
			if next.Active {
				for _, d := range cur.DepartmentIDs {
					if !slices.Contains(next.DepartmentIDs, d) {
						left = append(left, d)
					}
				}
			}
			if !next.Active || len(left) > 0 {
				if err := s.Leaving(ctx, tx, p, id, left); err != nil {
					return err
				}
			}
		}
		action := "employee.update"
		if cur.Active && !next.Active {
			action = "employee.deactivate"
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: action, Entity: "employee", EntityID: id, Detail: auditPatch(in)})
		emitEmployee(tx, next, deptsChanged || cur.Role != next.Role || cur.Active != next.Active)
		out = next
		return nil
	})
	if err != nil {
		return Employee{}, err
	}
	return out.forViewer(p), nil
}

// DeactivateEmployee is DELETE /employees/{id}: people are never erased,
// because their shifts and attendance stay in the history.
func (s *Service) DeactivateEmployee(ctx context.Context, p auth.Principal, id int64, ifMatch *int64) error {
	f := false
	_, err := s.UpdateEmployee(ctx, p, id, EmployeeInput{Active: &f}, ifMatch)
	return err
}

func requireAnotherAdmin(ctx context.Context, tx *outbox.Tx, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = ? AND id <> ?", true, id).Scan(&n); err != nil {
		return fmt.Errorf("people: count admins: %w", err)
	}
	if n == 0 {
		return apperr.New(apperr.Conflict, "the store needs at least one active admin")
	}
	return nil
}

// EmployeeChanged is the payload of employee.updated.
type EmployeeChanged struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Role          auth.Role `json:"role"`
	DepartmentIDs []int64   `json:"department_ids"`
	Active        bool      `json:"active"`
	// Resubscribe tells hubs to close the person's sockets: their topics changed.
	Resubscribe bool `json:"resubscribe"`
}

func emitEmployee(tx *outbox.Tx, e Employee, resubscribe bool) {
	ev := EmployeeChanged{ID: e.ID, Name: e.FullName(), Role: e.Role, DepartmentIDs: e.DepartmentIDs, Active: e.Active, Resubscribe: resubscribe}
	tx.Emit(outbox.UserTopic(e.ID), EventEmployeeUpdated, ev)
	ev.Resubscribe = false
	tx.Emit(outbox.TopicStore, EventEmployeeUpdated, ev)
	for _, d := range e.DepartmentIDs {
		tx.EmitManagers(outbox.DeptTopic(d), EventEmployeeUpdated, ev)
	}
}

func auditView(e Employee) map[string]any {
	return map[string]any{"email": e.Email, "role": e.Role, "department_ids": e.DepartmentIDs, "active": e.Active}
}

// auditPatch records what changed, never the password.
func auditPatch(in EmployeeInput) EmployeeInput {
	in.Password = nil
	return in
}

func hiredOnValue(s *string) any {
	if s == nil {
		return nil
	}
	t, _ := time.Parse(dateLayout, *s)
	return t
}

func applyEmployeeInput(e *Employee, in EmployeeInput, f apperr.Fields) {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	str(&e.FirstName, in.FirstName)
	str(&e.LastName, in.LastName)
	str(&e.Phone, in.Phone)
	if in.Email != nil {
		e.Email = strings.ToLower(strings.TrimSpace(*in.Email))
	}
	if in.Role != nil {
		e.Role = *in.Role
	}
	if in.DepartmentIDs != nil {
		ids := slices.Clone(*in.DepartmentIDs)
		slices.Sort(ids)
		e.DepartmentIDs = slices.Compact(ids)
	}
	if in.HiredOn != nil {
		if *in.HiredOn == "" {
			e.HiredOn = nil
		} else if _, err := time.Parse(dateLayout, *in.HiredOn); err != nil {
			f.Add("hired_on", "must be a date like 2026-03-01")
		} else {
			v := *in.HiredOn
			e.HiredOn = &v
		}
	}
	if in.Active != nil {
		e.Active = *in.Active
	}
	if in.MaxHoursPerWeek != nil {
		e.MaxHoursPerWeek = *in.MaxHoursPerWeek
	}
	if in.PayRateCents != nil {
		if *in.PayRateCents < 0 || *in.PayRateCents > MaxPayRateCents {
			f.Add("pay_rate_cents", fmt.Sprintf("must be between 0 and %d cents an hour", MaxPayRateCents))
		} else {
			e.payRateCents = *in.PayRateCents
		}
	}
}

func validateEmployee(e Employee, f apperr.Fields) {
	if l := len(e.FirstName); l == 0 || l > 80 {
		f.Add("first_name", "must be 1 to 80 characters")
	}
	if l := len(e.LastName); l == 0 || l > 80 {
		f.Add("last_name", "must be 1 to 80 characters")
	}
	if a, err := mail.ParseAddress(e.Email); err != nil || a.Address != e.Email || len(e.Email) > 254 {
		f.Add("email", "must be an e-mail address like name@example.com")
	}
	if len(e.Phone) > 40 {
		f.Add("phone", "must be at most 40 characters")
	}
	if !e.Role.Valid() {
		f.Add("role", "must be admin, manager, employee or kiosk")
	}
	if e.MaxHoursPerWeek < 0 || e.MaxHoursPerWeek > 80 {
		f.Add("max_hours_per_week", "must be between 0 and 80")
	}
	if len(e.DepartmentIDs) > 50 {
		f.Add("department_ids", "too many departments")
	}
	if (e.Role == auth.RoleEmployee || e.Role == auth.RoleManager) && len(e.DepartmentIDs) == 0 {
		f.Add("department_ids", "employees and managers need at least one department")
	}
}

func checkDepartmentsExist(ctx context.Context, tx *outbox.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM departments WHERE id IN ("+db.Placeholders(len(ids))+")", args...).Scan(&n); err != nil {
		return fmt.Errorf("people: check departments: %w", err)
	}
	if n != len(ids) {
		return apperr.Field("department_ids", "names a department that does not exist")
	}
	return nil
}

func setDepartments(ctx context.Context, tx *outbox.Tx, userID int64, ids []int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM user_departments WHERE user_id = ?", userID); err != nil {
		return fmt.Errorf("people: set departments: %w", err)
	}
	for _, d := range ids {
		if _, err := tx.ExecContext(ctx, "INSERT INTO user_departments (user_id, department_id) VALUES (?, ?)", userID, d); err != nil {
			return fmt.Errorf("people: set departments: %w", err)
		}
	}
	return nil
}
