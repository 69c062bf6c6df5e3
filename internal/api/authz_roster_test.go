package api_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/crumbcommander/crumb/internal/apptest"
)

// Authorization rows for the scheduling routes (internal/roster).

// shiftDay hands out a fresh day for every fixture shift, four weeks ahead,
// so that fixture shifts never collide.
var shiftDay int

func (f *fixture) shiftTimes() (string, string) {
	shiftDay++
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 28+shiftDay).Add(13 * time.Hour)
	return start.Format(time.RFC3339), start.Add(6 * time.Hour).Format(time.RFC3339)
}

// member returns a signed-in employee of the scope's department.
func (f *fixture) member(sc scope) apptest.Person {
	return f.s.CreatePerson(f.admin, "employee", f.dept(sc))
}

// shift creates a shift in the scope's department as admin: assigned to a
// new member unless open, draft or published.
func (f *fixture) shift(sc scope, status string, open bool) int64 {
	var emp int64
	if !open {
		emp = f.person(sc)
	}
	return f.shiftOf(sc, status, emp)
}

// shiftOf creates a shift in the scope's department as admin, assigned to
// emp (open when 0).
func (f *fixture) shiftOf(sc scope, status string, emp int64) int64 {
	start, end := f.shiftTimes()
	body := map[string]any{"department_id": f.dept(sc), "starts_at": start, "ends_at": end, "status": status, "position": "Counter"}
	if emp != 0 {
		body["employee_id"] = emp
	}
	var out struct {
		ID int64 `json:"id"`
	}
	f.s.Must(http.StatusCreated, "POST", "/api/v1/shifts", f.admin, body).JSON(f.s.T, &out)
	return out.ID
}

// claim has a member of the scope claim a new open shift; it returns the
// shift and claim ids.
func (f *fixture) claim(sc scope) (int64, int64) {
	id := f.shift(sc, "published", true)
	m := f.member(sc)
	var out struct {
		ID    int64 `json:"id"`
		Claim struct {
			ID int64 `json:"id"`
		} `json:"claim"`
	}
	r := f.s.Do("POST", fmt.Sprintf("/api/v1/shifts/%d/claim", id), m.Token, nil)
	if r.Status >= 300 {
		f.s.T.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	r.JSON(f.s.T, &out)
	if out.Claim.ID != 0 {
		return id, out.Claim.ID
	}
	return id, out.ID
}

// timeOff has a member of the scope ask for time off and returns its id.
func (f *fixture) timeOff(sc scope) int64 {
	m := f.member(sc)
	day := time.Now().AddDate(0, 2, shiftDay).Format(time.DateOnly)
	shiftDay++
	var out struct {
		ID int64 `json:"id"`
	}
	f.s.Must(http.StatusCreated, "POST", "/api/v1/time-off", m.Token, map[string]any{"starts_on": day, "ends_on": day, "reason": "dentist"}).JSON(f.s.T, &out)
	return out.ID
}

// swap has the assignee of a published shift offer it to a colleague.
func (f *fixture) swap(sc scope) int64 {
	a, b := f.member(sc), f.member(sc)
	start, end := f.shiftTimes()
	var sh struct {
		ID int64 `json:"id"`
	}
	f.s.Must(http.StatusCreated, "POST", "/api/v1/shifts", f.admin, map[string]any{"department_id": f.dept(sc), "employee_id": a.ID,
		"starts_at": start, "ends_at": end, "status": "published"}).JSON(f.s.T, &sh)
	var out struct {
		ID int64 `json:"id"`
	}
	f.s.Must(http.StatusCreated, "POST", fmt.Sprintf("/api/v1/shifts/%d/swap-requests", sh.ID), a.Token, map[string]any{"to_employee_id": b.ID}).JSON(f.s.T, &out)
	return out.ID
}

func (f *fixture) weekStart() string {
	// The Monday of the fixture weeks (the store's weeks start on Monday).
	d := time.Now().UTC().AddDate(0, 0, 21)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, -1)
	}
	return d.Format(time.DateOnly)
}

