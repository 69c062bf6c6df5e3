package api_test

import (
	"fmt"
	"time"
)

// Rows of the authorization matrix (authz_test.go) for the scheduling
// routes. They are registered from this file so that each resource owner
// keeps their rows apart.
var _ = registerMatrixRows(rosterMatrix, "GET /api/v1/ical/:file")

func registerMatrixRows(rows map[string]matrixRow, publicRoutes ...string) bool {
	for k, v := range rows {
		matrix[k] = v
	}
	for _, r := range publicRoutes {
		public[r] = true // the feed's token is its credential; see TestICalAPI
	}
	return true
}

// rosterDay is a fresh far-future day, so shifts made by the matrix never
// collide and can still be claimed.
func rosterDay() time.Time {
	return time.Date(2040, 1, 2, 9, 0, 0, 0, time.UTC).AddDate(0, 0, nextN())
}

// rosterShift creates a shift in the scope's department as the admin.
func (f *fixture) rosterShift(sc scope, emp *int64, status string) int64 {
	start := rosterDay()
	body := map[string]any{"department_id": f.dept(sc), "employee_id": emp, "status": status,
		"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(8 * time.Hour).Format(time.RFC3339)}
	var out struct{ ID int64 }
	jsonUnmarshal(f.s.Must(201, "POST", "/api/v1/shifts", f.admin, body).Body, &out)
	return out.ID
}

func (f *fixture) assignedShift(sc scope) int64 {
	emp := f.person(sc)
	return f.rosterShift(sc, &emp, "published")
}

// rosterClaim makes an open shift and a pending claim on it by a new
// employee of the scope's department; it returns the claim's path.
func (f *fixture) rosterClaim(sc scope) string {
	shift := f.rosterShift(sc, nil, "published")
	claimant := f.s.CreatePerson(f.admin, "employee", f.dept(sc))
	var c struct{ ID int64 }
	jsonUnmarshal(f.s.Must(202, "POST", fmt.Sprintf("/api/v1/shifts/%d/claim", shift), claimant.Token, nil).Body, &c)
	return fmt.Sprintf("/api/v1/shifts/%d/claims/%d", shift, c.ID)
}

// rosterSwap makes a swap request between two new people of the scope's
// department, accepted when asked; it returns the request's path.
func (f *fixture) rosterSwap(sc scope, accepted bool) string {
	from := f.s.CreatePerson(f.admin, "employee", f.dept(sc))
	to := f.s.CreatePerson(f.admin, "employee", f.dept(sc))
	shift := f.rosterShift(sc, &from.ID, "published")
	var w struct{ ID int64 }
	jsonUnmarshal(f.s.Must(201, "POST", fmt.Sprintf("/api/v1/shifts/%d/swap-requests", shift), from.Token,
		map[string]any{"to_employee_id": to.ID}).Body, &w)
	if accepted {
		f.s.Must(200, "POST", fmt.Sprintf("/api/v1/swap-requests/%d/accept", w.ID), to.Token, nil)
	}
	return fmt.Sprintf("/api/v1/swap-requests/%d", w.ID)
}

func (f *fixture) rosterTimeOff(sc scope) int64 {
	day := rosterDay().AddDate(10, 0, 0).Format(time.DateOnly)
	var out struct{ ID int64 }
	jsonUnmarshal(f.s.Must(201, "POST", "/api/v1/time-off", f.admin,
		map[string]any{"employee_id": f.person(sc), "starts_on": day, "ends_on": day}).Body, &out)
	return out.ID
}

func shiftPath(suffix string) func(*fixture, scope) string {
	return func(f *fixture, sc scope) string {
		return fmt.Sprintf("/api/v1/shifts/%d%s", f.assignedShift(sc), suffix)
	}
}

var (
	everyone200 = map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)}
	// Managers reach their own department's objects; employees may see
	// some but change none.
	manage200 = map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": {403, 404}}
)

