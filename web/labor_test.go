package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
)

// secondManager adds another manager of the department, with the demo
// password, and returns their e-mail.
func (e *env) secondManager(deptID int64) string {
	e.t.Helper()
	first, last, email, role, pw := "Sam", "Second", fmt.Sprintf("sam.second%d@demo.example.com", time.Now().UnixNano()), auth.RoleManager, e.seed.Password
	depts := []int64{deptID}
	if _, err := e.app.People.CreateEmployee(context.Background(), auth.System, people.EmployeeInput{FirstName: &first, LastName: &last,
		Email: &email, Password: &pw, Role: &role, DepartmentIDs: &depts}); err != nil {
		e.t.Fatal(err)
	}
	return email
}

// TestWeekCostLive: two managers have the same week open. One adds a shift;
// the other's cost bar shows the same total without a reload. The other
// sets a budget; the first sees it, and over or under budget, the same way.
// The lag between the two screens is logged.
func TestWeekCostLive(t *testing.T) {
	e := newEnv(t)
	deptID := e.deptID("Bakery")
	empEmail := e.login("employee", "Bakery")
	_, empName := e.person(empEmail)
	week := nextWeek().Format("2006-01-02")
	url := fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, deptID, week)
	ready := `document.getElementById("conn").dataset.state === "live" && document.getElementById("cost-total") !== null`

	a := e.page(1280, 900)
	e.signIn(a, e.login("manager", "Bakery"), e.seed.Password)
	e.do(a, "manager A's week", chromedp.Navigate(url), waitFor(ready))
	b := e.page(1280, 900)
	e.signIn(b, e.secondManager(deptID), e.seed.Password)
	e.do(b, "manager B's week", chromedp.Navigate(url), waitFor(ready))
	before := eval[string](e, b, `document.getElementById("cost-total").textContent`)
	if got := eval[string](e, a, `document.getElementById("cost-total").textContent`); got != before {
		t.Fatalf("the two screens start apart: %q and %q", got, before)
	}

	cell := fmt.Sprintf(`[...document.querySelectorAll("td.cell")].find((td) => td.closest("tr").querySelector("th").textContent.startsWith(%q))`, empName)
	e.do(a, "A adds a shift", chromedp.Evaluate[chromedp.Void](cell+`.focus()`), chromedp.KeyEvent("\r"),
		waitFor(`document.querySelector("dialog[open]") !== null`),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.querySelector("dialog[open]") === null && document.getElementById("cost-total").textContent !== `+fmt.Sprintf("%q", before)))
	changed := time.Now()
	after := eval[string](e, a, `document.getElementById("cost-total").textContent`)
	e.do(b, "B sees A's cost", waitFor(fmt.Sprintf(`document.getElementById("cost-total").textContent === %q`, after)))
	t.Logf("B's cost bar matched A's %v after A's did (%s → %s)", time.Since(changed).Round(time.Millisecond), before, after)
	e.do(b, "B's grid shows A's draft", waitFor(`document.querySelector("table.week .shift.draft") !== null`))

	// B sets a money budget below the week's cost: both screens say over budget.
	e.do(b, "B sets a budget", chromedp.Click(chromedp.CSS(`#budget-edit`)), waitFor(`document.querySelector("dialog[open]") !== null`),
		chromedp.SetValue(chromedp.CSS(`dialog select[name=kind]`), "money"),
		chromedp.SetValue(chromedp.CSS(`dialog input[name=amount]`), "10.00"),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.querySelector("dialog[open]") === null && document.getElementById("cost-state") && document.getElementById("cost-state").textContent === "Over budget"`))
	budgetAt := time.Now()
	e.do(a, "A sees B's budget", waitFor(`document.getElementById("cost-state") && document.getElementById("cost-state").textContent === "Over budget"`))
	t.Logf("A's budget matched B's %v after B's did", time.Since(budgetAt).Round(time.Millisecond))
	if ga, gb := eval[string](e, a, `document.getElementById("cost-budget").textContent`), eval[string](e, b, `document.getElementById("cost-budget").textContent`); ga != gb {
		t.Errorf("budgets differ: A %q, B %q", ga, gb)
	}
	// B pastes a sales forecast for Monday: both bars show labor % of sales.
	e.do(b, "B enters a sales forecast", chromedp.Click(chromedp.CSS(`#sales-edit`)), waitFor(`document.querySelector("dialog[open]") !== null`),
		chromedp.SetValue(chromedp.CSS(`dialog textarea[name=csv]`), "date,amount\n"+week+",1560.00\n"),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.getElementById("cost-sales") !== null`))
	e.do(a, "A sees the forecast", waitFor(`document.getElementById("cost-sales") !== null && document.getElementById("cost-sales").textContent.includes("$1,560.00")`))
	if got := eval[string](e, a, `document.getElementById("cost-sales").textContent`); got != eval[string](e, b, `document.getElementById("cost-sales").textContent`) {
		t.Errorf("sales differ: A %q", got)
	}
	e.shot(a, "week-cost-bar")
}
