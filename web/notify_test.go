package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestManagerToldOfTimeOffRequest: a manager with the app open is told, live,
// when someone of the department asks for time off.
func TestManagerToldOfTimeOffRequest(t *testing.T) {
	e := newEnv(t)
	var dept string
	for _, l := range e.seed.Logins {
		if l.Role == "employee" && l.Department != "" {
			dept = l.Department
			break
		}
	}
	mgr := e.page(1366, 800)
	e.signIn(mgr, e.login("manager", dept), e.seed.Password)
	e.do(mgr, "live", waitFor(`document.getElementById("conn").dataset.state === "live"`))
	emp := e.page(360, 740)
	e.signIn(emp, e.login("employee", dept), e.seed.Password)
	day := time.Now().AddDate(0, 0, 40).Format(time.DateOnly)
	e.do(emp, "request time off", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`fetch("/api/v1/time-off", {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/json"}, body: JSON.stringify({starts_on: %q, ends_on: %q, reason: "family"})}).then((r) => r.status)`, day, day), chromedp.EvalAwaitPromise))
	e.do(mgr, "the manager is told", waitFor(fmt.Sprintf(`document.getElementById("toasts").textContent.includes("time-off request (%s–%s) needs your decision")`, day, day)))
}
