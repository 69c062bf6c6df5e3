package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAnnouncementAcknowledgedLive: a manager posts an announcement that
// asks for acknowledgement from the dashboard; the employee's phone shows it
// live (its link a link, its markup text) and the employee taps "Got it";
// the manager's screen shows the acknowledgement live.
func TestAnnouncementAcknowledgedLive(t *testing.T) {
	e := newEnv(t)
	empEmail := e.login("employee", "Bakery")
	_, empName := e.person(empEmail)

	emp := e.page(360, 780)
	e.signIn(emp, empEmail, e.seed.Password)
	e.do(emp, "employee home live", waitFor(`document.getElementById("conn").dataset.state === "live"`),
		waitFor(`!!document.querySelector("#announcements h2") && !document.getElementById("announcements").textContent.includes("Loading")`))
	e.do(emp, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))

	mgr := e.page(1280, 900)
	e.signIn(mgr, e.login("manager", "Bakery"), e.seed.Password)
	e.do(mgr, "dashboard live", chromedp.Navigate(e.base+"/dashboard"),
		waitFor(`document.getElementById("conn").dataset.state === "live" && !!document.getElementById("announce-form")`))
	e.do(mgr, "write the post",
		chromedp.SendKeys(chromedp.CSS(`#announce-form input[name=title]`), "Oven service Friday"),
		chromedp.SendKeys(chromedp.CSS(`#announce-form textarea[name=body]`), `Details: https://example.com/oven <img src=x onerror="window.__pwned=1">`),
		chromedp.Evaluate[chromedp.Void](`(() => {
			for (const l of document.querySelectorAll("#announce-form input[name=dept]")) l.checked = l.parentElement.textContent.includes("Bakery");
			document.querySelector("#announce-form input[name=needs_ack]").checked = true;
		})()`),
		chromedp.Click(chromedp.CSS(`#announce-form button[type=submit]`)),
		waitFor(`document.getElementById("announce-form").textContent.includes("Posted.")`),
		waitFor(fmt.Sprintf(`[...document.querySelectorAll("#my-posts .read-list li")].some((li) => li.textContent.includes(%q) && li.querySelector("[data-status]").dataset.status !== "acknowledged")`, empName)))

	e.do(emp, "the employee sees it live",
		waitFor(`[...document.querySelectorAll("#announcements li.announcement")].some((li) => li.textContent.includes("Oven service Friday"))`))
	if !eval[bool](e, emp, `document.querySelector("#announcements .announcement-body a[href='https://example.com/oven']") !== null`) {
		t.Error("the link in the body is not a link")
	}
	if eval[bool](e, emp, `document.querySelector("#announcements img") !== null || window.__pwned === 1`) {
		t.Error("markup in the body became HTML")
	}
	// Shown on screen: recorded as seen, live on the manager's screen.
	e.do(mgr, "the manager sees it seen", waitFor(fmt.Sprintf(
		`[...document.querySelectorAll("#my-posts .read-list li")].some((li) => li.textContent.includes(%q) && li.querySelector("[data-status]").dataset.status === "seen")`, empName)))
	e.do(emp, "Got it", chromedp.Click(chromedp.CSS(`#announcements button.ack-announcement`)),
		waitFor(`document.querySelector("#announcements .acked") !== null`))
	e.do(mgr, "the manager sees it acknowledged", waitFor(fmt.Sprintf(
		`[...document.querySelectorAll("#my-posts .read-list li")].some((li) => li.textContent.includes(%q) && li.querySelector("[data-status]").dataset.status === "acknowledged")`, empName)))
	if !eval[bool](e, emp, `window.__notReloaded === true`) {
		t.Error("the employee page reloaded")
	}
	if !eval[bool](e, emp, noOverflow) {
		t.Error("employee home overflows at 360 px with an announcement")
	}
	e.shot(emp, "employee-home-announcement-360")
	e.shot(mgr, "dashboard-announcement-acknowledged")
}

// TestScheduleAcknowledgedLive: a manager publishes a week; the employee's
// phone shows "I've seen my schedule" live and the employee taps it; the
// week builder shows the person go from not yet to seen to acknowledged
// without reloading.
func TestScheduleAcknowledgedLive(t *testing.T) {
	e := newEnv(t)
	deptID := e.deptID("Bakery")
	empEmail := e.login("employee", "Bakery")
	empID, empName := e.person(empEmail)

	emp := e.page(360, 780)
	e.signIn(emp, empEmail, e.seed.Password)
	e.do(emp, "employee home live", waitFor(`document.getElementById("conn").dataset.state === "live"`))

	mgr := e.page(1280, 900)
	e.signIn(mgr, e.login("manager", "Bakery"), e.seed.Password)
	week := nextWeek().Format("2006-01-02")
	e.do(mgr, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, deptID, week)),
		waitFor(`document.querySelector("table.week") !== null && document.getElementById("conn").dataset.state === "live"`),
		waitFor(`document.getElementById("week-acks").textContent.includes("publish the week")`))
	cell := fmt.Sprintf(`[...document.querySelectorAll("td.cell")].find((td) => td.closest("tr").querySelector("th").textContent.startsWith(%q))`, empName)
	e.do(mgr, "create a draft", chromedp.Evaluate[chromedp.Void](cell+`.focus()`),
		chromedp.KeyEvent("\r"), waitFor(`document.querySelector("dialog[open]") !== null`),
		chromedp.SetValue(chromedp.CSS(`dialog input[name=position]`), "Ovens"),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.querySelector("dialog[open]") === null && document.querySelector("table.week .shift.draft") !== null`))
	e.do(mgr, "publish", chromedp.Click(chromedp.CSS(`#publish`)), waitFor(`document.querySelector("#publish-summary li") !== null`),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		waitFor(`document.querySelector("dialog[open]") === null && document.querySelector("table.week .shift.draft") === null`))
	row := fmt.Sprintf(`document.querySelector("#week-acks li[data-user-id='%d'] [data-status]")`, empID)
	e.do(mgr, "the person is asked", waitFor(row+` !== null`))

	e.do(emp, "the banner arrives live", waitFor(`document.querySelector("#schedule-ack button.ack-schedule") !== null`))
	e.do(mgr, "the manager sees it seen", waitFor(row+`.dataset.status === "seen"`))
	e.shot(emp, "employee-home-schedule-ack-360")
	e.do(emp, "I've seen my schedule", chromedp.Click(chromedp.CSS(`#schedule-ack button.ack-schedule`)),
		waitFor(`document.querySelector("#schedule-ack button.ack-schedule") === null`))
	e.do(mgr, "the manager sees it acknowledged", waitFor(row+`.dataset.status === "acknowledged"`))
	e.shot(mgr, "week-builder-acknowledged")
}
