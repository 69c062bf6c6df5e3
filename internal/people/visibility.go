package people

import (
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
)

// VisibleTo returns the SQL condition, with its arguments, that a column
// holding a person's id (col, e.g. "u.id" or "employee_id") must meet for
// p to see that person's rows: admins see everyone; managers themselves and
// the members of the departments they manage; everyone else themselves.
// Every list of per-person rows (people, time off, attendance) uses it, so
// the rule is written once.
func VisibleTo(p auth.Principal, col string) (string, []any) {
	switch {
	case p.IsAdmin():
		return "1 = 1", nil
	case p.Role == auth.RoleManager && len(p.DeptIDs) > 0:
		args := []any{p.UserID}
		for _, d := range p.DeptIDs {
			args = append(args, d)
		}
		return "(" + col + " = ? OR " + col + " IN (SELECT user_id FROM user_departments WHERE department_id IN (" +
			db.Placeholders(len(p.DeptIDs)) + ")))", args
	}
	return col + " = ?", []any{p.UserID}
}
