package api_test

import (
	"fmt"
	"time"
)

// Rows of the authorization matrix for the bakery and attendance routes,
// kept in their own file so that teams adding routes do not edit one map.
// init only fills the test's table.
func init() {
	for k, v := range attendanceMatrix {
		matrix[k] = v
	}
}

// bakeryIn makes the scope's department the bakery (an admin setting).
func (f *fixture) bakeryIn(sc scope) {
	f.s.Must(200, "PUT", "/api/v1/bakery/settings", f.admin, map[string]any{"department_id": f.dept(sc)})
}

func today(days int) string {
	loc, _ := time.LoadLocation("America/Halifax")
	return time.Now().In(loc).AddDate(0, 0, days).Format(time.DateOnly)
}

func bakeryPath(p string) func(*fixture, scope) string {
	return func(f *fixture, sc scope) string {
		f.bakeryIn(sc)
		return p
	}
}

// bakeryRead: the bakery's members and managers, and admins.
var bakeryRead = map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": {200, 403}}

var finalizeN int

// adminClock runs a clock action as the bootstrap admin, whatever it answers.
func (f *fixture) adminClock(actions ...string) {
	for _, a := range actions {
		f.s.Do("POST", "/api/v1/attendance/"+a, f.admin, nil)
	}
}

var attendanceMatrix = map[string]matrixRow{
	"GET /api/v1/bakery/settings": {
		path: staticPath("/api/v1/bakery/settings"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"PUT /api/v1/bakery/settings": {
		path: staticPath("/api/v1/bakery/settings"),
		body: func(f *fixture, _ scope) any { return map[string]any{"department_id": f.deptOwn} },
		want: map[string][2]int{"admin": same(200), "manager": same(403), "employee": same(403)},
	},
	"GET /api/v1/bakery/items": {path: bakeryPath("/api/v1/bakery/items"), want: bakeryRead},
	"POST /api/v1/bakery/items": {
		path: bakeryPath("/api/v1/bakery/items"),
		body: func(*fixture, scope) any {
			return map[string]any{"kind": "rtu", "name": fmt.Sprintf("Test Loaf %d", nextN()), "upper_limit": 5}
		},
		want: map[string][2]int{"admin": same(201), "manager": {201, 403}, "employee": same(403)},
	},
	"PATCH /api/v1/bakery/items/:id": {
		path: bakeryPath("/api/v1/bakery/items/1"),
		body: func(*fixture, scope) any { return map[string]any{"sort_order": 10} },
		want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)},
	},
	"GET /api/v1/bakery/sheets":             {path: bakeryPath("/api/v1/bakery/sheets"), want: bakeryRead},
	"GET /api/v1/bakery/sheets/:date/:kind": {path: bakeryPath("/api/v1/bakery/sheets/" + today(0) + "/trayup"), want: bakeryRead},
	"PUT /api/v1/bakery/sheets/:date/:kind": {
		path: bakeryPath("/api/v1/bakery/sheets/" + today(0) + "/trayup"),
		body: func(*fixture, scope) any { return map[string]any{"counts": []any{}} },
		want: bakeryRead,
	},
	"POST /api/v1/bakery/sheets/:date/:kind/counts": {
		path: bakeryPath("/api/v1/bakery/sheets/" + today(0) + "/trayup/counts"),
		body: func(*fixture, scope) any { return map[string]any{"item_id": 1, "delta": 1} },
		want: bakeryRead,
	},
	"POST /api/v1/bakery/sheets/:date/:kind/reset": {
		path: bakeryPath("/api/v1/bakery/sheets/" + today(0) + "/trayup/reset"),
		want: bakeryRead,
	},
	"POST /api/v1/bakery/sheets/:date/:kind/finalize": {
		// Each call finalizes another sheet (five dates of the RTU sheet).
		path: func(f *fixture, sc scope) string {
			f.bakeryIn(sc)
			finalizeN++
			return "/api/v1/bakery/sheets/" + today(finalizeN%5-2) + "/rtu/finalize"
		},
		want: bakeryRead,
	},
	"GET /api/v1/attendance": {
		path: staticPath("/api/v1/attendance"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"GET /api/v1/attendance/live": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/attendance/live?department_id=%d", f.dept(sc))
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)},
	},
	"GET /api/v1/attendance/alerts": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/attendance/alerts?department_id=%d", f.dept(sc))
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)},
	},
	// Clock rows use fresh callers (never clocked in); the bootstrap admin
	// is put in the needed state first.
	"POST /api/v1/attendance/clock-in": {
		fresh: true,
		path:  func(f *fixture, _ scope) string { f.adminClock("clock-out"); return "/api/v1/attendance/clock-in" },
		want:  map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"POST /api/v1/attendance/clock-out": {
		fresh: true,
		path:  func(f *fixture, _ scope) string { f.adminClock("clock-in"); return "/api/v1/attendance/clock-out" },
		want:  map[string][2]int{"admin": same(200), "manager": same(409), "employee": same(409)},
	},
	"POST /api/v1/attendance/break/start": {
		fresh: true,
		path: func(f *fixture, _ scope) string {
			f.adminClock("clock-in", "break/end")
			return "/api/v1/attendance/break/start"
		},
		want: map[string][2]int{"admin": same(200), "manager": same(409), "employee": same(409)},
	},
	"POST /api/v1/attendance/break/end": {
		fresh: true,
		path: func(f *fixture, _ scope) string {
			f.adminClock("clock-in", "break/start")
			return "/api/v1/attendance/break/end"
		},
		want: map[string][2]int{"admin": same(200), "manager": same(409), "employee": same(409)},
	},
	"POST /api/v1/attendance/kiosk/:action": {
		path: staticPath("/api/v1/attendance/kiosk/clock-in"),
		body: func(f *fixture, sc scope) any { return map[string]any{"employee_id": f.person(sc), "pin": "2580"} },
		want: map[string][2]int{"admin": same(403), "manager": same(403), "employee": same(403)},
	},
	"GET /api/v1/attendance/me": {
		path: staticPath("/api/v1/attendance/me"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"GET /api/v1/attendance/kiosk/people": {
		path: staticPath("/api/v1/attendance/kiosk/people"),
		want: map[string][2]int{"admin": same(403), "manager": same(403), "employee": same(403)},
	},
	"POST /api/v1/attendance/kiosk-state": {
		path: staticPath("/api/v1/attendance/kiosk-state"),
		body: func(f *fixture, sc scope) any { return map[string]any{"employee_id": f.person(sc), "pin": "2580"} },
		want: map[string][2]int{"admin": same(403), "manager": same(403), "employee": same(403)},
	},
	"PATCH /api/v1/attendance/:id": {
		path: func(f *fixture, sc scope) string {
			p := f.s.CreatePerson(f.admin, "employee", f.dept(sc))
			var rec struct {
				ID int64 `json:"id"`
			}
			f.s.Must(200, "POST", "/api/v1/attendance/clock-in", p.Token, nil).JSON(f.s.T, &rec)
			return fmt.Sprintf("/api/v1/attendance/%d", rec.ID)
		},
		body: func(*fixture, scope) any {
			return map[string]any{"clock_in_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "reason": "entered late"}
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"PUT /api/v1/me/pin": {
		path: staticPath("/api/v1/me/pin"),
		body: func(*fixture, scope) any { return map[string]any{"pin": "2580"} },
		want: map[string][2]int{"admin": same(204), "manager": same(204), "employee": same(204)},
	},
	"PUT /api/v1/employees/:id/pin": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/employees/%d/pin", f.person(sc)) },
		body: func(*fixture, scope) any { return map[string]any{"pin": "2580"} },
		want: map[string][2]int{"admin": same(204), "manager": {403, 404}, "employee": same(404)},
	},
}
