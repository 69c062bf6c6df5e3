package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEmployeeClockCard: on a phone, the clock card says where the person
// stands ("Clocked in since 10:02", "On break since …") and offers only the
// buttons that apply.
func TestEmployeeClockCard(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	ctx := e.page(360, 740)
	e.signIn(ctx, e.login("employee", ""), e.seed.Password)
	buttons := `[...document.querySelectorAll("#clock .row button")].map((b) => b.textContent)`
	state := `document.querySelector("#clock .clock-state") ? document.querySelector("#clock .clock-state").textContent : ""`
	steps := []struct {
		desc, click, state, buttons string
	}{
		{desc: "before", state: `^Not clocked in\.$`, buttons: "[Clock in]"},
		{desc: "clock in", click: "Clock in", state: `^Clocked in since \d{1,2}:\d\d`, buttons: "[Start break Clock out]"},
		{desc: "break", click: "Start break", state: `^On break since \d{1,2}:\d\d`, buttons: "[End break Clock out]"},
		{desc: "back", click: "End break", state: `^Clocked in since \d{1,2}:\d\d`, buttons: "[Start break Clock out]"},
	}
	for _, st := range steps {
		if st.click != "" {
			e.do(ctx, st.desc, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#clock .row button:nth-child(%d)`, 1))))
		}
		e.do(ctx, st.desc+": state", waitFor(fmt.Sprintf(`new RegExp(%q).test(%s) && %s.join(" ") === %q`, st.state, state, buttons, st.buttons[1:len(st.buttons)-1])))
		if got := eval[[]string](e, ctx, buttons); fmt.Sprint(got) != st.buttons {
			t.Errorf("%s: buttons %v, want %s", st.desc, got, st.buttons)
		}
	}
	e.checkA11y(ctx, "/home clock card at 360x740")
	e.shot(ctx, "employee-clock-phone")
	desk := e.page(1366, 800)
	e.signIn(desk, e.login("employee", ""), e.seed.Password)
	e.do(desk, "desktop clock card", waitFor(state+`.startsWith("Clocked in since")`))
	e.checkA11y(desk, "/home clock card at 1366x800")
	e.shot(desk, "employee-clock-desktop")
}
