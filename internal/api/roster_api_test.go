package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

type shiftJSON struct {
	ID           int64  `json:"id"`
	DepartmentID int64  `json:"department_id"`
	EmployeeID   *int64 `json:"employee_id"`
	StartsAt     string `json:"starts_at"`
	EndsAt       string `json:"ends_at"`
	Status       string `json:"status"`
	Version      int64  `json:"version"`
	Warnings     []struct{ Kind, Message string }
}

type errJSON struct {
	Error struct {
		Code      string            `json:"code"`
		Fields    map[string]string `json:"fields"`
		Conflicts []struct {
			Kind    string `json:"kind"`
			ShiftID int64  `json:"shift_id"`
		} `json:"conflicts"`
	} `json:"error"`
}

// rosterWorld is a store with department A (manager, three employees) and B
// (manager, one employee), reached over HTTP.
type rosterWorld struct {
	*env
	deptA, deptB      int64
	admin, mgrA, mgrB string
	e                 []int64
	eTok              []string
	empB              int64
	empBTok           string
}

func newRosterWorld(t *testing.T) *rosterWorld { return newRosterWorldOn(t, db.SQLite) }

func newRosterWorldOn(t *testing.T, dialect db.Dialect) *rosterWorld {
	w := &rosterWorld{env: newEnv(t, dialect)}
	w.deptA, w.deptB = w.dept("A"), w.dept("B")
	_, w.admin = w.person("admin")
	_, w.mgrA = w.person("manager", w.deptA)
	_, w.mgrB = w.person("manager", w.deptB)
	for i := 0; i < 3; i++ {
		id, tok := w.person("employee", w.deptA)
		w.e, w.eTok = append(w.e, id), append(w.eTok, tok)
	}
	w.empB, w.empBTok = w.person("employee", w.deptB)
	return w
}

func (w *rosterWorld) shift(emp any, from, to string, extra ...string) map[string]any {
	b := map[string]any{"department_id": w.deptA, "employee_id": emp, "starts_at": at(from), "ends_at": at(to), "position": "Counter"}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i]] = extra[i+1]
	}
	return b
}

func expect(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %d, want %d", what, got, want)
	}
}

