package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// shiftsOf is what GET /api/v1/shifts says of a department's week.
func (e *env) shiftsOf(email string, dept int64, from time.Time) map[int64]time.Time {
	e.t.Helper()
	res := e.apiCall(email, "GET", fmt.Sprintf("/api/v1/shifts?department_id=%d&from=%s&to=%s", dept,
		from.Format(time.RFC3339), from.AddDate(0, 0, 7).Format(time.RFC3339)), nil)
	defer res.Body.Close()
	var page struct {
		Items []struct {
			ID         int64     `json:"id"`
			EmployeeID *int64    `json:"employee_id"`
			StartsAt   time.Time `json:"starts_at"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET shifts: %d %v", res.StatusCode, err)
	}
	out := map[int64]time.Time{}
	for _, s := range page.Items {
		out[s.ID] = s.StartsAt
	}
	return out
}

// TestWeekKeyboardMoveAndDelete: in the week builder a manager picks a
// shift up with M, carries it one day right with the arrow key and drops it
// with Enter, then deletes it with the Delete key (accepting the
// confirmation); the server agrees after each step.
func TestWeekKeyboardMoveAndDelete(t *testing.T) {
	e := newEnv(t)
	mgr := e.login("manager", "Bakery")
	dept := e.deptID("Bakery")
	empID, empName := e.person(e.login("employee", "Bakery"))
	monday := nextWeek()
	res := e.apiCall(mgr, "POST", "/api/v1/shifts", map[string]any{"department_id": dept, "employee_id": empID,
		"starts_at": monday.Add(9 * time.Hour).Format(time.RFC3339), "ends_at": monday.Add(17 * time.Hour).Format(time.RFC3339), "position": "Ovens"})
	var created struct{ ID int64 }
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || created.ID == 0 {
		t.Fatalf("create shift: %d", res.StatusCode)
	}

	ctx := e.page(1280, 900)
	e.signIn(ctx, mgr, e.seed.Password)
	e.do(ctx, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, dept, monday.Format(time.DateOnly))),
		waitFor(fmt.Sprintf(`document.querySelector('table.week button.shift[data-shift-id="%d"]') !== null`, created.ID)))
	row := eval[string](e, ctx, fmt.Sprintf(`[...document.querySelectorAll("td.cell")].find((td) => td.closest("tr").querySelector("th").textContent.startsWith(%q)).dataset.row`, empName))
	cell := func(col int) string {
		return fmt.Sprintf(`document.querySelector('td.cell[data-row="%s"][data-col="%d"]')`, row, col)
	}
	in := func(col int) string {
		return fmt.Sprintf(`%s.querySelector('button.shift[data-shift-id="%d"]') !== null`, cell(col), created.ID)
	}
	if !eval[bool](e, ctx, in(0)) {
		t.Fatalf("the shift is not in %s's Monday cell", empName)
	}

	// Move: M picks it up (shown pressed), → carries it, Enter drops it.
	e.do(ctx, "pick the shift up", chromedp.Evaluate[chromedp.Void](cell(0)+`.focus()`), chromedp.KeyEvent("m"),
		waitFor(fmt.Sprintf(`document.querySelector('button.shift[data-shift-id="%d"]').getAttribute("aria-pressed") === "true"`, created.ID)),
		waitFor(`document.getElementById("week-status").textContent.includes("picked up")`))
	e.do(ctx, "carry it to Tuesday", chromedp.KeyEvent(kb.ArrowRight), waitFor(`document.activeElement === `+cell(1)))
	e.do(ctx, "drop it", chromedp.KeyEvent(kb.Enter), waitFor(in(1)+` && !(`+in(0)+`)`))
	e.shot(ctx, "week-keyboard-moved")
	got := e.shiftsOf(mgr, dept, monday)
	if want := monday.AddDate(0, 0, 1).Add(9 * time.Hour); !got[created.ID].Equal(want) {
		t.Errorf("server has the shift starting %v, want %v (Tuesday, same time)", got[created.ID], want)
	}

	// Delete: the Delete key on the cell asks to confirm, then removes it.
	dialogs := make(chan string, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for ev, err := range chromedp.Events(lctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			dialogs <- ev.Message
			chromedp.Call(lctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	e.do(ctx, "focus Tuesday", chromedp.Evaluate[chromedp.Void](cell(1)+`.focus()`), chromedp.KeyEvent(kb.Delete))
	select {
	case msg := <-dialogs:
		if !strings.HasPrefix(msg, "Delete the shift") {
			t.Errorf("the delete confirmation reads %q", msg)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Delete asked no confirmation")
	}
	e.do(ctx, "the shift is gone", waitFor(fmt.Sprintf(`document.querySelector('button.shift[data-shift-id="%d"]') === null`, created.ID)))
	if _, ok := e.shiftsOf(mgr, dept, monday)[created.ID]; ok {
		t.Error("the server still lists the deleted shift")
	}
}
