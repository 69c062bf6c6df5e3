package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/db"
)

// The authorization matrix: every route × {admin, manager, employee} × the
// caller's own department or another one. The routes come from the router
// itself, so a new route without a row here fails this test.

type scope int

const (
	own scope = iota
	other
)

// fixture is the world the matrix runs in: two departments, a manager and
// an employee of the first, and people in both.
type fixture struct {
	s              *apptest.Server
	admin          string
	deptOwn, deptX int64
	tokens         map[string]string // role → token
	ids            map[string]int64  // role → the user id behind tokens[role]
	people         map[scope]int64
	fresh          bool
}

// matrixRow says, for one route, how to build a request for a scope and
// which status each role gets for own and other.
type matrixRow struct {
	// path returns the request path (and may create the target object).
	path func(f *fixture, sc scope) string
	body func(f *fixture, sc scope) any
	// want[role] = {own, other}
	want map[string][2]int
	// fresh asks for a new caller and new target objects (the request
	// ends sessions or deactivates people).
	fresh bool
}

func same(code int) [2]int { return [2]int{code, code} }

func staticPath(p string) func(*fixture, scope) string {
	return func(*fixture, scope) string { return p }
}

func (f *fixture) dept(sc scope) int64 {
	if sc == own {
		return f.deptOwn
	}
	return f.deptX
}

// person returns an employee of the scope's department; a new one when the
// row is destructive.
func (f *fixture) person(sc scope) int64 {
	if !f.fresh {
		if id, ok := f.people[sc]; ok {
			return id
		}
	}
	id := f.s.CreatePerson(f.admin, "employee", f.dept(sc)).ID
	f.people[sc] = id
	return id
}

