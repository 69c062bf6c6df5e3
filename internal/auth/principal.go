// Package auth holds passwords, sessions and tokens, the login limiter, and
// the RBAC policy: who may do what to which object. Domain packages call the
// policy with the object in hand, so authorization holds whatever route or
// task reaches them.
package auth

import (
	"slices"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
)

// Role is what a person is in the store.
type Role string

// The roles.
const (
	RoleAdmin    Role = "admin"
	RoleManager  Role = "manager"
	RoleEmployee Role = "employee"
	RoleKiosk    Role = "kiosk"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleManager, RoleEmployee, RoleKiosk:
		return true
	}
	return false
}

// Principal is the signed-in caller.
type Principal struct {
	UserID    int64
	SessionID int64
	Role      Role
	// DeptIDs are the departments a manager manages, or an employee works in.
	DeptIDs []int64
	// Expires is when the session ends (zero for System): open sockets
	// close then, as they do on logout.
	Expires time.Time
}

// System is the principal of background work and start-up tasks.
var System = Principal{Role: RoleAdmin}

// ClocksOnly reports whether p is a kiosk, which may only clock people in
// and out: no feed tokens, no push subscriptions, nothing of its own.
func (p Principal) ClocksOnly() bool { return p.Role == RoleKiosk }

// IsAdmin reports whether p is an admin.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// InDept reports whether p belongs to (or manages) department id.
func (p Principal) InDept(id int64) bool { return slices.Contains(p.DeptIDs, id) }

// Manages reports whether p may manage department id: admins manage all,
// managers their own.
func (p Principal) Manages(id int64) bool {
	return p.IsAdmin() || (p.Role == RoleManager && p.InDept(id))
}

// SharesDept reports whether p is in any of depts.
func (p Principal) SharesDept(depts []int64) bool {
	for _, d := range depts {
		if p.InDept(d) {
			return true
		}
	}
	return false
}

// ErrForbidden is returned when the caller may see an object but not change it.
var ErrForbidden = apperr.New(apperr.Forbidden, "you are not allowed to do that")

// RequireAdmin allows admins only.
func RequireAdmin(p Principal) error {
	if !p.IsAdmin() {
		return ErrForbidden
	}
	return nil
}

// RequireManagerOf allows admins and managers of department id.
func RequireManagerOf(p Principal, id int64) error {
	if !p.Manages(id) {
		return ErrForbidden
	}
	return nil
}

// RequireManager allows admins and managers of any department.
func RequireManager(p Principal) error {
	if !p.IsAdmin() && p.Role != RoleManager {
		return ErrForbidden
	}
	return nil
}

// Person is what the policy needs to know about a person-shaped object.
type Person struct {
	ID      int64
	DeptIDs []int64
}

// CanSeePerson reports whether p may know that person exists: admins see
// everyone, people see themselves, managers see people of their departments.
func CanSeePerson(p Principal, who Person) bool {
	switch {
	case p.IsAdmin(), p.UserID == who.ID:
		return true
	case p.Role == RoleManager:
		return p.SharesDept(who.DeptIDs)
	}
	return false
}

// CanManagePerson reports whether p may act as the person's manager
// (availability, time off, schedules).
func CanManagePerson(p Principal, who Person) bool {
	return p.IsAdmin() || (p.Role == RoleManager && p.SharesDept(who.DeptIDs))
}

// ReadPerson returns 404 when p may not know who exists.
func ReadPerson(p Principal, who Person, what string) error {
	if !CanSeePerson(p, who) {
		return apperr.NotFoundf(what)
	}
	return nil
}
