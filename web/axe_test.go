package web_test

// Accessibility checks: axe-core (pinned in web/package.json, installed by
// web/install-tools.sh into web/node_modules) runs inside the page and the
// test fails on any serious or critical violation.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axePath is the axe-core build injected into pages.
var axePath = filepath.Join("node_modules", "axe-core", "axe.min.js")

// axeViolation is one serious or critical rule failure with the nodes it hit.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// colorScheme emulates prefers-color-scheme ("light" or "dark") in the tab.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// checkA11y injects axe-core into the page ctx shows and fails the test on
// any serious or critical violation, listing each rule and the nodes it hit.
// where names the screen, size and scheme in the failure message.
func (e *env) checkA11y(ctx context.Context, where string) {
	e.t.Helper()
	src, err := os.ReadFile(axePath)
	if err != nil {
		if os.Getenv("CI") == "true" {
			e.t.Fatalf("axe-core is missing at web/%s (run web/install-tools.sh): %v", axePath, err)
		}
		e.t.Skipf("axe-core is missing at web/%s; run web/install-tools.sh", axePath)
	}
	e.do(ctx, "inject axe-core into "+where, chromedp.Evaluate[chromedp.Void](string(src)+";0"))
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then((r) =>
		r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.html.slice(0, 100)),
		})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("axe on %s: %v", where, err)
	}
	if len(found) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range found {
		fmt.Fprintf(&b, "\n  %s (%s, %d nodes): %s", v.ID, v.Impact, len(v.Nodes), v.Help)
		for i, n := range v.Nodes {
			if i == 5 {
				fmt.Fprintf(&b, "\n    … %d more", len(v.Nodes)-5)
				break
			}
			fmt.Fprintf(&b, "\n    %s", n)
		}
	}
	e.t.Errorf("axe: %d serious or critical violations on %s:%s", len(found), where, b.String())
}

// TestAccessibility runs axe on every screen at desktop and phone size, in
// light and dark.
func TestAccessibility(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	screens := []struct{ role, dept, path, ready string }{
		{"admin", "", "/dashboard", `document.querySelector("#coverage svg") !== null`},
		{"admin", "", "/week", `document.querySelector("#app h1") !== null`},
		{"admin", "", "/reports", `document.querySelector("#app h1") !== null`},
		{"admin", "", "/admin?tab=people", `document.querySelectorAll("#admin-panel tbody tr").length > 0`},
		{"employee", "", "/home", `document.getElementById("next-shifts") && !document.getElementById("next-shifts").textContent.includes("Loading")`},
		{"employee", "Bakery", "/bakery?kind=rtu", `document.querySelectorAll("#counter .count-item").length > 0 && document.querySelector("#bk-cats button") !== null`},
		{"employee", "", "/account", `document.getElementById("to-preferences") !== null`},
		{"employee", "", "/preferences", `document.getElementById("pref-email") !== null && document.getElementById("phone-form") !== null`},
		{"kiosk", "", "/kiosk", `document.querySelector(".kiosk-body") !== null && document.querySelector(".kiosk-body").children.length > 0`},
		{"", "", "/login", `document.querySelector("form input[type=email]") !== null`},
	}
	for _, tab := range []string{"departments", "store", "audit", "ops", "mailbox"} {
		screens = append(screens, struct{ role, dept, path, ready string }{"admin", "", "/admin?tab=" + tab,
			`document.querySelector("#admin-panel") !== null && document.querySelector("#admin-panel").children.length > 0 && !document.querySelector("#admin-panel").textContent.includes("Loading")`})
	}
	for _, size := range []struct{ w, h int64 }{{1366, 800}, {360, 740}} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(fmt.Sprintf("%dx%d-%s", size.w, size.h, scheme), func(t *testing.T) {
				pages := map[string]context.Context{}
				for _, s := range screens {
					ctx, ok := pages[s.role+s.dept]
					if !ok {
						ctx = e.page(size.w, size.h)
						e.do(ctx, "color scheme", colorScheme(scheme))
						if s.role != "" { // "": the signed-out sign-in screen
							e.signIn(ctx, e.login(s.role, s.dept), e.seed.Password)
						}
						pages[s.role+s.dept] = ctx
					}
					e.do(ctx, "open "+s.path, chromedp.Navigate(e.base+s.path), waitFor(s.ready))
					e.checkA11y(ctx, fmt.Sprintf("%s at %dx%d %s", s.path, size.w, size.h, scheme))
				}
			})
		}
	}
}
