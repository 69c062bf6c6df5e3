package api_test

import (
	"fmt"
	"time"
)

// Rows of the authorization matrix for wages, labor settings, budgets,
// the week's cost, timesheets and pay periods.
func init() {
	for k, v := range laborMatrix {
		matrix[k] = v
	}
}

// wageDay is a new effective date for each wage the matrix adds.
func wageDay() string {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, nextN()).Format(time.DateOnly)
}

var laborMatrix = map[string]matrixRow{
	"GET /api/v1/labor/settings": {
		path: staticPath("/api/v1/labor/settings"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"PATCH /api/v1/labor/settings": {
		path: staticPath("/api/v1/labor/settings"),
		body: func(*fixture, scope) any { return map[string]any{"currency": "CAD"} },
		want: map[string][2]int{"admin": same(200), "manager": same(403), "employee": same(403)},
	},
	"GET /api/v1/labor/week-cost": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/labor/week-cost?department_id=%d&week_start=2026-11-02", f.dept(sc))
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)},
	},
	"PUT /api/v1/departments/:id/budget": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/departments/%d/budget", f.dept(sc)) },
		body: func(*fixture, scope) any {
			return map[string]any{"week_start": "2026-11-02", "kind": "hours", "minutes": 6000}
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)},
	},
	"PUT /api/v1/departments/:id/sales": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/departments/%d/sales", f.dept(sc)) },
		body: func(*fixture, scope) any { return map[string]any{"csv": "date,amount\n2026-11-09,1200.00\n"} },
		want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)},
	},
	"GET /api/v1/employees/:id/wages": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/employees/%d/wages", f.person(sc)) },
		want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(404)},
	},
	"POST /api/v1/employees/:id/wages": {
		path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/employees/%d/wages", f.person(sc)) },
		body: func(*fixture, scope) any { return map[string]any{"rate_cents": 1800, "effective_on": wageDay()} },
		want: map[string][2]int{"admin": same(201), "manager": {403, 404}, "employee": same(404)},
	},
	"DELETE /api/v1/employees/:id/wages/:wage_id": {
		path: func(f *fixture, sc scope) string {
			emp := f.person(sc)
			var w struct {
				ID int64 `json:"id"`
			}
			f.s.Must(201, "POST", fmt.Sprintf("/api/v1/employees/%d/wages", emp), f.admin,
				map[string]any{"rate_cents": 1800, "effective_on": wageDay()}).JSON(f.s.T, &w)
			return fmt.Sprintf("/api/v1/employees/%d/wages/%d", emp, w.ID)
		},
		want: map[string][2]int{"admin": same(204), "manager": {403, 404}, "employee": same(404)},
	},
	"GET /api/v1/me/timesheet": {
		path: staticPath("/api/v1/me/timesheet"),
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)},
	},
	"GET /api/v1/timesheets": {
		path: func(f *fixture, sc scope) string {
			return fmt.Sprintf("/api/v1/timesheets?period_start=2026-01-05&department_id=%d", f.dept(sc))
		},
		want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)},
	},
	"POST /api/v1/timesheets/approve": {
		path: staticPath("/api/v1/timesheets/approve"),
		body: func(f *fixture, sc scope) any {
			return map[string]any{"period_start": "2026-01-05", "department_id": f.dept(sc)}
		},
		want: map[string][2]int{"admin": same(201), "manager": {201, 403}, "employee": same(403)},
	},
	"POST /api/v1/pay-periods/:start/lock": {
		path: func(*fixture, scope) string { return "/api/v1/pay-periods/" + periodStart() + "/lock" },
		want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(403)},
	},
	"POST /api/v1/pay-periods/:start/reopen": {
		path: func(f *fixture, _ scope) string {
			start := periodStart()
			f.s.Must(200, "POST", "/api/v1/pay-periods/"+start+"/lock", f.admin, nil)
			return "/api/v1/pay-periods/" + start + "/reopen"
		},
		body: func(*fixture, scope) any { return map[string]any{"reason": "a correction came in late"} },
		want: map[string][2]int{"admin": same(200), "manager": same(403), "employee": same(403)},
	},
	// Only the person flags their own punch: to anyone else it is unknown.
	"POST /api/v1/attendance/:id/flags": {
		path: func(f *fixture, sc scope) string {
			p := f.s.CreatePerson(f.admin, "employee", f.dept(sc))
			var rec struct {
				ID int64 `json:"id"`
			}
			f.s.Must(200, "POST", "/api/v1/attendance/clock-in", p.Token, nil).JSON(f.s.T, &rec)
			return fmt.Sprintf("/api/v1/attendance/%d/flags", rec.ID)
		},
		body: func(*fixture, scope) any { return map[string]any{"comment": "I left at five"} },
		want: map[string][2]int{"admin": same(404), "manager": same(404), "employee": same(404)},
	},
}

// periodStart is a new pay period (two weeks from the default anchor, a
// Monday) for each lock the matrix makes.
func periodStart() string {
	return time.Date(2030, 1, 14, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 14*nextN()).Format(time.DateOnly)
}
