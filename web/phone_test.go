package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// clipped lists elements whose content is wider than their box (cut off or
// hidden behind a scroll) among the top menu and the availability times.
const clipped = `[...document.querySelectorAll("#nav, #nav a, #availability input, #availability label")]
	.filter((el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > window.innerWidth)
	.map((el) => el.outerHTML.slice(0, 60) + " " + el.scrollWidth + ">" + el.clientWidth)`

// TestNothingClippedAt360: on a 360 px phone the top menu and the
// availability times show whole.
func TestNothingClippedAt360(t *testing.T) {
	for _, role := range []string{"employee", "manager"} {
		e := newEnv(t)
		ctx := e.page(360, 740)
		e.signIn(ctx, e.login(role, ""), e.seed.Password)
		e.do(ctx, "home", chromedp.Navigate(e.base+"/home"),
			waitFor(`document.getElementById("availability") && document.querySelectorAll("#availability input[type=time]").length === 14`))
		if got := eval[[]string](e, ctx, clipped); len(got) > 0 {
			t.Errorf("%s at 360 px, clipped: %v", role, got)
		}
		if role == "employee" {
			e.shot(ctx, "employee-home-phone")
		}
	}
}
