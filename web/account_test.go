package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/worker"
)

// TestMyAccount: an employee on a phone follows the e-mail footer's "My
// preferences" link, turns e-mails off (it holds after a reload), goes on to
// My account, sets a kiosk PIN (a weak one is refused next to the field)
// and changes the password.
func TestMyAccount(t *testing.T) {
	e := newEnv(t)
	// Desktop first: the phone changes the password.
	for _, size := range []struct{ w, h int64 }{{1366, 800}, {360, 740}} {
		func() {
			ctx := e.page(size.w, size.h)
			e.signIn(ctx, e.login("employee", ""), e.seed.Password)
			ready := `document.getElementById("pref-email") !== null`
			e.do(ctx, "footer link", chromedp.Navigate(e.base+worker.PreferencesPath), waitFor(ready))
			if got := eval[string](e, ctx, `document.querySelector("#app h1").textContent`); got != "My preferences" {
				t.Errorf("the footer link opens %q", got)
			}
			if size.w > 600 {
				e.do(ctx, "my account", chromedp.Navigate(e.base+"/account"), waitFor(`document.getElementById("to-preferences") !== null`))
				e.checkA11y(ctx, fmt.Sprintf("/account at %dx%d", size.w, size.h))
				return
			}
			e.do(ctx, "e-mails off", chromedp.Click(chromedp.CSS(`#pref-email`)),
				waitFor(`document.querySelector("#pref-choices .alert.ok") !== null`),
				chromedp.Reload(), waitFor(ready))
			if eval[bool](e, ctx, `document.getElementById("pref-email").checked`) {
				t.Error("e-mails are on again after a reload")
			}
			e.do(ctx, "my account", chromedp.Navigate(e.base+"/account"), waitFor(`document.getElementById("to-preferences") !== null`))
			if !eval[bool](e, ctx, noOverflow) {
				t.Error("My account overflows at 360 px")
			}
			e.do(ctx, "weak PIN", chromedp.SendKeys(chromedp.CSS(`#pin input[name=pin]`), "1234"), chromedp.Click(chromedp.CSS(`#pin button[type=submit]`)),
				waitFor(`document.querySelector("#pin .field-error:not([hidden])") && document.querySelector("#pin .field-error").textContent.includes("too easy")`))
			e.do(ctx, "good PIN", chromedp.Evaluate[chromedp.Void](`document.querySelector("#pin input[name=pin]").value = ""`), chromedp.SendKeys(chromedp.CSS(`#pin input[name=pin]`), "2580"),
				chromedp.Click(chromedp.CSS(`#pin button[type=submit]`)), waitFor(`document.querySelector("#pin .alert.ok") !== null`))
			e.do(ctx, "password", chromedp.SendKeys(chromedp.CSS(`#password input[name=current]`), e.seed.Password),
				chromedp.SendKeys(chromedp.CSS(`#password input[name=new]`), "a-new-long-password-42"),
				chromedp.Click(chromedp.CSS(`#password button[type=submit]`)), waitFor(`document.querySelector("#password .alert.ok") !== null`))
			e.checkA11y(ctx, "/account after saving at 360x740")
			e.shot(ctx, "account-phone")
		}()
	}
}
