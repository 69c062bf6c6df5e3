package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
)

// Department is a part of the store with its own schedule.
type Department struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Color   string `json:"color"`
	Version int64  `json:"version"`
}

// DepartmentInput is the body of POST and PATCH /departments.
type DepartmentInput struct {
	Name    *string `json:"name"`
	Color   *string `json:"color"`
	Version *int64  `json:"version"`
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// DefaultDeptColor is used when a department is created without a colour.
const DefaultDeptColor = "#4f46e5"

const deptColumns = "id, name, color, version"

func scanDept(r db.Scanner) (Department, error) {
	var d Department
	err := r.Scan(&d.ID, &d.Name, &d.Color, &d.Version)
	return d, err
}

// ListDepartments returns every department; all signed-in people may read them.
func (s *Service) ListDepartments(ctx context.Context, lp paging.ListParams) (paging.Page[Department], error) {
	lp, err := lp.Normalize()
	if err != nil {
		return paging.Page[Department]{}, err
	}
	after, err := paging.DecodeCursor(lp.Cursor)
	if err != nil {
		return paging.Page[Department]{}, err
	}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT "+deptColumns+" FROM departments WHERE id > ? ORDER BY id LIMIT ?", after, lp.Limit+1)
	if err != nil {
		return paging.Page[Department]{}, fmt.Errorf("people: list departments: %w", err)
	}
	page, err := paging.ReadPage(rows, lp.Limit, scanDept, func(d Department) int64 { return d.ID })
	if err != nil {
		return paging.Page[Department]{}, fmt.Errorf("people: list departments: %w", err)
	}
	return page, nil
}

// GetDepartment returns one department.
func (s *Service) GetDepartment(ctx context.Context, id int64) (Department, error) {
	d, err := scanDept(s.W.DB.QueryRowContext(ctx, "SELECT "+deptColumns+" FROM departments WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Department{}, apperr.NotFoundf("department")
	}
	if err != nil {
		return Department{}, fmt.Errorf("people: get department: %w", err)
	}
	return d, nil
}

func validateDept(d Department) error {
	f := apperr.Fields{}
	if l := len(d.Name); l == 0 || l > 80 {
		f.Add("name", "must be 1 to 80 characters")
	}
	if !colorRe.MatchString(d.Color) {
		f.Add("color", "must be a colour like #4f46e5")
	}
	return f.Err()
}

// CreateDepartment adds a department (admins only).
func (s *Service) CreateDepartment(ctx context.Context, p auth.Principal, in DepartmentInput) (Department, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return Department{}, err
	}
	d := Department{Color: DefaultDeptColor, Version: 1}
	if in.Name != nil {
		d.Name = strings.TrimSpace(*in.Name)
	}
	if in.Color != nil {
		d.Color = *in.Color
	}
	if err := validateDept(d); err != nil {
		return Department{}, err
	}
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO departments (name, color, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
			d.Name, d.Color, tx.Now(), tx.Now())
		if db.IsDuplicate(err) {
			return apperr.Field("name", "a department with this name exists")
		}
		if err != nil {
			return fmt.Errorf("people: create department: %w", err)
		}
		d.ID, _ = res.LastInsertId()
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "department.create", Entity: "department", EntityID: d.ID, Detail: d})
		tx.Emit(outbox.TopicStore, EventDeptUpdated, d)
		return nil
	})
	return d, err
}

// UpdateDepartment changes a department (admins only).
func (s *Service) UpdateDepartment(ctx context.Context, p auth.Principal, id int64, in DepartmentInput, ifMatch *int64) (Department, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return Department{}, err
	}
	if in.Version == nil {
		in.Version = ifMatch
	}
	var out Department
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := scanDept(tx.QueryRowContext(ctx, "SELECT "+deptColumns+" FROM departments WHERE id = ?"+tx.DB.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("department")
		}
		if err != nil {
			return fmt.Errorf("people: update department: %w", err)
		}
		if err := checkVersion(in.Version, cur.Version, "the department"); err != nil {
			return err
		}
		next := cur
		if in.Name != nil {
			next.Name = strings.TrimSpace(*in.Name)
		}
		if in.Color != nil {
			next.Color = *in.Color
		}
		if err := validateDept(next); err != nil {
			return err
		}
		next.Version++
		_, err = tx.ExecContext(ctx, "UPDATE departments SET name = ?, color = ?, version = ?, updated_at = ? WHERE id = ?",
			next.Name, next.Color, next.Version, tx.Now(), id)
		if db.IsDuplicate(err) {
			return apperr.Field("name", "a department with this name exists")
		}
		if err != nil {
			return fmt.Errorf("people: update department: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "department.update", Entity: "department", EntityID: id, Detail: in})
		tx.Emit(outbox.TopicStore, EventDeptUpdated, next)
		out = next
		return nil
	})
	return out, err
}

// DeleteDepartment removes an unused department (admins only). A department
// that people or shifts refer to answers 409 in_use.
func (s *Service) DeleteDepartment(ctx context.Context, p auth.Principal, id int64, ifMatch *int64) error {
	if err := auth.RequireAdmin(p); err != nil {
		return err
	}
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		cur, err := scanDept(tx.QueryRowContext(ctx, "SELECT "+deptColumns+" FROM departments WHERE id = ?"+tx.DB.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("department")
		}
		if err != nil {
			return fmt.Errorf("people: delete department: %w", err)
		}
		if err := checkVersion(ifMatch, cur.Version, "the department"); err != nil {
			return err
		}
		var members int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM user_departments WHERE department_id = ?", id).Scan(&members); err != nil {
			return fmt.Errorf("people: delete department: %w", err)
		}
		if members > 0 {
			return apperr.New(apperr.InUse, "the department still has %d people; move them first", members)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM departments WHERE id = ?", id)
		if db.IsForeignKey(err) {
			return apperr.New(apperr.InUse, "the department still has shifts or other records")
		}
		if err != nil {
			return fmt.Errorf("people: delete department: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "department.delete", Entity: "department", EntityID: id, Detail: cur})
		tx.Emit(outbox.TopicStore, EventDeptUpdated, map[string]any{"id": id, "deleted": true})
		return nil
	})
}
