package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestWeekPrintView: the week builder in print media hides the app bar,
// the controls and the drafts, and prints the week table with the
// published shifts (computed styles, as the printer would lay them out).
func TestWeekPrintView(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	ctx := e.page(1280, 900)
	mgr := e.login("manager", "Bakery")
	monday := nextWeek().AddDate(0, 0, -7) // this week: the demo schedule is published
	// One draft (an open shift, so it conflicts with nobody) next to them.
	wed := monday.AddDate(0, 0, 2)
	res := e.apiCall(mgr, "POST", "/api/v1/shifts", map[string]any{"department_id": e.deptID("Bakery"), "employee_id": nil,
		"starts_at": wed.Add(5 * time.Hour).Format(time.RFC3339), "ends_at": wed.Add(7 * time.Hour).Format(time.RFC3339), "position": "Proofing"})
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create a draft: %d", res.StatusCode)
	}
	e.signIn(ctx, mgr, e.seed.Password)
	thisWeek := monday.Format("2006-01-02")
	e.do(ctx, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, e.deptID("Bakery"), thisWeek)),
		waitFor(`document.querySelector("table.week button.shift:not(.draft)") !== null && document.querySelector("table.week button.shift.draft") !== null`))
	// On screen the controls show.
	shown := `(sel) => [...document.querySelectorAll(sel)].filter((el) => getComputedStyle(el).display !== "none" && el.getClientRects().length > 0).length`
	count := func(sel string) int {
		t.Helper()
		return eval[int](e, ctx, fmt.Sprintf(`(%s)(%q)`, shown, sel))
	}
	if count(".no-print") == 0 || count("#appbar") == 0 {
		t.Fatalf("on screen the controls and app bar are hidden already")
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	e.do(ctx, "print media applies", waitFor(`matchMedia("print").matches`))
	e.shot(ctx, "week-print")
	for _, sel := range []string{".no-print", "#appbar", "#publish", "button.add", ".toasts"} {
		if n := count(sel); n != 0 {
			t.Errorf("print view shows %d of %s", n, sel)
		}
	}
	if n := count("table.week"); n != 1 {
		t.Errorf("print view shows %d week tables, want 1", n)
	}
	if n := count("table.week tbody tr"); n < 2 {
		t.Errorf("print view shows %d rows of the week", n)
	}
	published := eval[int](e, ctx, `document.querySelectorAll("table.week .shift:not(.draft)").length`)
	if n := count("table.week .shift:not(.draft)"); n == 0 || n != published {
		t.Errorf("print view shows %d of the %d published shifts", n, published)
	}
	if n := count("table.week .shift.draft"); n != 0 {
		t.Errorf("print view shows %d drafts", n)
	}
	// The week still fits the page width: nothing scrolls sideways.
	if !eval[bool](e, ctx, noOverflow) {
		t.Errorf("print view overflows: scrollWidth %v", eval[float64](e, ctx, `document.documentElement.scrollWidth`))
	}
}
