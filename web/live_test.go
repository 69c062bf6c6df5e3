package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// person returns the id and full name of a demo sign-in.
func (e *env) person(email string) (int64, string) {
	e.t.Helper()
	for _, p := range e.seed.Employees {
		if p.Email == email {
			return p.ID, p.FirstName + " " + p.LastName
		}
	}
	e.t.Fatalf("no demo person %s", email)
	return 0, ""
}

// nextWeek is the Monday after this week (the demo store's weeks start on Monday).
func nextWeek() time.Time {
	now := time.Now()
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// TestPublishReachesEmployeeLive: a manager builds and publishes a shift in
// the week builder; the employee's open home screen (another browser
// context, phone sized) shows it and a banner without reloading.
func TestPublishReachesEmployeeLive(t *testing.T) {
	e := newEnv(t)
	deptID := e.deptID("Bakery")
	empEmail := e.login("employee", "Bakery")
	_, empName := e.person(empEmail)

	emp := e.page(360, 780)
	e.signIn(emp, empEmail, e.seed.Password)
	e.do(emp, "employee home live", waitFor(`document.getElementById("conn").dataset.state === "live"`),
		waitFor(`!document.getElementById("next-shifts").textContent.includes("Loading")`))
	e.do(emp, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))

	mgr := e.page(1280, 900)
	e.signIn(mgr, e.login("manager", "Bakery"), e.seed.Password)
	week := nextWeek().Format("2006-01-02")
	e.do(mgr, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, deptID, week)),
		waitFor(`document.querySelector("table.week") !== null`))
	cell := fmt.Sprintf(`[...document.querySelectorAll("td.cell")].find((td) => td.closest("tr").querySelector("th").textContent.startsWith(%q))`, empName)
	// Keyboard: focus the person's Monday cell and press Enter to add.
	e.do(mgr, "open the new-shift dialog", chromedp.Evaluate[chromedp.Void](cell+`.focus()`),
		chromedp.KeyEvent("\r"), waitFor(`document.querySelector("dialog[open]") !== null`))
	e.do(mgr, "create the draft", chromedp.SetValue(chromedp.CSS(`dialog input[name=position]`), "Ovens"),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.querySelector("dialog[open]") === null && document.querySelector("table.week .shift.draft") !== null`))
	e.shot(mgr, "week-builder-draft")
	e.do(mgr, "publish", chromedp.Click(chromedp.CSS(`#publish`)), waitFor(`document.querySelector("#publish-summary li") !== null`))
	if got := eval[string](e, mgr, `document.getElementById("publish-summary").textContent`); got == "" {
		t.Errorf("publish summary names nobody")
	}
	e.shot(mgr, "week-builder-publish")
	e.do(mgr, "confirm publish", chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.querySelector("dialog[open]") === null && document.querySelector("table.week .shift") !== null && document.querySelector("table.week .shift.draft") === null`))
	e.shot(mgr, "week-builder-published")

	e.do(emp, "the employee sees the shift without reloading",
		waitFor(`document.querySelector("#banner .banner") !== null`),
		waitFor(`document.querySelector("#next-shifts li") !== null && document.getElementById("next-shifts").textContent.includes("Ovens")`))
	if !eval[bool](e, emp, `window.__notReloaded === true`) {
		t.Error("the employee page reloaded")
	}
	if !eval[bool](e, emp, noOverflow) {
		t.Error("employee home overflows at 360 px with a shift and banner")
	}
	e.shot(emp, "employee-home-banner-360")
}