func init() {
	public["GET /api/v1/ical/:file"] = true
	everyone := func(code int) map[string][2]int {
		return map[string][2]int{"admin": same(code), "manager": same(code), "employee": same(code)}
	}
	managed := func(ok int) map[string][2]int {
		return map[string][2]int{"admin": same(ok), "manager": {ok, 404}, "employee": same(404)}
	}
	// managedSeen: employees may see the object (a published open shift of
	// their department) but not act on it.
	managedSeen := func(ok int) map[string][2]int {
		return map[string][2]int{"admin": same(ok), "manager": {ok, 404}, "employee": {403, 404}}
	}
	rows := map[string]matrixRow{
		"GET /api/v1/shifts": {
			path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/shifts?department_id=%d", f.dept(sc)) },
			// Another department's shifts are filtered out, not refused.
			want: everyone(200),
		},
		"POST /api/v1/shifts": {
			path: staticPath("/api/v1/shifts"),
			body: func(f *fixture, sc scope) any {
				start, end := f.shiftTimes()
				return map[string]any{"department_id": f.dept(sc), "starts_at": start, "ends_at": end}
			},
			// A department the caller does not manage is "foreign": 404.
			want: map[string][2]int{"admin": same(201), "manager": {201, 404}, "employee": same(403)},
		},
		"GET /api/v1/shifts/:id": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/shifts/%d", f.shift(sc, "draft", false))
			},
			want: managed(200),
		},
		"PATCH /api/v1/shifts/:id": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/shifts/%d", f.shift(sc, "draft", false))
			},
			body: func(*fixture, scope) any { return map[string]any{"notes": "bring a knife"} },
			want: managed(200),
		},
		"DELETE /api/v1/shifts/:id": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/shifts/%d", f.shift(sc, "draft", false))
			},
			want: managed(204),
		},
		"GET /api/v1/shifts/:id/candidates": {
			// own: a published shift the matrix's employee works (they see
			// whom to swap it with, names only); other: a published shift of
			// someone in the other department.
			path: func(f *fixture, sc scope) string {
				emp := f.person(sc)
				if sc == own {
					emp = f.caller("employee")
				}
				return fmt.Sprintf("/api/v1/shifts/%d/candidates", f.shiftOf(sc, "published", emp))
			},
			want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": {200, 404}},
		},
		"POST /api/v1/shifts/:id/claim": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/shifts/%d/claim", f.shift(sc, "published", true))
			},
			// Members claim (managers too: they work shifts); admins are no member.
			want: map[string][2]int{"admin": same(404), "manager": {202, 404}, "employee": {202, 404}},
		},
		"GET /api/v1/shifts/:id/claims": {
			path: func(f *fixture, sc scope) string {
				id, _ := f.claim(sc)
				return fmt.Sprintf("/api/v1/shifts/%d/claims", id)
			},
			want: managedSeen(200),
		},
		"POST /api/v1/shifts/:id/claims/:claim_id/approve": {
			path: func(f *fixture, sc scope) string {
				id, c := f.claim(sc)
				return fmt.Sprintf("/api/v1/shifts/%d/claims/%d/approve", id, c)
			},
			want: managedSeen(200),
		},
		"POST /api/v1/shifts/:id/claims/:claim_id/deny": {
			path: func(f *fixture, sc scope) string {
				id, c := f.claim(sc)
				return fmt.Sprintf("/api/v1/shifts/%d/claims/%d/deny", id, c)
			},
			want: managedSeen(200),
		},
		"POST /api/v1/schedules/publish": {
			path: staticPath("/api/v1/schedules/publish"),
			body: func(f *fixture, sc scope) any {
				return map[string]any{"department_id": f.dept(sc), "week_start": f.weekStart()}
			},
			want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(403)},
		},
		"POST /api/v1/schedules/copy": {
			path: staticPath("/api/v1/schedules/copy"),
			body: func(f *fixture, sc scope) any {
				return map[string]any{"department_id": f.dept(sc), "from_week": f.weekStart(), "to_week": "2030-01-07"}
			},
			want: map[string][2]int{"admin": same(201), "manager": {201, 404}, "employee": same(403)},
		},
		"GET /api/v1/schedules/warnings": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/schedules/warnings?department_id=%d&week_start=%s", f.dept(sc), f.weekStart())
			},
			want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": same(403)},
		},
		"GET /api/v1/time-off": {path: staticPath("/api/v1/time-off"), want: everyone(200)},
		"POST /api/v1/time-off": {
			path: staticPath("/api/v1/time-off"),
			body: func(*fixture, scope) any {
				shiftDay++
				day := time.Now().AddDate(1, 0, shiftDay).Format(time.DateOnly)
				return map[string]any{"starts_on": day, "ends_on": day}
			},
			want: everyone(201),
		},
		"POST /api/v1/time-off/:id/approve": {
			path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/time-off/%d/approve", f.timeOff(sc)) },
			want: managed(200),
		},
		"POST /api/v1/time-off/:id/deny": {
			path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/time-off/%d/deny", f.timeOff(sc)) },
			want: managed(200),
		},
		"POST /api/v1/shifts/:id/swap-requests": {
			// Only the person on the shift may offer it.
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/shifts/%d/swap-requests", f.shift(sc, "published", false))
			},
			body: func(f *fixture, sc scope) any { return map[string]any{"to_employee_id": f.member(sc).ID} },
			want: map[string][2]int{"admin": same(403), "manager": {403, 404}, "employee": {403, 404}},
		},
		"GET /api/v1/swap-requests": {path: staticPath("/api/v1/swap-requests"), want: everyone(200)},
		"POST /api/v1/swap-requests/:id/accept": {
			// Only the person offered the shift may accept it.
			path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/swap-requests/%d/accept", f.swap(sc)) },
			want: map[string][2]int{"admin": same(403), "manager": {403, 404}, "employee": same(404)},
		},
		"POST /api/v1/swap-requests/:id/approve": {
			path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/swap-requests/%d/approve", f.swap(sc)) },
			want: map[string][2]int{"admin": same(409), "manager": {409, 404}, "employee": same(404)}, // not accepted yet
		},
		"POST /api/v1/swap-requests/:id/deny": {
			path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/swap-requests/%d/deny", f.swap(sc)) },
			want: managed(200),
		},
		"GET /api/v1/employees/:id/availability": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/employees/%d/availability", f.person(sc))
			},
			want: managed(200),
		},
		"PUT /api/v1/employees/:id/availability": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/employees/%d/availability", f.person(sc))
			},
			body: func(*fixture, scope) any { return []map[string]any{{"weekday": 1, "start": "08:00", "end": "16:00"}} },
			want: managed(200),
		},
		"POST /api/v1/me/ical-token":   {path: staticPath("/api/v1/me/ical-token"), want: everyone(201)},
		"DELETE /api/v1/me/ical-token": {path: staticPath("/api/v1/me/ical-token"), want: everyone(204)},
	}
	for k, v := range rows {
		matrix[k] = v
	}
}

func init() {
	// A plain GET (no Upgrade) passes authentication and is then refused by
	// the WebSocket handshake; the upgrade itself is tested in hub_test.
	matrix["GET /api/v1/ws"] = matrixRow{
		path: staticPath("/api/v1/ws"),
		want: map[string][2]int{"admin": same(426), "manager": same(426), "employee": same(426)},
	}
}