var matrix = map[string]matrixRow{
	"POST /api/v1/auth/login": {
		path: staticPath("/api/v1/auth/login"),
		body: func(f *fixture, _ scope) any {
			return map[string]string{"email": apptest.AdminEmail, "password": apptest.AdminPassword}
		},
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"POST /api/v1/auth/logout": {
		fresh: true,
		path:  staticPath("/api/v1/auth/logout"),
		want:  map[string][2]int{"admin": same(204), "manager": same(204), "employee": same(204)},
	},
	"GET /api/v1/me": {
		path: staticPath("/api/v1/me"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"POST /api/v1/me/password": {
		path: staticPath("/api/v1/me/password"),
		body: func(*fixture, scope) any {
			return map[string]string{"current": "not-the-password", "new": "another-password"}
		},
		want: map[string][2]int{"admin": same(422), "manager": same(422), "employee": same(422)},
	},
	"GET /api/v1/store": {
		path: staticPath("/api/v1/store"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"PATCH /api/v1/store": {
		path: staticPath("/api/v1/store"),
		body: func(*fixture, scope) any { return map[string]any{"reminder_hours": 12} },
		want: map[string][2]int{"admin": same(200), "manager": same(403), "employee": same(403)},
	},
	"GET /api/v1/departments": {
		path: staticPath("/api/v1/departments"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"POST /api/v1/departments": {
		path: staticPath("/api/v1/departments"),
		body: func(f *fixture, sc scope) any { return map[string]string{"name": fmt.Sprintf("Dept %d", nextN())} },
		want: map[string][2]int{"admin": same(201), "manager": same(403), "employee": same(403)},
	},
	"GET /api/v1/departments/:id": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/departments/%d", f.dept(sc)) },
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"PATCH /api/v1/departments/:id": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/departments/%d", f.dept(sc)) },
		body: func(*fixture, scope) any { return map[string]string{"color": "#123456"} },
		want: map[string][2]int{"admin": same(200), "manager": same(403), "employee": same(403)},
	},
	"DELETE /api/v1/departments/:id": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/departments/%d", f.dept(sc)) },
		want: map[string][2]int{"admin": same(409), "manager": same(403), "employee": same(403)}, // in use
	},
	"GET /api/v1/employees": {
		path: staticPath("/api/v1/employees"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"POST /api/v1/employees": {
		path: staticPath("/api/v1/employees"),
		body: func(f *fixture, sc scope) any {
			return map[string]any{"first_name": "N", "last_name": "P", "email": fmt.Sprintf("n%d@test.example.com", nextN()),
				"password": "long-enough-pw", "role": "employee", "department_ids": []int64{f.dept(sc)}}
		},
		want: map[string][2]int{"admin": same(201), "manager": same(403), "employee": same(403)},
	},
	"GET /api/v1/employees/:id": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/employees/%d", f.person(sc)) },
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"PATCH /api/v1/employees/:id": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/employees/%d", f.person(sc)) },
		body: func(*fixture, scope) any { return map[string]any{"phone": "902-555-0100"} },
		want: map[string][2]int{"admin": same(200), "manager": {403, 404}, "employee": same(404)},
	},
	"DELETE /api/v1/employees/:id": {
		fresh: true,
		path:  func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/employees/%d", f.person(sc)) },
		want:  map[string][2]int{"admin": same(204), "manager": {403, 404}, "employee": same(404)},
	},
	"GET /api/v1/push/vapid-public-key": {
		path: staticPath("/api/v1/push/vapid-public-key"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"POST /api/v1/me/push-subscriptions": {
		path: staticPath("/api/v1/me/push-subscriptions"),
		body: func(*fixture, scope) any {
			return map[string]any{"endpoint": fmt.Sprintf("https://push.example.com/%d", nextN()),
				"keys": map[string]string{"p256dh": strings.Repeat("B", 87), "auth": strings.Repeat("A", 22)}}
		},
		want: map[string][2]int{"admin": same(201), "manager": same(201), "employee": same(201)},
	},
	"DELETE /api/v1/me/push-subscriptions": {
		path: staticPath("/api/v1/me/push-subscriptions?endpoint=https://push.example.com/none"),
		want: map[string][2]int{"admin": same(204), "manager": same(204), "employee": same(204)},
	},
	"GET /api/v1/audit": {
		path: staticPath("/api/v1/audit"),
		want: map[string][2]int{"admin": same(200), "manager": same(403), "employee": same(403)},
	},
}

// public routes need no session: they are checked elsewhere.
var public = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
}

var counter int

func nextN() int { counter++; return counter }

func TestAuthorizationMatrix(t *testing.T) {
	s := apptest.Start(t, db.SQLite, apptest.Options{})
	admin := s.AdminToken()
	f := &fixture{s: s, admin: admin, tokens: map[string]string{}, ids: map[string]int64{}, people: map[scope]int64{}}
	f.deptOwn = s.CreateDepartment(admin, "Own")
	f.deptX = s.CreateDepartment(admin, "Other")
	s.CreatePerson(admin, "employee", f.deptX) // the other department is in use too

	eng, ok := s.App.Router().(*gin.Engine)
	if !ok {
		t.Fatal("router is not a gin engine")
	}
	for _, r := range eng.Routes() {
		key := r.Method + " " + r.Path
		if public[key] {
			continue
		}
		row, ok := matrix[key]
		if !ok {
			t.Errorf("route %s has no row in the authorization matrix", key)
			continue
		}
		f.fresh = row.fresh
		for _, role := range []string{"admin", "manager", "employee"} {
			for _, sc := range []scope{own, other} {
				token := f.token(role)
				var body any
				if row.body != nil {
					body = row.body(f, sc)
				}
				resp := s.Do(r.Method, row.path(f, sc), token, body)
				if want := row.want[role][sc]; resp.Status != want {
					t.Errorf("%s as %s (%s dept): %d, want %d: %s", key, role, []string{"own", "other"}[sc], resp.Status, want, trunc(resp.Body))
				}
			}
		}
		// Without a session every authenticated route answers 401.
		if key != "POST /api/v1/auth/login" {
			if resp := s.Do(r.Method, row.path(f, own), "", nil); resp.Status != http.StatusUnauthorized {
				t.Errorf("%s without a session: %d, want 401", key, resp.Status)
			}
		}
	}
}

// token signs in a person of the role; a new one for destructive rows, so
// that logout and deactivation do not spoil the next row.
func (f *fixture) token(role string) string {
	if t, ok := f.tokens[role]; ok && !f.fresh {
		return t
	}
	t, id := f.newToken(role)
	if !f.fresh {
		f.tokens[role], f.ids[role] = t, id
	}
	return t
}

// caller returns the user id of the matrix's (non-fresh) caller of the role.
func (f *fixture) caller(role string) int64 {
	fresh := f.fresh
	f.fresh = false
	f.token(role)
	f.fresh = fresh
	return f.ids[role]
}

// newToken signs in a new person of the role (admin: the store's admin,
// whose id is not needed).
func (f *fixture) newToken(role string) (string, int64) {
	switch role {
	case "admin":
		return f.s.AdminToken(), 0
	case "manager":
		p := f.s.CreatePerson(f.admin, "manager", f.deptOwn)
		return p.Token, p.ID
	default:
		p := f.s.CreatePerson(f.admin, "employee", f.deptOwn)
		return p.Token, p.ID
	}
}
