package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCopyLastWeekReport: a manager copies next week's drafts into the empty
// week after; one employee has approved time off that whole week. The week
// builder lists the shifts it created and each skipped shift with its day,
// times, person and reason, and keeps that report through the reload and a
// live refresh until the manager dismisses it.
func TestCopyLastWeekReport(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	deptID := e.deptID("Bakery")
	mgrEmail := e.login("manager", "Bakery")
	empEmail := e.login("employee", "Bakery")
	_, empName := e.person(empEmail)
	target := nextWeek().AddDate(0, 0, 7)

	// The employee asks for the target week off; the manager approves.
	res := e.apiCall(empEmail, "POST", "/api/v1/time-off", map[string]any{
		"starts_on": target.Format(time.DateOnly), "ends_on": target.AddDate(0, 0, 6).Format(time.DateOnly), "reason": "family"})
	var off struct{ ID int64 }
	decode(t, res, http.StatusCreated, &off)
	decode(t, e.apiCall(mgrEmail, "POST", fmt.Sprintf("/api/v1/time-off/%d/approve", off.ID), map[string]any{}), http.StatusOK, nil)

	ctx := e.page(1280, 900)
	e.signIn(ctx, mgrEmail, e.seed.Password)
	e.do(ctx, "the empty target week", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, deptID, target.Format(time.DateOnly))),
		waitFor(`document.querySelector("table.week") !== null && document.getElementById("conn").dataset.state === "live"`))
	e.do(ctx, "copy last week", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("button")].find((b) => b.textContent === "Copy last week").click()`),
		waitFor(`document.querySelector("#copy-report #copy-skipped li") !== null && document.querySelector("table.week .shift.draft") !== null`))
	created := eval[[]string](e, ctx, `[...document.querySelectorAll("#copy-created li")].map((li) => li.textContent)`)
	skipped := eval[[]string](e, ctx, `[...document.querySelectorAll("#copy-skipped li")].map((li) => li.textContent)`)
	if len(created) == 0 || len(skipped) == 0 {
		t.Fatalf("copy report: created %q, skipped %q", created, skipped)
	}
	for _, s := range skipped {
		if !strings.Contains(s, empName) || !strings.HasSuffix(s, "— overlaps approved time off") || !strings.Contains(s, "–") {
			t.Errorf("skipped line %q, want the day, times, %s and the time off", s, empName)
		}
	}
	for _, c := range created {
		if strings.Contains(c, empName) {
			t.Errorf("created line %q is for the person on time off", c)
		}
	}
	heading := eval[string](e, ctx, `document.querySelector("#copy-report h2").textContent`)
	if want := fmt.Sprintf("Copied %d shifts from last week as drafts, skipped %d", len(created), len(skipped)); heading != want {
		t.Errorf("copy report heading %q, want %q", heading, want)
	}
	e.shot(ctx, "week-copy-report")

	// A live refresh (another shift created in the department) reloads the
	// week; the report stays.
	res = e.apiCall(mgrEmail, "POST", "/api/v1/shifts", map[string]any{"department_id": deptID, "employee_id": nil,
		"starts_at": target.AddDate(0, 0, 6).Add(9 * time.Hour).Format(time.RFC3339), "ends_at": target.AddDate(0, 0, 6).Add(12 * time.Hour).Format(time.RFC3339)})
	decode(t, res, http.StatusCreated, nil)
	e.do(ctx, "live refresh", waitFor(`[...document.querySelectorAll("table.week tbody tr:last-child .shift")].length > 0`))
	if n := eval[int](e, ctx, `document.querySelectorAll("#copy-skipped li").length`); n != len(skipped) {
		t.Errorf("after a live refresh the copy report lists %d skipped shifts, want %d", n, len(skipped))
	}
	e.checkA11y(ctx, "/week with the copy report")
	e.do(ctx, "dismiss", chromedp.Click(chromedp.CSS(`#copy-report button`)),
		waitFor(`document.querySelector("#copy-report section") === null`))
	if got := eval[string](e, ctx, `document.activeElement.textContent`); got != "Copy last week" {
		t.Errorf("after dismissing, the focus is on %q, want the Copy last week button", got)
	}
}

// decode checks an API answer's status and reads its JSON body into out (when not nil).
func decode(t *testing.T, res *http.Response, status int, out any) {
	t.Helper()
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: %d %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %v", res.Request.Method, res.Request.URL.Path, err)
		}
	}
}
