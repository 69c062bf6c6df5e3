package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/roster"
)

// addShift creates a shift directly in the roster and returns it with the
// write's warnings.
func (e *env) addShift(dept int64, emp *int64, from time.Time, hours int, status string) roster.ShiftResult {
	e.t.Helper()
	start, end := from.Format(time.RFC3339), from.Add(time.Duration(hours)*time.Hour).Format(time.RFC3339)
	pos := "Ovens"
	in := roster.ShiftInput{DepartmentID: &dept, EmployeeID: roster.NullableID{Set: true, Value: emp}, StartsAt: &start, EndsAt: &end, Position: &pos, Status: &status}
	res, err := e.app.Roster.CreateShift(context.Background(), auth.System, in)
	if err != nil {
		e.t.Fatalf("create shift: %v", err)
	}
	return res
}

// setMaxHours sets a person's weekly maximum.
func (e *env) setMaxHours(id int64, hours int) {
	e.t.Helper()
	if _, err := e.app.People.UpdateEmployee(context.Background(), auth.System, id, people.EmployeeInput{MaxHoursPerWeek: &hours}, nil); err != nil {
		e.t.Fatalf("max hours: %v", err)
	}
}

// acceptDialogs accepts every confirm() of the tab and sends its text to the channel.
func acceptDialogs(t *testing.T, ctx context.Context) <-chan string {
	msgs := make(chan string, 4)
	lctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	go func() {
		for ev, err := range chromedp.Events(lctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			msgs <- ev.Message
			chromedp.Call(lctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return msgs
}

// TestWeekBuilderJourney: a manager opens a week where one person is over
// their weekly maximum; the row says so (scheduled against max) and the
// shifts carry the server's warnings on first load and after a reload.
// Focus comes back to the cell after a save (keyboard), a move (keyboard and
// drop) and a delete (mouse). No serious axe violation.
func TestWeekBuilderJourney(t *testing.T) {
	e := newEnv(t)
	mgr := e.login("manager", "Bakery")
	dept := e.deptID("Bakery")
	empID, empName := e.person(e.login("employee", "Bakery"))
	e.setMaxHours(empID, 12)
	monday := nextWeek()
	first := e.addShift(dept, &empID, monday.Add(9*time.Hour), 8, "draft")
	second := e.addShift(dept, &empID, monday.AddDate(0, 0, 1).Add(9*time.Hour), 8, "draft")
	if len(second.Warnings) == 0 {
		t.Fatalf("the second shift (16 h of 12) has no warning")
	}

	ctx := e.page(1366, 800)
	e.signIn(ctx, mgr, e.seed.Password)
	url := fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, dept, monday.Format(time.DateOnly))
	btn := func(id int64) string {
		return fmt.Sprintf(`document.querySelector('button.shift[data-shift-id="%d"]')`, id)
	}
	open := func(what string) {
		t.Helper()
		e.do(ctx, what, chromedp.Navigate(url), waitFor(btn(second.ID)+` !== null`))
	}
	open("week builder")
	row := eval[string](e, ctx, fmt.Sprintf(`[...document.querySelectorAll("td.cell")].find((td) => td.closest("tr").querySelector("th").textContent.startsWith(%q)).dataset.row`, empName))
	cell := func(col int) string {
		return fmt.Sprintf(`document.querySelector('td.cell[data-row="%s"][data-col="%d"]')`, row, col)
	}
	header := cell(0) + `.closest("tr").querySelector("th")`
	for _, when := range []string{"first load", "after a reload"} {
		if when != "first load" {
			open("reload the week")
		}
		if !eval[bool](e, ctx, cell(0)+`.closest("tr").classList.contains("over-max")`) {
			t.Errorf("%s: %s's row is not marked over the maximum", when, empName)
		}
		if got := eval[string](e, ctx, header+`.innerText`); !strings.Contains(got, "16.0 h scheduled / 12 h max") || !strings.Contains(got, "Over max hours") {
			t.Errorf("%s: row header reads %q", when, got)
		}
		if got := eval[string](e, ctx, btn(second.ID)+`.textContent`); !strings.Contains(got, "⚠") {
			t.Errorf("%s: the shift over the maximum shows no warning: %q", when, got)
		}
		if got := eval[string](e, ctx, btn(second.ID)+`.querySelector(".badge.danger").title`); !strings.Contains(got, "over the person's maximum of 12") {
			t.Errorf("%s: warning reads %q", when, got)
		}
	}
	e.checkA11y(ctx, "week builder 1366x800")

	focused := func(col int) string { return `document.activeElement === ` + cell(col) }
	// Save (keyboard): Enter on Monday opens the shift, Enter in the form saves.
	e.do(ctx, "open Monday's shift", chromedp.Evaluate[chromedp.Void](cell(0)+`.focus()`), chromedp.KeyEvent(kb.Enter),
		waitFor(`document.querySelector("dialog[open] input[name=position]") !== null`))
	e.do(ctx, "save it", chromedp.Evaluate[chromedp.Void](`(() => { const i = document.querySelector("dialog[open] input[name=position]"); i.focus(); i.setSelectionRange(i.value.length, i.value.length); })()`),
		chromedp.KeyEvent(" fresh"), chromedp.KeyEvent(kb.Enter),
		waitFor(`document.querySelector("dialog[open]") === null && `+btn(first.ID)+`.textContent.includes("Ovens fresh")`), waitFor(focused(0)))
	// Move (keyboard): M, → → , Enter drops on Wednesday.
	e.do(ctx, "pick up", chromedp.KeyEvent("m"), waitFor(btn(first.ID)+`.getAttribute("aria-pressed") === "true"`))
	e.do(ctx, "carry", chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), waitFor(focused(2)))
	e.do(ctx, "drop on Wednesday", chromedp.KeyEvent(kb.Enter), waitFor(cell(2)+`.contains(`+btn(first.ID)+`)`), waitFor(focused(2)))
	// Move (mouse): drop it on Thursday.
	e.do(ctx, "drop on Thursday", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const dt = new DataTransfer(); dt.setData("text/plain", "%d");
		%s.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true })); })()`, first.ID, cell(3))),
		waitFor(cell(3)+`.contains(`+btn(first.ID)+`)`), waitFor(focused(3)))
	// Delete (mouse): click the shift, Delete, confirm.
	dialogs := acceptDialogs(t, ctx)
	e.do(ctx, "open Thursday's shift", chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.shift[data-shift-id="%d"]`, first.ID))),
		waitFor(`document.querySelector("dialog[open] button.danger") !== null`))
	e.do(ctx, "delete it", chromedp.Click(chromedp.CSS(`dialog[open] button.danger`)))
	select {
	case <-dialogs:
	case <-time.After(15 * time.Second):
		t.Fatal("Delete asked no confirmation")
	}
	e.do(ctx, "the shift is gone, focus on Thursday", waitFor(btn(first.ID)+` === null`), waitFor(focused(3)))
	e.shot(ctx, "week-journey")
}

