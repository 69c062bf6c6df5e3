package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/internal/auth"
)

// floorRow is the text of the dashboard's floor row of a person ("" if none).
func floorRow(name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#floor .person")].filter((p) => p.textContent.includes(%q)).map((p) => p.textContent).join("\n")`, name)
}

// TestDashboardAlertsAndFloor: a manager's dashboard lists the person
// whose shift started 20 minutes ago without a clock-in as late, also
// after a reload and in a new session (from GET /attendance/alerts), shows
// that person once with both of today's shifts, and does not call someone
// whose shift starts later "not arrived".
func TestDashboardAlertsAndFloor(t *testing.T) {
	e := newEnv(t)
	loc := halifax(t)
	if h := time.Now().In(loc).Hour(); h < 1 || h >= 22 {
		t.Skip("the shifts of this test must fall on one store day; run it between 01:00 and 22:00 in Halifax")
	}
	dept := e.deptID("Bakery")
	var staff []int64
	names := map[int64]string{}
	for _, p := range e.seed.Employees {
		if p.Role == auth.RoleEmployee && slices.Contains(p.DepartmentIDs, dept) {
			staff = append(staff, p.ID)
			names[p.ID] = p.FirstName + " " + p.LastName
		}
	}
	if len(staff) < 2 {
		t.Fatalf("bakery has %d employees", len(staff))
	}
	late, later := staff[0], staff[1]
	now := time.Now().Truncate(time.Minute)
	e.publish(dept, late, now.Add(-20*time.Minute), 1)
	e.publish(dept, late, now.Add(60*time.Minute), 1)
	e.publish(dept, later, now.Add(40*time.Minute), 2)
	alert := fmt.Sprintf(`[...document.querySelectorAll("#alerts li[data-kind=late]")].some((li) => li.textContent.includes(%q))`, names[late])

	manager := e.login("manager", "Bakery")
	ctx := e.page(1366, 800)
	e.signIn(ctx, manager, e.seed.Password)
	e.do(ctx, "dashboard", chromedp.Navigate(e.base+"/dashboard"), waitFor(alert), waitFor(floorRow(names[later])+` !== ""`))
	e.do(ctx, "reload", chromedp.Reload(), waitFor(alert), waitFor(floorRow(names[later])+` !== ""`))
	e.shot(ctx, "dashboard-alerts")

	row := eval[string](e, ctx, floorRow(names[late]))
	if n := eval[int](e, ctx, fmt.Sprintf(`[...document.querySelectorAll("#floor .person")].filter((p) => p.textContent.includes(%q)).length`, names[late])); n != 1 {
		t.Errorf("%s has %d floor rows, want 1: %q", names[late], n, row)
	}
	if !strings.Contains(row, "not arrived") || strings.Count(row, "–") != 2 {
		t.Errorf("%s's floor row = %q, want not arrived with both shifts' times", names[late], row)
	}
	if row := eval[string](e, ctx, floorRow(names[later])); strings.Contains(row, "not arrived") || !strings.Contains(row, "starts") {
		t.Errorf("%s's floor row = %q: the shift has not started", names[later], row)
	}
	e.checkA11y(ctx, "/dashboard at 1366x800")

	// A new session on a phone hears no replayed event: the alert comes from the server.
	phone := e.page(360, 740)
	e.signIn(phone, manager, e.seed.Password)
	e.do(phone, "dashboard on a phone", chromedp.Navigate(e.base+"/dashboard"), waitFor(alert))
	if !eval[bool](e, phone, noOverflow) {
		t.Errorf("dashboard overflows at 360 px")
	}
	e.checkA11y(phone, "/dashboard at 360x740")
}
