package web_test

// Browser tests: the real app (embedded SQLite and in-process Redis, demo
// data) served on a free port, driven by headless Chromium from Debian
// (web/install-tools.sh installs it). With CI=true a missing Chromium fails
// the tests instead of skipping them.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/internal/app"
	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/demo"
	"github.com/crumbcommander/crumb/internal/testutil"
)

const chromiumPath = "/usr/bin/chromium"

// artifacts is where screenshots go (gitignored; CI keeps them).
var artifacts = filepath.Join("..", "test-artifacts")

type env struct {
	t       *testing.T
	base    string
	app     *app.App
	seed    *demo.Result
	browser context.Context
}

func needChromium(t *testing.T) {
	t.Helper()
	testutil.LookTool(t, chromiumPath)
}

// newEnv starts the app with demo data and a headless browser (started
// with browserOpts too, e.g. chromedp.Env("TZ=...")).
func newEnv(t *testing.T, browserOpts ...chromedp.ExecAllocatorOption) *env {
	t.Helper()
	needChromium(t)
	// The socket checks Origin against CRUMB_BASE_URL, so the app must know
	// its address before it starts: take a free port, then let go of it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostPort := ln.Addr().String()
	ln.Close()
	vars := map[string]string{
		"CRUMB_DATA_DIR": t.TempDir(), "CRUMB_ADDR": hostPort, "CRUMB_BASE_URL": "http://" + hostPort,
		"CRUMB_DEMO": "off", "CRUMB_LOG_LEVEL": "warn",
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	seed, err := demo.Seed(ctx, a.People, demo.NewPassword())
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, true, func(s string) { addr <- s }) }()
	var base string
	select {
	case s := <-addr:
		base = "http://" + s
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900)}, browserOpts...)...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		stop()
		<-done
		a.Close()
	})
	return &env{t: t, base: base, app: a, seed: seed, browser: browser}
}

// withDemoShifts adds the demo schedule (this week published, next week
// drafts) for screens that look better full.
func (e *env) withDemoShifts() *env {
	e.t.Helper()
	if err := demo.SeedShifts(context.Background(), e.app.Roster, e.seed, time.Now()); err != nil {
		e.t.Fatalf("demo shifts: %v", err)
	}
	return e
}

// login returns the e-mail of the first demo sign-in with the role (and department, if given).
func (e *env) login(role, dept string) string {
	e.t.Helper()
	for _, l := range e.seed.Logins {
		if l.Role == role && (dept == "" || l.Department == dept) {
			return l.Email
		}
	}
	e.t.Fatalf("no demo %s in %q", role, dept)
	return ""
}

// page opens a tab in its own browser context (own cookies) with the viewport.
func (e *env) page(w, h int64) context.Context {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	e.t.Cleanup(cancel)
	var opts []chromedp.EmulateViewportOption
	if w < 600 { // a phone: mobile metrics, touch, overlay scrollbars
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h, opts...)); err != nil {
		e.t.Fatal(err)
	}
	return ctx
}

// do runs steps with a timeout and fails the test with the step error.
func (e *env) do(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		e.screenshot(ctx, artifacts, "failed-"+strings.ReplaceAll(e.t.Name(), "/", "_"))
		e.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](e *env, ctx context.Context, expr string) T {
	e.t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		e.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it is true.
func waitFor(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))
}

// shot saves a full-page screenshot of a journey's state as <name>.png: in
// test-artifacts/, or in docs/screenshots/ (the README's pictures) when
// CRUMB_UPDATE_SCREENSHOTS=1, so an ordinary run leaves the tree clean.
func (e *env) shot(ctx context.Context, name string) {
	e.t.Helper()
	dir := artifacts
	if os.Getenv("CRUMB_UPDATE_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "docs", "screenshots")
	}
	e.screenshot(ctx, dir, name)
}

// screenshot writes the page as dir/<name>.png; a failure to take it is
// reported, not fatal (it may be taken because a step already failed).
func (e *env) screenshot(ctx context.Context, dir, name string) {
	e.t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	}
	if err != nil {
		e.t.Errorf("screenshot %s: %v", name, err)
	}
}

func (e *env) signIn(ctx context.Context, email, password string) {
	e.t.Helper()
	e.do(ctx, "sign in as "+email,
		chromedp.Navigate(e.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		waitFor(`location.pathname !== "/login" && !!document.querySelector("#app h1") && document.getElementById("appbar").hidden === false`))
}

func TestSignIn(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	tests := []struct {
		desc, email, password, want string
	}{
		{desc: "empty form", want: "Enter the e-mail address"},
		{desc: "wrong password", email: e.login("admin", ""), password: "not-the-password", want: "do not match"},
		{desc: "unknown e-mail", email: "nobody@" + demo.EmailDomain, password: "whatever-it-is", want: "do not match"},
	}
	ctx := e.page(1280, 900)
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			e.do(ctx, "open sign-in", chromedp.Navigate(e.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)))
			if tc.email != "" {
				e.do(ctx, "type", chromedp.SendKeys(chromedp.CSS(`input[name=email]`), tc.email), chromedp.SendKeys(chromedp.CSS(`input[name=password]`), tc.password))
			}
			e.do(ctx, "submit", chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
				waitFor(fmt.Sprintf(`document.querySelector("main").textContent.includes(%q)`, tc.want)))
		})
	}
	e.shot(ctx, "signin-error")
	e.signIn(ctx, e.login("admin", ""), e.seed.Password)
	if got := eval[string](e, ctx, `location.pathname`); got != "/dashboard" {
		t.Errorf("admin lands on %s, want /dashboard", got)
	}
	e.do(ctx, "dashboard", waitFor(`document.querySelector("#coverage svg") !== null`))
	e.shot(ctx, "dashboard")
}