// TestWeekBuilderPhone: at 360 px on a touch screen "+ add" shows in every
// cell without hovering, and the screen has no serious axe violation.
func TestWeekBuilderPhone(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	mgr := e.login("manager", "Bakery")
	ctx := e.page(360, 740)
	e.signIn(ctx, mgr, e.seed.Password)
	e.do(ctx, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d", e.base, e.deptID("Bakery"))),
		waitFor(`document.querySelector("table.week button.add") !== null`))
	hidden := eval[int](e, ctx, `[...document.querySelectorAll("table.week button.add")].filter((b) => getComputedStyle(b).opacity !== "1" || getComputedStyle(b).display === "none").length`)
	if hidden != 0 {
		t.Errorf("%d \"+ add\" buttons are invisible on a touch screen (hover: none is %v)", hidden, eval[bool](e, ctx, `matchMedia("(hover: none)").matches`))
	}
	e.shot(ctx, "week-phone")
	e.checkA11y(ctx, "week builder 360x740")
	// It is the no-hover rule that shows them (headless Chromium has no
	// mouse, and hover cannot be emulated): with a mouse, hovering or
	// focusing the cell shows "+ add".
	if !eval[bool](e, ctx, `matchMedia("(hover: none)").matches && [...document.styleSheets].some((sh) => [...sh.cssRules].some((r) =>
		r instanceof CSSMediaRule && r.conditionText.includes("hover: none") && [...r.cssRules].some((x) => x.selectorText === ".week .add" && x.style.opacity === "1")))`) {
		t.Error(`"+ add" is not shown by an (hover: none) rule`)
	}
}
