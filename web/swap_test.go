package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/roster"
)

// publish creates a published shift of the department as the system.
func (e *env) publish(dept, emp int64, from time.Time, hours int) int64 {
	e.t.Helper()
	start, end := from.Format(time.RFC3339), from.Add(time.Duration(hours)*time.Hour).Format(time.RFC3339)
	sh, err := e.app.Roster.CreateShift(context.Background(), auth.System, roster.ShiftInput{
		DepartmentID: &dept, EmployeeID: roster.NullableID{Set: true, Value: &emp},
		StartsAt: &start, EndsAt: &end, Status: ptr(roster.StatusPublished), Position: ptr("Counter")})
	if err != nil {
		e.t.Fatalf("shift of %d at %s: %v", emp, start, err)
	}
	return sh.ID
}

func ptr[T any](v T) *T { return &v }

// TestSwapOfferPicksColleague: an employee offers a shift from the home
// screen by picking a colleague by name among those free then (a colleague
// busy then is not offered); the server has the request to that colleague.
// When nobody is free the dialog says so and sends nothing.
func TestSwapOfferPicksColleague(t *testing.T) {
	e := newEnv(t)
	dept := e.deptID("Bakery")
	email := e.login("employee", "Bakery")
	me, _ := e.person(email)
	var others []people.Employee // the manager and the other employees of the bakery
	for _, p := range e.seed.Employees {
		if p.ID != me && slices.Contains(p.DepartmentIDs, dept) {
			others = append(others, p)
		}
	}
	if len(others) < 3 {
		t.Fatalf("bakery has %d other people", len(others))
	}
	name := func(p people.Employee) string { return p.FirstName + " " + p.LastName }
	busy, pick := others[len(others)-1], others[len(others)-2]

	day := nextWeek().Add(24*time.Hour + 9*time.Hour) // Tuesday 09:00
	mine := e.publish(dept, me, day, 8)
	e.publish(dept, busy.ID, day.Add(3*time.Hour), 8) // overlaps mine
	// Two days later everybody else works: nobody to swap with.
	later := day.Add(48 * time.Hour)
	lonely := e.publish(dept, me, later, 8)
	for _, p := range others {
		e.publish(dept, p.ID, later, 8)
	}

	ctx := e.page(360, 780)
	e.signIn(ctx, email, e.seed.Password)
	open := func(id int64) {
		e.do(ctx, fmt.Sprintf("open the swap dialog of shift %d", id),
			waitFor(fmt.Sprintf(`document.querySelector('#next-shifts li[data-shift-id="%d"] button') !== null`, id)),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`#next-shifts li[data-shift-id="%d"] button`, id))),
			waitFor(`document.querySelector("dialog[open]") !== null`))
	}

	open(lonely)
	e.do(ctx, "empty state", waitFor(`document.querySelector("dialog[open]").textContent.includes("Nobody in your department is free then")`))
	if eval[bool](e, ctx, `document.querySelector("dialog[open] select") !== null || !document.querySelector("dialog[open] button[type=submit]").disabled`) {
		t.Error("the empty dialog offers a choice or a send button")
	}
	e.shot(ctx, "swap-dialog-empty-360")
	e.do(ctx, "cancel", chromedp.Click(chromedp.CSS(`dialog[open] button[type=button]`)), waitFor(`document.querySelector("dialog") === null`))

	open(mine)
	e.do(ctx, "candidates listed", waitFor(`document.querySelector("dialog[open] select option") !== null`))
	names := eval[[]string](e, ctx, `[...document.querySelectorAll("dialog[open] select option")].map((o) => o.textContent)`)
	if !slices.Contains(names, name(pick)) || slices.Contains(names, name(busy)) || len(names) != len(others)-1 {
		t.Errorf("offered %v; want everyone but %s, with %s", names, name(busy), name(pick))
	}
	e.shot(ctx, "swap-dialog-360")
	e.do(ctx, "pick by name and send",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const sel = document.querySelector("dialog[open] select");
			sel.value = [...sel.options].find((o) => o.textContent === %q).value;
			sel.dispatchEvent(new Event("change", { bubbles: true }));
		})()`, name(pick))),
		chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)),
		waitFor(`document.querySelector("dialog") === null`))

	page, err := e.app.Roster.ListSwaps(context.Background(), auth.System, "", paging.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ShiftID != mine || page.Items[0].FromEmployeeID != me ||
		page.Items[0].ToEmployeeID != pick.ID || page.Items[0].Status != roster.SwapPending {
		t.Errorf("swap requests %+v; want one of shift %d from %d to %d", page.Items, mine, me, pick.ID)
	}
}

// TestSwapJourney: swaps are named by day, time and department on every
// screen; the colleague declines one and the offerer withdraws another in
// the app; a manager approves an accepted one from the dashboard and the
// offerer's phone says whom the shift was swapped to.
func TestSwapJourney(t *testing.T) {
	e := newEnv(t)
	dept := e.deptID("Bakery")
	var bakers []string
	for _, l := range e.seed.Logins {
		if l.Role == "employee" && l.Department == "Bakery" {
			bakers = append(bakers, l.Email)
		}
	}
	if len(bakers) < 2 {
		t.Fatalf("%d bakers", len(bakers))
	}
	aEmail, bEmail := bakers[0], bakers[1]
	a, aName := e.person(aEmail)
	b, bName := e.person(bEmail)
	day := nextWeek().AddDate(0, 0, 2).Add(12 * time.Hour) // Wednesday noon
	shifts := []int64{e.publish(dept, a, day, 4), e.publish(dept, a, day.AddDate(0, 0, 1), 4), e.publish(dept, a, day.AddDate(0, 0, 2), 4)}
	for _, id := range shifts {
		res := e.apiCall(aEmail, "POST", fmt.Sprintf("/api/v1/shifts/%d/swap-requests", id), map[string]int64{"to_employee_id": b})
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("offer shift %d: %d", id, res.StatusCode)
		}
	}
	pa, pb := e.page(360, 740), e.page(360, 740)
	e.signIn(pa, aEmail, e.seed.Password)
	e.signIn(pb, bEmail, e.seed.Password)
	swapRow := func(n int) string { return fmt.Sprintf(`document.querySelectorAll("#swaps li[data-swap-id]")[%d]`, n) }
	click := func(n int, label string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`[...%s.querySelectorAll("button")].find((x) => x.textContent === %q).click()`, swapRow(n), label))
	}
	e.do(pb, "B sees three offers named by day, time and department", waitFor(`document.querySelectorAll("#swaps li[data-swap-id]").length === 3`))
	text := eval[string](e, pb, swapRow(0)+`.textContent`)
	if !strings.Contains(text, "Bakery") || !strings.Contains(text, aName+" offers it to you") || strings.Contains(text, "#") {
		t.Errorf("B's swap reads %q", text)
	}
	e.do(pb, "B declines the first", click(0, "Decline"), waitFor(swapRow(0)+`.textContent.includes("denied")`))
	e.do(pa, "A withdraws the second", waitFor(`document.querySelectorAll("#swaps li[data-swap-id]").length === 3`),
		click(1, "Withdraw"), waitFor(swapRow(1)+`.textContent.includes("denied")`))
	e.do(pb, "B accepts the third", waitFor(swapRow(1)+`.textContent.includes("denied")`), click(2, "Accept"), waitFor(swapRow(2)+`.textContent.includes("accepted")`))

	desk := e.page(1366, 800)
	e.signIn(desk, e.login("manager", "Bakery"), e.seed.Password)
	e.do(desk, "the manager sees the accepted swap", waitFor(`document.querySelector("#pending-swaps li") !== null`))
	if got := eval[string](e, desk, `document.querySelector("#pending-swaps li").textContent`); !strings.Contains(got, "Bakery") || !strings.Contains(got, aName+" → "+bName) || strings.Contains(got, "#") {
		t.Errorf("dashboard swap reads %q", got)
	}
	e.do(desk, "approve", chromedp.Click(chromedp.CSS(`#pending-swaps li button.primary`)), waitFor(`document.querySelector("#pending-swaps p.empty") !== null`))
	e.do(pa, "A is told whom it went to", waitFor(fmt.Sprintf(`(document.querySelector("#banner .banner") || {textContent: ""}).textContent.includes("Swapped to %s")`, bName)))
	e.shot(pa, "swap-swapped-to-360")
	e.checkA11y(pa, "employee home with swaps at 360")
}
