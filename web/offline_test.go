package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// offline cuts the tab and the app's service worker off the network (the
// worker fetches on its own, so emulating the page alone is not enough).
func (e *env) offline(ctx context.Context) {
	e.t.Helper()
	targets := []context.Context{ctx}
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ti := range infos {
		if ti.Type == "service_worker" && strings.HasPrefix(ti.URL, e.base+"/") {
			sw, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID))
			e.t.Cleanup(cancel)
			targets = append(targets, sw)
		}
	}
	if len(targets) == 1 {
		e.t.Fatal("no service worker of the app is running")
	}
	for _, c := range targets {
		e.network(c, false)
	}
}

// network cuts one target (a tab or a worker) off the network, or gives
// it back (up); the page hears the browser's offline and online events.
func (e *env) network(c context.Context, up bool) {
	e.t.Helper()
	off := !up
	if _, err := chromedp.Call(c, network.Enable, network.EnableParams{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := chromedp.Call(c, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &off, MatchedNetworkConditions: []*network.Conditions{{Offline: off}}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := chromedp.Call(c, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off}); err != nil {
		e.t.Fatal(err)
	}
}

// TestEmployeeHomeOffline: after an online visit (the service worker keeps
// the app's files and the last schedule), the employee's home reloads with
// the network cut: the shell, the last schedule with its age and an
// offline indication.
func TestEmployeeHomeOffline(t *testing.T) {
	e := newEnv(t)
	emp := e.login("employee", "Bakery")
	empID, _ := e.person(emp)
	monday := nextWeek()
	res := e.apiCall(e.login("manager", "Bakery"), "POST", "/api/v1/shifts", map[string]any{"department_id": e.deptID("Bakery"), "employee_id": empID,
		"status": "published", "position": "Ovens",
		"starts_at": monday.Add(9 * time.Hour).Format(time.RFC3339), "ends_at": monday.Add(17 * time.Hour).Format(time.RFC3339)})
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("publish a shift: %d", res.StatusCode)
	}
	ctx := e.page(360, 780)
	e.signIn(ctx, emp, e.seed.Password)
	e.do(ctx, "the service worker takes the page", waitFor(`!!navigator.serviceWorker.controller`))
	// The first load ran before the worker controlled the page; a second
	// online visit goes through it and leaves the schedule in its cache.
	e.do(ctx, "online visit", chromedp.Reload(),
		waitFor(`!!navigator.serviceWorker.controller && document.querySelector("#next-shifts li[data-shift-id]") !== null`))
	online := eval[[]string](e, ctx, `[...document.querySelectorAll("#next-shifts li[data-shift-id]")].map((li) => li.dataset.shiftId)`)
	if eval[bool](e, ctx, `document.querySelector("#next-shifts .alert") !== null`) {
		t.Fatalf("online, the schedule says %q", eval[string](e, ctx, `document.querySelector("#next-shifts .alert").textContent`))
	}

	e.offline(ctx)
	// The worker answers the navigation with the cached shell and the API
	// reads with the last copies (the schedule's from/to differ from the
	// online visit's: they are taken from the clock on every load).
	e.do(ctx, "offline reload", chromedp.Reload(),
		waitFor(`document.getElementById("appbar").hidden === false && !!document.getElementById("next-shifts") && !document.getElementById("next-shifts").textContent.includes("Loading")`),
		waitFor(`document.getElementById("conn").dataset.state === "offline"`))
	e.shot(ctx, "employee-home-offline-360")
	if got := eval[string](e, ctx, `(document.querySelector("#next-shifts .alert.warn") || {}).textContent || document.getElementById("next-shifts").textContent`); !strings.HasPrefix(got, "Offline — schedule from ") {
		t.Errorf("offline, the schedule says %q; want its age (Offline — schedule from …)", got)
	}
	offline := eval[[]string](e, ctx, `[...document.querySelectorAll("#next-shifts li[data-shift-id]")].map((li) => li.dataset.shiftId)`)
	if len(online) == 0 || strings.Join(offline, ",") != strings.Join(online, ",") {
		t.Errorf("offline the home lists shifts %v, online it listed %v", offline, online)
	}
	if !eval[bool](e, ctx, `document.getElementById("next-shifts").textContent.includes("Ovens")`) {
		t.Error("the offline schedule lacks the shift's position")
	}
	if !eval[bool](e, ctx, noOverflow) {
		t.Error("the offline home overflows at 360 px")
	}
}

// Signing out forgets the offline copies: the next person on a shared
// phone must not find the previous one's schedule or profile.
func TestSignOutForgetsOfflineCopies(t *testing.T) {
	e := newEnv(t)
	ctx := e.page(360, 780)
	e.signIn(ctx, e.login("employee", "Bakery"), e.seed.Password)
	e.do(ctx, "the service worker takes the page", waitFor(`!!navigator.serviceWorker.controller`))
	keys := func() string {
		t.Helper()
		eval[bool](e, ctx, `(() => { window.__keys = undefined; caches.keys().then((k) => { window.__keys = k.join(","); }); return true })()`)
		e.do(ctx, "read the caches", waitFor(`window.__keys !== undefined`))
		return eval[string](e, ctx, `window.__keys`)
	}
	e.do(ctx, "online visit through the worker", chromedp.Reload(), waitFor(`!!navigator.serviceWorker.controller && document.getElementById("appbar").hidden === false`))
	e.do(ctx, "the profile is kept", waitFor(`(() => { caches.open("crumb-data-v2").then((c) => c.keys()).then((r) => { window.__n = r.length; }); return window.__n > 0 })()`))
	if k := keys(); !strings.Contains(k, "crumb-data") {
		t.Fatalf("nothing kept for offline use before signing out: %q", k)
	}
	e.do(ctx, "sign out", chromedp.Click(chromedp.CSS(`#signout`)), waitFor(`location.pathname === "/login"`))
	if k := keys(); strings.Contains(k, "crumb-data") {
		t.Errorf("after signing out the offline copies remain: %q", k)
	}
}
