package web_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// halifax is the demo store's zone (config.DefaultTimezone).
func halifax(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Halifax")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// cellText is the text of a week builder cell: the person's row, the day's column.
func cellText(name string, col int) string {
	return fmt.Sprintf(`(() => { const tr = [...document.querySelectorAll("table.week tbody tr")].find((r) => r.querySelector("th").textContent.includes(%q));
		return tr ? tr.querySelectorAll("td.cell")[%d].textContent : ""; })()`, name, col)
}

// TestTimesInStoreZone: a browser in Toronto works for a store in Halifax,
// an hour ahead. A 07:00 Halifax shift shows as 7:00 on the week builder
// and on the employee's home, a shift entered as 07:00 in the week
// builder's dialog is stored as 07:00 Halifax, and the screens say whose
// time they show.
func TestTimesInStoreZone(t *testing.T) {
	e := newEnv(t, chromedp.Env("TZ=America/Toronto"))
	loc := halifax(t)
	dept := e.deptID("Bakery")
	manager, employee := e.login("manager", "Bakery"), e.login("employee", "Bakery")
	emp, name := e.person(employee)
	// Next week, Monday to Sunday, in Halifax.
	today := time.Now().In(loc)
	monday := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, loc)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, 1)
	}
	wed := time.Date(monday.Year(), monday.Month(), monday.Day()+2, 7, 0, 0, 0, loc)
	e.publish(dept, emp, wed, 8)

	ctx := e.page(1366, 800)
	e.signIn(ctx, manager, e.seed.Password)
	if tz := eval[string](e, ctx, `Intl.DateTimeFormat().resolvedOptions().timeZone`); tz != "America/Toronto" {
		t.Fatalf("the browser is in %s, want America/Toronto", tz)
	}
	e.do(ctx, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, dept, monday.Format(time.DateOnly))),
		waitFor(cellText(name, 2)+`.includes("–")`))
	clock7, clock6 := regexp.MustCompile(`\b7:00`), regexp.MustCompile(`\b6:00`)
	if got := eval[string](e, ctx, cellText(name, 2)); !clock7.MatchString(got) || clock6.MatchString(got) {
		t.Errorf("Wednesday's cell of %s = %q, want the shift at 7:00", name, got)
	}
	if got := eval[string](e, ctx, `(document.querySelector(".zone-hint") || {}).textContent || ""`); got != "Times are America/Halifax time." {
		t.Errorf("zone hint = %q", got)
	}

	// Thursday, 07:00–11:00, through the dialog.
	e.do(ctx, "new shift dialog",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const tr = [...document.querySelectorAll("table.week tbody tr")].find((r) => r.querySelector("th").textContent.includes(%q));
			tr.querySelectorAll("td.cell")[3].querySelector("button.add").click(); })()`, name)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name=starts_at]`)))
	if got := eval[string](e, ctx, `document.querySelector("dialog[open] label[for='" + document.querySelector("dialog[open] input[name=starts_at]").id + "']").textContent`); got != "Starts (America/Halifax time)" {
		t.Errorf("start label = %q", got)
	}
	if got := eval[string](e, ctx, `document.querySelector("dialog[open] input[name=date]").value`); got != monday.AddDate(0, 0, 3).Format(time.DateOnly) {
		t.Errorf("dialog day = %s, want Thursday %s", got, monday.AddDate(0, 0, 3).Format(time.DateOnly))
	}
	e.do(ctx, "create at 07:00",
		chromedp.SetValue(chromedp.CSS(`dialog[open] input[name=starts_at]`), "07:00"),
		chromedp.SetValue(chromedp.CSS(`dialog[open] input[name=ends_at]`), "11:00"),
		chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)),
		waitFor(`!document.querySelector("dialog[open]") && `+cellText(name, 3)+`.includes("–")`))
	if got := eval[string](e, ctx, cellText(name, 3)); !clock7.MatchString(got) {
		t.Errorf("Thursday's cell of %s = %q, want the new shift at 7:00", name, got)
	}
	thu := time.Date(monday.Year(), monday.Month(), monday.Day()+3, 7, 0, 0, 0, loc)
	found := false
	for _, at := range e.shiftsOf(manager, dept, monday) {
		if at.Equal(thu) {
			found = true
		}
	}
	if !found {
		t.Errorf("no shift starts at %s (%s) after entering 07:00: %v", thu, thu.UTC().Format(time.RFC3339), e.shiftsOf(manager, dept, monday))
	}
	e.checkA11y(ctx, "/week in another zone at 1366x800")

	// The employee's home shows the Halifax time too, and says so.
	home := e.page(360, 740)
	e.signIn(home, employee, e.seed.Password)
	e.do(home, "next shifts", waitFor(`document.querySelector("#next-shifts .when") !== null`))
	if got := eval[string](e, home, `document.querySelector("#next-shifts li[data-shift-id] .when").textContent`); !clock7.MatchString(got) || clock6.MatchString(got) {
		t.Errorf("home's next shift = %q, want 7:00", got)
	}
	if got := eval[string](e, home, `document.querySelector("#next-shifts .zone-hint").textContent`); got != "Times are America/Halifax time." {
		t.Errorf("home zone hint = %q", got)
	}
}

// TestZoneHelpersAcrossDST evaluates zone.js in a Toronto browser for a
// Halifax store over both DST changes of 2026 (March 8, November 1).
func TestZoneHelpersAcrossDST(t *testing.T) {
	e := newEnv(t, chromedp.Env("TZ=America/Toronto"))
	ctx := e.page(1366, 800)
	e.do(ctx, "open", chromedp.Navigate(e.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`import("/js/zone.js").then((z) => {
		z.setZone("America/Halifax");
		const d = z.parseYMD, iso = (t) => t.toISOString();
		return {
			beforeSpring: iso(z.at(d("2026-03-07"), "07:00")),
			afterSpring: iso(z.at(d("2026-03-08"), "07:00")),
			springMidnight: iso(z.startOf(d("2026-03-08"))),
			springHours: String((z.startOf(d("2026-03-09")) - z.startOf(d("2026-03-08"))) / 3600000),
			beforeFall: iso(z.at(d("2026-10-31"), "07:00")),
			afterFall: iso(z.at(d("2026-11-01"), "07:00")),
			fallHours: String((z.startOf(d("2026-11-02")) - z.startOf(d("2026-11-01"))) / 3600000),
			weekStart: z.ymd(z.weekStart(d("2026-03-11"), 1)),
			weekOverSpring: z.ymd(z.addDays(d("2026-03-02"), 7)),
			dayOf: z.ymd(z.dayOf("2026-03-09T03:30:00Z")),
			wallTime: z.wallTime("2026-11-01T05:30:00Z"),
			wallBack: iso(z.at(z.dayOf("2026-03-09T10:00:00Z"), z.wallTime("2026-03-09T10:00:00Z"))),
		};
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"beforeSpring": "2026-03-07T11:00:00.000Z", "afterSpring": "2026-03-08T10:00:00.000Z",
		"springMidnight": "2026-03-08T04:00:00.000Z", "springHours": "23",
		"beforeFall": "2026-10-31T10:00:00.000Z", "afterFall": "2026-11-01T11:00:00.000Z", "fallHours": "25",
		"weekStart": "2026-03-09", "weekOverSpring": "2026-03-09",
		"dayOf":    "2026-03-09", // 00:30 in Halifax, still March 8 in Toronto
		"wallTime": "01:30",      // the second 01:30 of the fall-back night
		"wallBack": "2026-03-09T10:00:00.000Z",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}
