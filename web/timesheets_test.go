package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// punch stores a closed punch of the person, from ago to ago-length.
func (e *env) punch(emp, dept int64, ago, length time.Duration) {
	e.t.Helper()
	in := time.Now().Add(-ago).UTC()
	if _, err := e.app.DB.ExecContext(context.Background(), `INSERT INTO attendance_records (employee_id, department_id, clock_in_at, clock_out_at, source, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'self', 1, ?, ?)`, emp, dept, in, in.Add(length), in, in); err != nil {
		e.t.Fatal(err)
	}
}

// TestTimesheetJourney: an employee on a phone flags a wrong punch on their
// timesheet; their manager, on a phone, sees the flag, approves the sheet
// with one tap and locks the period; an admin sets a wage and reopens the
// period with a reason.
func TestTimesheetJourney(t *testing.T) {
	e := newEnv(t)
	deptID := e.deptID("Bakery")
	empEmail := e.login("employee", "Bakery")
	empID, empName := e.person(empEmail)
	e.punch(empID, deptID, 3*time.Hour, 2*time.Hour)

	emp := e.page(360, 780)
	e.signIn(emp, empEmail, e.seed.Password)
	e.do(emp, "my timesheet", chromedp.Navigate(e.base+"/timesheet"), waitFor(`document.querySelector("#my-punches li") !== null`))
	e.do(emp, "flag the punch", chromedp.Click(chromedp.CSS(`#my-punches button.flag`)), waitFor(`document.querySelector("dialog[open]") !== null`),
		chromedp.SendKeys(chromedp.CSS(`dialog textarea[name=comment]`), "I stayed until six"),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.querySelector("dialog[open]") === null && document.getElementById("my-punches").textContent.includes("I stayed until six")`))
	if !eval[bool](e, emp, noOverflow) {
		t.Error("my timesheet overflows at 360 px")
	}
	e.shot(emp, "timesheet-employee-360")

	mgr := e.page(360, 780)
	e.signIn(mgr, e.login("manager", "Bakery"), e.seed.Password)
	card := fmt.Sprintf(`document.querySelector('.ts-card[data-employee-id="%d"]')`, empID)
	e.do(mgr, "the manager's timesheets", chromedp.Navigate(fmt.Sprintf("%s/timesheets?dept=%d", e.base, deptID)),
		waitFor(card+` !== null && `+card+`.textContent.includes("1 flagged")`))
	if got := eval[string](e, mgr, card+`.textContent`); !strings.Contains(got, empName) {
		t.Errorf("card %q does not name %s", got, empName)
	}
	e.do(mgr, "approve with one tap", chromedp.Evaluate[chromedp.Void](card+`.querySelector("button.approve").click()`),
		waitFor(card+`.textContent.includes("Approved") && `+card+`.querySelector("button.approve") === null`))
	e.do(mgr, "lock the period", chromedp.Click(chromedp.CSS(`#lock-period`)),
		waitFor(`document.getElementById("ts-status").textContent === "Locked"`))
	if !eval[bool](e, mgr, noOverflow) {
		t.Error("timesheets overflow at 360 px")
	}
	e.shot(mgr, "timesheets-manager-360")

	admin := e.page(1280, 900)
	e.signIn(admin, e.login("admin", ""), e.seed.Password)
	e.do(admin, "wages", chromedp.Navigate(e.base+"/labor"), waitFor(`document.querySelector("#wage-list p") !== null`),
		chromedp.SetValue(chromedp.CSS(`select[name=employee]`), fmt.Sprint(empID)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("select[name=employee]").dispatchEvent(new Event("change"))`),
		chromedp.SendKeys(chromedp.CSS(`input[name=rate]`), "21.75"),
		chromedp.Click(chromedp.CSS(`#wage-form button[type=submit]`)),
		waitFor(`document.getElementById("wage-list").textContent.includes("$21.75 an hour from")`))
	e.shot(admin, "wages-admin")
	e.do(admin, "reopen the period", chromedp.Navigate(fmt.Sprintf("%s/timesheets?dept=%d", e.base, deptID)),
		waitFor(`document.getElementById("reopen-period") !== null`), chromedp.Click(chromedp.CSS(`#reopen-period`)),
		waitFor(`document.querySelector("dialog[open]") !== null`),
		chromedp.SendKeys(chromedp.CSS(`dialog input[name=reason]`), "a late correction"),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.getElementById("ts-status").textContent !== "Locked"`))
}