func TestAdminScreens(t *testing.T) {
	e := newEnv(t)
	ctx := e.page(1280, 900)
	e.signIn(ctx, e.login("admin", ""), e.seed.Password)
	for _, tab := range []string{"departments", "people", "store", "audit", "ops", "mailbox"} {
		e.do(ctx, "admin "+tab, chromedp.Navigate(e.base+"/admin?tab="+tab),
			waitFor(`document.querySelector("#admin-panel h2") !== null`))
		e.shot(ctx, "admin-"+tab)
	}
	// People: every demo person is listed with a role.
	e.do(ctx, "people", chromedp.Navigate(e.base+"/admin?tab=people"), waitFor(`document.querySelectorAll("#admin-panel tbody tr").length >= 30`))
	// Store settings save through PATCH /store with the version.
	e.do(ctx, "store settings",
		chromedp.Navigate(e.base+"/admin?tab=store"), chromedp.WaitVisible(chromedp.CSS(`input[name=min_rest_hours]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=min_rest_hours]`), "11"),
		chromedp.Click(chromedp.CSS(`#admin-panel button[type=submit]`)),
		waitFor(`document.querySelector("#admin-panel .alert.ok") !== null`))
	st, err := e.app.People.GetStore(context.Background())
	if err != nil || st.MinRestHours != 11 {
		t.Errorf("store min rest = %d, %v; want 11", st.MinRestHours, err)
	}
	// Departments: add one; it shows in the list.
	e.do(ctx, "add department",
		chromedp.Navigate(e.base+"/admin?tab=departments"), chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Seafood"),
		chromedp.Click(chromedp.CSS(`#admin-panel button[type=submit]`)),
		waitFor(`document.querySelector("#admin-panel ul").textContent.includes("Seafood")`))
	// The audit log shows that change.
	e.do(ctx, "audit", chromedp.Navigate(e.base+"/admin?tab=audit"), waitFor(`document.querySelector("#admin-panel tbody") && document.querySelector("#admin-panel tbody").textContent.includes("department")`))
	// Who by full name, and what changed from what.
	e.do(ctx, "audit names and changes", waitFor(`[...document.querySelectorAll("#admin-panel tbody tr")].some((r) =>
		r.textContent.includes("store.update") && r.textContent.includes("Alex Admin") && /min_rest_hours: \d+ → 11/.test(r.textContent))`))
	e.checkA11y(ctx, "/admin?tab=audit at 1280x900")
}

// noOverflow is true when nothing sticks out sideways.
const noOverflow = `document.documentElement.scrollWidth <= window.innerWidth`

func TestEmployeeHomeAt360(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	ctx := e.page(360, 780)
	e.signIn(ctx, e.login("employee", ""), e.seed.Password)
	if got := eval[string](e, ctx, `location.pathname`); got != "/home" {
		t.Fatalf("employee lands on %s, want /home", got)
	}
	e.do(ctx, "home sections", waitFor(`["next-shifts","clock","time-off","availability","phone"].every((id) => document.getElementById(id) && !document.getElementById(id).textContent.includes("Loading"))`))
	if !eval[bool](e, ctx, noOverflow) {
		t.Errorf("employee home overflows at 360 px: scrollWidth %v", eval[float64](e, ctx, `document.documentElement.scrollWidth`))
	}
	// Every form control has an accessible name.
	unlabeled := eval[[]string](e, ctx, `[...document.querySelectorAll("input,select,textarea,button")].filter((el) => {
		if (el.getAttribute("aria-label")) return false;
		if (el.tagName === "BUTTON") return !el.textContent.trim();
		return !(el.labels && el.labels.length);
	}).map((el) => el.outerHTML.slice(0, 80))`)
	if len(unlabeled) > 0 {
		t.Errorf("controls without a label: %v", unlabeled)
	}
	e.shot(ctx, "employee-home-360")
	// The manifest and service worker of the installable app are served.
	for _, p := range []string{"/manifest.webmanifest", "/sw.js", "/icon.svg"} {
		res, err := http.Get(e.base + p)
		if err != nil || res.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", p, err, res)
		}
		if res != nil {
			res.Body.Close()
		}
	}
}
