package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/internal/auth"
)

// feed reads an iCal feed.
func (e *env) feed(url string) string {
	e.t.Helper()
	res, err := http.Get(url)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		e.t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// TestTimeOffFreesShiftJourney: an employee with a published shift asks for
// that day off; the manager approves it on the dashboard, is shown the shift
// it collides with, and gives it to a candidate. The employee's open phone
// drops the shift live, their iCal feed no longer lists it, and the week
// grid shows the day as time off.
func TestTimeOffFreesShiftJourney(t *testing.T) {
	e := newEnv(t)
	dept := e.deptID("Bakery")
	mgr, empEmail := e.login("manager", "Bakery"), e.login("employee", "Bakery")
	emp, empName := e.person(empEmail)
	day := nextWeek().AddDate(0, 0, 1).Add(12 * time.Hour) // Tuesday noon
	shift := e.publish(dept, emp, day, 4)
	date := day.Format("2006-01-02")

	res := e.apiCall(empEmail, "POST", "/api/v1/time-off", map[string]string{"starts_on": date, "ends_on": date, "reason": "Dentist"})
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("request time off: %d", res.StatusCode)
	}
	res = e.apiCall(empEmail, "POST", "/api/v1/me/ical-token", nil)
	var tok struct{ URL string }
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	uid := fmt.Sprintf("UID:shift-%d@", shift)
	if !strings.Contains(e.feed(tok.URL), uid) {
		t.Fatalf("the feed does not list shift %d before approval", shift)
	}

	phone := e.page(360, 740)
	e.signIn(phone, empEmail, e.seed.Password)
	mine := fmt.Sprintf(`document.querySelector('#next-shifts li[data-shift-id="%d"]')`, shift)
	e.do(phone, "employee sees the shift", waitFor(mine+` !== null`))

	desk := e.page(1366, 800)
	e.signIn(desk, mgr, e.seed.Password)
	row := fmt.Sprintf(`[...document.querySelectorAll("#pending-timeoff li")].find((li) => li.textContent.includes(%q))`, empName)
	e.do(desk, "approve the request",
		waitFor(row+` !== undefined`),
		chromedp.Evaluate[chromedp.Void](row+`.querySelector("button.primary").click()`),
		waitFor(fmt.Sprintf(`document.querySelector('#cover-shifts li[data-shift-id="%d"] option[value]:not([value=""])') !== null`, shift)))
	if got := eval[string](e, desk, `document.getElementById("cover-shifts").textContent`); !strings.Contains(got, empName) || !strings.Contains(got, "1 published shift") {
		t.Errorf("collision panel says %q", got)
	}
	e.checkA11y(desk, "dashboard with shifts to cover")
	pick := eval[string](e, desk, fmt.Sprintf(`(() => { const s = document.querySelector('#cover-shifts li[data-shift-id="%d"] select');
		s.value = s.options[1].value; return s.options[1].textContent; })()`, shift))
	e.do(desk, "assign a candidate",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#cover-shifts li[data-shift-id="%d"] button[data-action=assign]`, shift))),
		waitFor(`document.getElementById("cover-shifts").textContent.includes("settled")`))

	sh, err := e.app.Roster.GetShift(context.Background(), auth.System, shift)
	if err != nil {
		t.Fatal(err)
	}
	if sh.EmployeeID == nil || *sh.EmployeeID == emp {
		t.Fatalf("shift still with %v; want %s", sh.EmployeeID, pick)
	}
	e.do(phone, "the shift leaves the employee's phone", waitFor(mine+` === null`))
	if strings.Contains(e.feed(tok.URL), uid) {
		t.Errorf("the iCal feed still lists shift %d", shift)
	}

	e.do(desk, "week grid shows the time off",
		chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, dept, nextWeek().Format("2006-01-02"))),
		waitFor(fmt.Sprintf(`[...document.querySelectorAll("table.week tbody tr")].some((tr) => tr.querySelector("th").textContent.includes(%q) && tr.querySelectorAll("td")[1].textContent.includes("Time off"))`, empName)))
	e.shot(desk, "week-time-off")
	e.shot(phone, "employee-home-after-time-off-360")
}