func TestShiftsAPI(t *testing.T) {
	w := newRosterWorld(t)
	var first shiftJSON
	expect(t, "create", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2026-12-02 09:00", "2026-12-02 17:00"), &first), 201)
	if first.ID == 0 || first.Status != "draft" || first.Version != 1 || first.Warnings == nil {
		t.Fatalf("created %+v", first)
	}
	var conflict errJSON
	expect(t, "overlap", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2026-12-02 16:00", "2026-12-02 18:00"), &conflict), 409)
	if conflict.Error.Code != "conflict" || len(conflict.Error.Conflicts) != 1 || conflict.Error.Conflicts[0].ShiftID != first.ID || conflict.Error.Conflicts[0].Kind != "overlap" {
		t.Errorf("409 body %+v", conflict)
	}
	var warned shiftJSON
	expect(t, "short rest", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2026-12-03 01:00", "2026-12-03 05:00"), &warned), 201)
	if len(warned.Warnings) != 1 || warned.Warnings[0].Kind != "min_rest" {
		t.Errorf("warnings %+v", warned.Warnings)
	}
	var bad errJSON
	expect(t, "end before start", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2026-12-04 17:00", "2026-12-04 09:00"), &bad), 422)
	if bad.Error.Fields["ends_at"] == "" {
		t.Errorf("422 fields %+v", bad.Error.Fields)
	}
	expect(t, "malformed date", w.call("POST", "/shifts", w.mgrA, map[string]any{"department_id": w.deptA, "starts_at": "Dec 4", "ends_at": at("2026-12-04 09:00")}, nil), 422)
	expect(t, "unknown field", w.call("POST", "/shifts", w.mgrA, `{"department_id": 1, "colour": "red"}`, nil), 400)
	expect(t, "no token", w.call("POST", "/shifts", "", w.shift(nil, "2026-12-04 09:00", "2026-12-04 17:00"), nil), 401)
	expect(t, "employee", w.call("POST", "/shifts", w.eTok[0], w.shift(nil, "2026-12-04 09:00", "2026-12-04 17:00"), nil), 403)
	other := w.shift(nil, "2026-12-04 09:00", "2026-12-04 17:00")
	other["department_id"] = w.deptB
	expect(t, "foreign department", w.call("POST", "/shifts", w.mgrA, other, nil), 404)
	expect(t, "not in department", w.call("POST", "/shifts", w.mgrA, w.shift(w.empB, "2026-12-04 09:00", "2026-12-04 17:00"), nil), 422)

	// Idempotency-Key replays the first answer.
	var r1, r2 shiftJSON
	body := w.shift(w.e[1], "2026-12-05 09:00", "2026-12-05 17:00")
	expect(t, "idempotent 1", w.call("POST", "/shifts", w.mgrA, body, &r1, "Idempotency-Key", "k1"), 201)
	expect(t, "idempotent 2", w.call("POST", "/shifts", w.mgrA, body, &r2, "Idempotency-Key", "k1"), 201)
	if r1.ID != r2.ID {
		t.Errorf("replay created another shift: %d, %d", r1.ID, r2.ID)
	}

	p := fmt.Sprintf("/shifts/%d", first.ID)
	expect(t, "get as manager", w.call("GET", p, w.mgrA, nil, nil), 200)
	expect(t, "get draft as employee", w.call("GET", p, w.eTok[0], nil, nil), 404)
	expect(t, "get as other manager", w.call("GET", p, w.mgrB, nil, nil), 404)
	expect(t, "get bad id", w.call("GET", "/shifts/abc", w.mgrA, nil, nil), 400)
	expect(t, "patch stale", w.call("PATCH", p, w.mgrA, map[string]any{"notes": "x"}, nil, "If-Match", "9"), 409)
	var patched shiftJSON
	expect(t, "patch", w.call("PATCH", p, w.mgrA, map[string]any{"notes": "x", "version": 1}, &patched), 200)
	if patched.Version != 2 {
		t.Errorf("patched %+v", patched)
	}
	expect(t, "patch to open", w.call("PATCH", p, w.mgrA, map[string]any{"employee_id": nil}, &patched), 200)
	if patched.EmployeeID != nil {
		t.Errorf("still assigned: %+v", patched)
	}
	expect(t, "patch by employee", w.call("PATCH", p, w.eTok[0], map[string]any{"notes": "y"}, nil), 404)
	expect(t, "patch status", w.call("PATCH", p, w.mgrA, map[string]any{"status": "published"}, nil), 422)

	var page struct {
		Items      []shiftJSON `json:"items"`
		NextCursor string      `json:"next_cursor"`
	}
	expect(t, "list week", w.call("GET", fmt.Sprintf("/shifts?department_id=%d&from=2026-11-30&to=2026-12-07&limit=2", w.deptA), w.mgrA, nil, &page), 200)
	if len(page.Items) != 2 || page.NextCursor == "" {
		t.Fatalf("page 1 %+v", page)
	}
	cursor := page.NextCursor
	page.NextCursor = ""
	expect(t, "list page 2", w.call("GET", fmt.Sprintf("/shifts?department_id=%d&from=2026-11-30&to=2026-12-07&limit=2&cursor=%s", w.deptA, cursor), w.mgrA, nil, &page), 200)
	if len(page.Items) != 1 || page.NextCursor != "" {
		t.Errorf("page 2 %+v", page)
	}
	expect(t, "list bad from", w.call("GET", "/shifts?from=yesterday", w.mgrA, nil, nil), 400)
	expect(t, "list bad status", w.call("GET", "/shifts?status=gone", w.mgrA, nil, nil), 400)
	expect(t, "list as employee", w.call("GET", "/shifts", w.eTok[0], nil, &page), 200)
	if len(page.Items) != 0 {
		t.Errorf("employee sees %d drafts", len(page.Items))
	}

	expect(t, "delete by other manager", w.call("DELETE", fmt.Sprintf("/shifts/%d", warned.ID), w.mgrB, nil, nil), 404)
	expect(t, "delete", w.call("DELETE", fmt.Sprintf("/shifts/%d", warned.ID), w.mgrA, nil, nil), 204)
	expect(t, "delete again", w.call("DELETE", fmt.Sprintf("/shifts/%d", warned.ID), w.mgrA, nil, nil), 404)
}

func TestSchedulesAPI(t *testing.T) {
	w := newRosterWorld(t)
	for i, day := range []string{"2026-12-01", "2026-12-02", "2026-12-03"} {
		expect(t, "draft", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[i], day+" 09:00", day+" 17:00"), nil), 201)
	}
	pub := map[string]any{"department_id": w.deptA, "week_start": "2026-11-30"}
	expect(t, "publish unauthenticated", w.call("POST", "/schedules/publish", "", pub, nil), 401)
	expect(t, "publish as employee", w.call("POST", "/schedules/publish", w.eTok[0], pub, nil), 403)
	expect(t, "publish bad date", w.call("POST", "/schedules/publish", w.mgrA, map[string]any{"department_id": w.deptA, "week_start": "soon"}, nil), 422)
	expect(t, "publish bad json", w.call("POST", "/schedules/publish", w.mgrA, `{"department_id":`, nil), 400)
	expect(t, "publish unknown department", w.call("POST", "/schedules/publish", w.admin, map[string]any{"department_id": 999, "week_start": "2026-11-30"}, nil), 404)
	var out struct {
		ShiftCount  int     `json:"shift_count"`
		EmployeeIDs []int64 `json:"employee_ids"`
	}
	expect(t, "publish", w.call("POST", "/schedules/publish", w.mgrA, pub, &out), 200)
	if out.ShiftCount != 3 || len(out.EmployeeIDs) != 3 {
		t.Errorf("published %+v", out)
	}
	var page struct{ Items []shiftJSON }
	expect(t, "employee reads the week", w.call("GET", "/shifts?from=2026-11-30&to=2026-12-07", w.eTok[1], nil, &page), 200)
	if len(page.Items) != 3 {
		t.Errorf("employee sees %d", len(page.Items))
	}
	var copied struct {
		Created []shiftJSON
		Skipped []struct {
			SourceShiftID int64 `json:"source_shift_id"`
		}
	}
	cp := map[string]any{"department_id": w.deptA, "from_week": "2026-11-30", "to_week": "2026-12-07"}
	expect(t, "copy by other manager", w.call("POST", "/schedules/copy", w.mgrB, cp, nil), 404)
	expect(t, "copy same week", w.call("POST", "/schedules/copy", w.mgrA, map[string]any{"department_id": w.deptA, "from_week": "2026-11-30", "to_week": "2026-12-01"}, nil), 422)
	expect(t, "copy", w.call("POST", "/schedules/copy", w.mgrA, cp, &copied), 201)
	if len(copied.Created) != 3 || copied.Created[0].Status != "draft" {
		t.Errorf("copied %+v", copied)
	}
	expect(t, "copy again", w.call("POST", "/schedules/copy", w.mgrA, cp, &copied), 201)
	if len(copied.Created) != 0 || len(copied.Skipped) != 3 {
		t.Errorf("second copy %+v", copied)
	}
}

func TestTimeOffAndAvailabilityAPI(t *testing.T) {
	w := newRosterWorld(t)
	avail := []map[string]any{{"weekday": 3, "start": "08:00", "end": "18:00"}}
	path := fmt.Sprintf("/employees/%d/availability", w.e[0])
	expect(t, "put availability self", w.call("PUT", path, w.eTok[0], avail, nil), 200)
	expect(t, "put availability colleague", w.call("PUT", path, w.eTok[1], avail, nil), 404)
	expect(t, "put availability bad", w.call("PUT", path, w.eTok[0], []map[string]any{{"weekday": 9, "start": "08:00", "end": "18:00"}}, nil), 422)
	expect(t, "put availability not an array", w.call("PUT", path, w.eTok[0], map[string]any{"weekday": 1}, nil), 400)
	var got []map[string]any
	expect(t, "get availability manager", w.call("GET", path, w.mgrA, nil, &got), 200)
	if len(got) != 1 || got[0]["start"] != "08:00" {
		t.Errorf("availability %v", got)
	}
	expect(t, "get availability other manager", w.call("GET", path, w.mgrB, nil, nil), 404)
	expect(t, "get availability no auth", w.call("GET", path, "", nil, nil), 401)

	var sh shiftJSON
	expect(t, "published shift", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2026-12-24 09:00", "2026-12-24 17:00", "status", "published"), &sh), 201)
	if len(sh.Warnings) != 1 || sh.Warnings[0].Kind != "availability" {
		t.Errorf("warnings %+v (Thursday is outside Wednesday availability)", sh.Warnings)
	}
	var req struct {
		ID     int64
		Status string
	}
	expect(t, "time off bad dates", w.call("POST", "/time-off", w.eTok[0], map[string]any{"starts_on": "2026-12-26", "ends_on": "2026-12-24"}, nil), 422)
	expect(t, "time off", w.call("POST", "/time-off", w.eTok[0], map[string]any{"starts_on": "2026-12-24", "ends_on": "2026-12-25", "reason": "family"}, &req), 201)
	approve := fmt.Sprintf("/time-off/%d/approve", req.ID)
	expect(t, "approve by self", w.call("POST", approve, w.eTok[0], nil, nil), 403)
	expect(t, "approve by other manager", w.call("POST", approve, w.mgrB, nil, nil), 404)
	expect(t, "approve unknown", w.call("POST", "/time-off/999/approve", w.mgrA, nil, nil), 404)
	var decision struct {
		Status          string
		CollidingShifts []shiftJSON `json:"colliding_shifts"`
	}
	expect(t, "approve", w.call("POST", approve, w.mgrA, nil, &decision), 200)
	if decision.Status != "approved" || len(decision.CollidingShifts) != 1 || decision.CollidingShifts[0].ID != sh.ID {
		t.Errorf("decision %+v", decision)
	}
	expect(t, "deny decided", w.call("POST", fmt.Sprintf("/time-off/%d/deny", req.ID), w.mgrA, nil, nil), 409)
	var conflict errJSON
	expect(t, "shift on time off", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2026-12-25 09:00", "2026-12-25 17:00"), &conflict), 409)
	if len(conflict.Error.Conflicts) != 1 || conflict.Error.Conflicts[0].Kind != "time_off" {
		t.Errorf("conflicts %+v", conflict.Error.Conflicts)
	}
	var list struct{ Items []map[string]any }
	expect(t, "list time off", w.call("GET", "/time-off?status=approved", w.mgrA, nil, &list), 200)
	if len(list.Items) != 1 {
		t.Errorf("list %v", list)
	}
	expect(t, "list time off bad status", w.call("GET", "/time-off?status=maybe", w.mgrA, nil, nil), 400)
}

func TestClaimsSwapsCandidatesAPI(t *testing.T) {
	w := newRosterWorld(t)
	// Claims need a shift that has not started: far in the future, whatever today is.
	var open shiftJSON
	expect(t, "open shift", w.call("POST", "/shifts", w.mgrA, w.shift(nil, "2040-12-05 09:00", "2040-12-05 17:00", "status", "published"), &open), 201)
	claim := fmt.Sprintf("/shifts/%d/claim", open.ID)
	expect(t, "claim other department", w.call("POST", claim, w.empBTok, nil, nil), 404)
	var c struct {
		ID     int64
		Status string
	}
	expect(t, "claim", w.call("POST", claim, w.eTok[0], nil, &c), 202)
	expect(t, "claim twice", w.call("POST", claim, w.eTok[0], nil, nil), 409)
	var claims struct{ Items []map[string]any }
	expect(t, "claims by employee", w.call("GET", fmt.Sprintf("/shifts/%d/claims", open.ID), w.eTok[0], nil, nil), 403)
	expect(t, "claims", w.call("GET", fmt.Sprintf("/shifts/%d/claims", open.ID), w.mgrA, nil, &claims), 200)
	if len(claims.Items) != 1 {
		t.Errorf("claims %v", claims)
	}
	expect(t, "approve unknown claim", w.call("POST", fmt.Sprintf("/shifts/%d/claims/999/approve", open.ID), w.mgrA, nil, nil), 404)
	var approved struct {
		Status string
		Shift  shiftJSON
	}
	expect(t, "approve claim", w.call("POST", fmt.Sprintf("/shifts/%d/claims/%d/approve", open.ID, c.ID), w.mgrA, nil, &approved), 200)
	if approved.Status != "approved" || approved.Shift.EmployeeID == nil || *approved.Shift.EmployeeID != w.e[0] {
		t.Errorf("approved %+v", approved)
	}
	expect(t, "deny decided claim", w.call("POST", fmt.Sprintf("/shifts/%d/claims/%d/deny", open.ID, c.ID), w.mgrA, nil, nil), 409)

	// e0 now works the shift and offers it to e1.
	swap := fmt.Sprintf("/shifts/%d/swap-requests", open.ID)
	expect(t, "swap by non-owner", w.call("POST", swap, w.eTok[1], map[string]any{"to_employee_id": w.e[2]}, nil), 403)
	expect(t, "swap to outsider", w.call("POST", swap, w.eTok[0], map[string]any{"to_employee_id": w.empB}, nil), 422)
	expect(t, "swap bad body", w.call("POST", swap, w.eTok[0], map[string]any{"to": w.e[1]}, nil), 400)
	var s struct {
		ID     int64
		Status string
	}
	expect(t, "swap", w.call("POST", swap, w.eTok[0], map[string]any{"to_employee_id": w.e[1]}, &s), 201)
	sp := fmt.Sprintf("/swap-requests/%d/", s.ID)
	expect(t, "approve before accept", w.call("POST", sp+"approve", w.mgrA, nil, nil), 409)
	expect(t, "accept by stranger", w.call("POST", sp+"accept", w.eTok[2], nil, nil), 404)
	expect(t, "accept by offerer", w.call("POST", sp+"accept", w.eTok[0], nil, nil), 403)
	expect(t, "accept", w.call("POST", sp+"accept", w.eTok[1], nil, nil), 200)
	expect(t, "approve by employee", w.call("POST", sp+"approve", w.eTok[1], nil, nil), 403)
	expect(t, "approve", w.call("POST", sp+"approve", w.mgrA, nil, &s), 200)
	if s.Status != "approved" {
		t.Errorf("swap %+v", s)
	}
	var swaps struct{ Items []map[string]any }
	expect(t, "list swaps", w.call("GET", "/swap-requests", w.eTok[1], nil, &swaps), 200)
	if len(swaps.Items) != 1 {
		t.Errorf("swaps %v", swaps)
	}
	expect(t, "unknown swap", w.call("POST", "/swap-requests/999/deny", w.mgrA, nil, nil), 404)

	var cands struct {
		Items []struct {
			EmployeeID    int64   `json:"employee_id"`
			HoursThisWeek float64 `json:"hours_this_week"`
		}
	}
	expect(t, "candidates by employee", w.call("GET", fmt.Sprintf("/shifts/%d/candidates", open.ID), w.eTok[0], nil, nil), 403)
	expect(t, "candidates unknown", w.call("GET", "/shifts/999/candidates", w.mgrA, nil, nil), 404)
	expect(t, "candidates", w.call("GET", fmt.Sprintf("/shifts/%d/candidates", open.ID), w.mgrA, nil, &cands), 200)
	for _, c := range cands.Items {
		if c.EmployeeID == w.e[1] {
			t.Errorf("the assignee is listed as a candidate")
		}
	}
	if len(cands.Items) != 3 { // manager, e0, e2
		t.Errorf("candidates %+v", cands.Items)
	}
}

// The employee working a published shift lists whom they could swap it
// with: the manager's candidates, as id and name only.
func TestSwapCandidatesAPI(t *testing.T) {
	for _, d := range testutil.Dialects {
		t.Run(string(d), func(t *testing.T) {
			w := newRosterWorldOn(t, d)
			var mine, draft shiftJSON
			expect(t, "e0's shift", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2040-12-05 09:00", "2040-12-05 17:00", "status", "published"), &mine), 201)
			expect(t, "e1 busy", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[1], "2040-12-05 12:00", "2040-12-05 20:00", "status", "published"), nil), 201)
			expect(t, "e0's draft", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], "2040-12-07 09:00", "2040-12-07 17:00"), &draft), 201)
			path := fmt.Sprintf("/shifts/%d/candidates", mine.ID)

			var mgr, emp struct{ Items []map[string]any }
			expect(t, "manager view", w.call("GET", path, w.mgrA, nil, &mgr), 200)
			expect(t, "assignee view", w.call("GET", path, w.eTok[0], nil, &emp), 200)
			// The manager and e2 are free; e0 works the shift, e1 another one.
			if len(emp.Items) != 2 || len(mgr.Items) != 2 {
				t.Fatalf("assignee %v, manager %v", emp.Items, mgr.Items)
			}
			for i, c := range emp.Items {
				if len(c) != 3 || c["first_name"] == "" || c["last_name"] == "" || c["employee_id"] != mgr.Items[i]["employee_id"] {
					t.Errorf("assignee item %v (manager: %v)", c, mgr.Items[i])
				}
				for _, k := range []string{"hours_this_week", "warnings", "pay_rate_cents", "email", "phone"} {
					if _, ok := c[k]; ok {
						t.Errorf("assignee item has %s: %v", k, c)
					}
				}
				if id := int64(c["employee_id"].(float64)); id == w.e[0] || id == w.e[1] {
					t.Errorf("%d is listed: %v", id, emp.Items)
				}
			}
			if _, ok := mgr.Items[0]["hours_this_week"]; !ok {
				t.Errorf("manager item without hours: %v", mgr.Items[0])
			}
			expect(t, "colleague", w.call("GET", path, w.eTok[2], nil, nil), 403)
			expect(t, "other department", w.call("GET", path, w.empBTok, nil, nil), 404)
			expect(t, "other manager", w.call("GET", path, w.mgrB, nil, nil), 404)
			expect(t, "own draft", w.call("GET", fmt.Sprintf("/shifts/%d/candidates", draft.ID), w.eTok[0], nil, nil), 404)

			// The id picked from the list is what the swap request takes.
			to := int64(emp.Items[0]["employee_id"].(float64))
			var s struct {
				ToEmployeeID int64 `json:"to_employee_id"`
				Status       string
			}
			expect(t, "offer", w.call("POST", fmt.Sprintf("/shifts/%d/swap-requests", mine.ID), w.eTok[0], map[string]any{"to_employee_id": to}, &s), 201)
			if s.ToEmployeeID != to || s.Status != "pending" {
				t.Errorf("swap %+v", s)
			}
		})
	}
}