var rosterMatrix = map[string]matrixRow{
	"GET /api/v1/shifts": {path: staticPath("/api/v1/shifts"), want: everyone200},
	"POST /api/v1/shifts": {
		path: staticPath("/api/v1/shifts"),
		body: func(f *fixture, sc scope) any {
			start := rosterDay()
			return map[string]any{"department_id": f.dept(sc), "employee_id": f.person(sc),
				"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(8 * time.Hour).Format(time.RFC3339)}
		},
		want: map[string][2]int{"admin": same(201), "manager": {201, 404}, "employee": same(403)},
	},
	"GET /api/v1/shifts/:id": {path: shiftPath(""), want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": {200, 404}}},
	"PATCH /api/v1/shifts/:id": {
		path: shiftPath(""),
		body: func(*fixture, scope) any { return map[string]any{"notes": "matrix"} },
		want: manage200,
	},
	"DELETE /api/v1/shifts/:id": {
		path: shiftPath(""),
		want: map[string][2]int{"admin": same(204), "manager": {204, 404}, "employee": {403, 404}},
	},
	"GET /api/v1/shifts/:id/candidates": {path: shiftPath("/candidates"), want: manage200},
	"GET /api/v1/shifts/:id/claims":     {path: shiftPath("/claims"), want: manage200},
	"POST /api/v1/shifts/:id/claim": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/shifts/%d/claim", f.rosterShift(sc, nil, "published"))
		},
		want: map[string][2]int{"admin": same(403), "manager": {202, 404}, "employee": {202, 404}},
	},
	"POST /api/v1/shifts/:id/claims/:claim_id/approve": {
		path: func(f *fixture, sc scope) string { return f.rosterClaim(sc) + "/approve" },
		want: manage200,
	},
	"POST /api/v1/shifts/:id/claims/:claim_id/deny": {
		path: func(f *fixture, sc scope) string { return f.rosterClaim(sc) + "/deny" },
		want: manage200,
	},
	"POST /api/v1/shifts/:id/swap-requests": {
		path: shiftPath("/swap-requests"),
		body: func(f *fixture, sc scope) any { return map[string]any{"to_employee_id": f.person(sc)} },
		// Only the shift's own employee may offer it.
		want: map[string][2]int{"admin": same(403), "manager": {403, 404}, "employee": {403, 404}},
	},
	"GET /api/v1/swap-requests": {path: staticPath("/api/v1/swap-requests"), want: everyone200},
	"POST /api/v1/swap-requests/:id/accept": {
		path: func(f *fixture, sc scope) string { return f.rosterSwap(sc, false) + "/accept" },
		// Only the colleague it was offered to may accept.
		want: map[string][2]int{"admin": same(403), "manager": {403, 404}, "employee": same(404)},
	},
	"POST /api/v1/swap-requests/:id/approve": {
		path: func(f *fixture, sc scope) string { return f.rosterSwap(sc, true) + "/approve" },
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"POST /api/v1/swap-requests/:id/deny": {
		path: func(f *fixture, sc scope) string { return f.rosterSwap(sc, false) + "/deny" },
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"POST /api/v1/schedules/publish": {
		path: staticPath("/api/v1/schedules/publish"),
		body: func(f *fixture, sc scope) any {
			return map[string]any{"department_id": f.dept(sc), "week_start": "2040-01-02"}
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(403)},
	},
	"POST /api/v1/schedules/copy": {
		path: staticPath("/api/v1/schedules/copy"),
		body: func(f *fixture, sc scope) any {
			from := time.Date(2045, 1, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 14*nextN())
			return map[string]any{"department_id": f.dept(sc), "from_week": from.Format(time.DateOnly), "to_week": from.AddDate(0, 0, 7).Format(time.DateOnly)}
		},
		want: map[string][2]int{"admin": same(201), "manager": {201, 404}, "employee": same(403)},
	},
	"GET /api/v1/time-off": {path: staticPath("/api/v1/time-off"), want: everyone200},
	"POST /api/v1/time-off": {
		path: staticPath("/api/v1/time-off"),
		body: func(f *fixture, sc scope) any {
			day := rosterDay().AddDate(10, 0, 0).Format(time.DateOnly)
			return map[string]any{"employee_id": f.person(sc), "starts_on": day, "ends_on": day}
		},
		// Employees file for themselves; a colleague is someone they cannot see.
		want: map[string][2]int{"admin": same(201), "manager": {201, 404}, "employee": same(404)},
	},
	"POST /api/v1/time-off/:id/approve": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/time-off/%d/approve", f.rosterTimeOff(sc))
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"POST /api/v1/time-off/:id/deny": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/time-off/%d/deny", f.rosterTimeOff(sc)) },
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"GET /api/v1/employees/:id/availability": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/employees/%d/availability", f.person(sc))
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"PUT /api/v1/employees/:id/availability": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/employees/%d/availability", f.person(sc))
		},
		body: func(*fixture, scope) any { return []map[string]any{{"weekday": 1, "start": "08:00", "end": "16:00"}} },
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"POST /api/v1/me/ical-token": {
		path: staticPath("/api/v1/me/ical-token"),
		want: map[string][2]int{"admin": same(201), "manager": same(201), "employee": same(201)},
	},
	"DELETE /api/v1/me/ical-token": {
		path: staticPath("/api/v1/me/ical-token"),
		want: map[string][2]int{"admin": same(204), "manager": same(204), "employee": same(204)},
	},
}