func TestICalAPI(t *testing.T) {
	w := newRosterWorld(t)
	// The feed covers the weeks around now.
	day := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
	expect(t, "published shift", w.call("POST", "/shifts", w.mgrA, w.shift(w.e[0], day+" 09:00", day+" 17:00", "status", "published"), nil), 201)
	expect(t, "token unauthenticated", w.call("POST", "/me/ical-token", "", nil, nil), 401)
	var tok struct{ URL string }
	expect(t, "token", w.call("POST", "/me/ical-token", w.eTok[0], nil, &tok), 201)
	if !strings.Contains(tok.URL, "/api/v1/ical/") || !strings.HasSuffix(tok.URL, ".ics") {
		t.Fatalf("url %q", tok.URL)
	}
	path := tok.URL[strings.Index(tok.URL, "/api/v1/"):]
	resp, err := http.Get(w.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil || len(cal.Events()) != 1 {
		t.Fatalf("parse %v, %d events", err, len(cal.Events()))
	}
	expect(t, "revoke", w.call("DELETE", "/me/ical-token", w.eTok[0], nil, nil), 204)
	resp, _ = http.Get(w.srv.URL + path)
	resp.Body.Close()
	expect(t, "revoked feed", resp.StatusCode, 404)
	resp, _ = http.Get(w.srv.URL + "/api/v1/ical/nonsense")
	resp.Body.Close()
	expect(t, "not .ics", resp.StatusCode, 404)
}
