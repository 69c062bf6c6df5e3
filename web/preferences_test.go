package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/notify"
)

// TestMyPreferences: an employee, on a desktop and on a 360 px phone, opens
// My preferences from My account, turns swap e-mails off (it holds after a
// reload), is told next to the field that quiet hours need a time and then
// sets them, is told a phone number is not in international format, adds
// a phone and verifies it with the texted code (read from the dev mailbox,
// where SMS land in embedded mode); then opens an e-mail's unsubscribe
// link signed out and unsubscribes from shift e-mails.
func TestMyPreferences(t *testing.T) {
	e := newEnv(t)
	bg := context.Background()
	for i, size := range []struct{ w, h int64 }{{1366, 800}, {360, 740}} {
		func() {
			ctx := e.page(size.w, size.h)
			var employees []string // a person per size: the choices hold between them
			for _, l := range e.seed.Logins {
				if l.Role == "employee" {
					employees = append(employees, l.Email)
				}
			}
			email := employees[i]
			e.signIn(ctx, email, e.seed.Password)
			ready := `document.getElementById("pref-swap-email") !== null`
			e.do(ctx, "from my account", chromedp.Navigate(e.base+"/account"), waitFor(`document.getElementById("to-preferences") !== null`),
				chromedp.Click(chromedp.CSS(`#to-preferences`)), waitFor(ready))
			if got := eval[string](e, ctx, `document.querySelector("#app h1").textContent`); got != "My preferences" {
				t.Fatalf("the link opens %q", got)
			}
			if size.w < 600 && !eval[bool](e, ctx, noOverflow) {
				t.Error("My preferences overflows at 360 px")
			}
			e.checkA11y(ctx, fmt.Sprintf("/preferences at %dx%d", size.w, size.h))
			e.do(ctx, "swap e-mails off", chromedp.Click(chromedp.CSS(`#pref-swap-email`)),
				waitFor(`document.querySelector("#pref-choices .alert.ok") !== null`), chromedp.Reload(), waitFor(ready))
			if eval[bool](e, ctx, `document.getElementById("pref-swap-email").checked`) || !eval[bool](e, ctx, `document.getElementById("pref-swap-push").checked`) {
				t.Error("swap e-mail choice did not hold after a reload")
			}
			e.do(ctx, "quiet hours without a start", chromedp.Evaluate[chromedp.Void](`document.querySelector("#pref-quiet input[name=start]").value = ""`),
				chromedp.Click(chromedp.CSS(`#pref-quiet button[type=submit]`)),
				waitFor(`document.querySelector("#pref-quiet .field-error:not([hidden])") !== null`))
			e.do(ctx, "quiet hours", chromedp.Evaluate[chromedp.Void](`document.querySelector("#pref-quiet input[name=start]").value = "21:30"`),
				chromedp.Click(chromedp.CSS(`#pref-quiet button[type=submit]`)),
				waitFor(`document.getElementById("quiet-state").textContent.includes("21:30")`))
			e.do(ctx, "a local number", chromedp.SendKeys(chromedp.CSS(`#phone-form input[name=phone]`), "902-555-0123"),
				chromedp.Click(chromedp.CSS(`#phone-form button[type=submit]`)),
				waitFor(`document.querySelector("#phone-form .field-error:not([hidden])") && document.querySelector("#phone-form .field-error").textContent.includes("international")`))
			phone := fmt.Sprintf("+1902555%04d", 100+i)
			e.do(ctx, "a phone", chromedp.Evaluate[chromedp.Void](`document.querySelector("#phone-form input[name=phone]").value = ""`),
				chromedp.SendKeys(chromedp.CSS(`#phone-form input[name=phone]`), phone),
				chromedp.Click(chromedp.CSS(`#phone-form button[type=submit]`)), waitFor(`document.getElementById("code-form") !== null`))
			texts, err := e.app.Fleet.Mailbox.List(bg, phone, 0, 1)
			if err != nil || len(texts) != 1 {
				t.Fatalf("texts to %s: %v %v", phone, texts, err)
			}
			_, code, _ := strings.Cut(texts[0].Text, "code: ")
			e.do(ctx, "the code", chromedp.SendKeys(chromedp.CSS(`#code-form input[name=code]`), code[:6]),
				chromedp.Click(chromedp.CSS(`#code-form button[type=submit]`)),
				waitFor(`document.querySelector("#phone-state .badge.ok") !== null`))
			if size.w < 600 && !eval[bool](e, ctx, noOverflow) {
				t.Error("My preferences overflows at 360 px after adding a phone")
			}
			e.checkA11y(ctx, fmt.Sprintf("/preferences with a phone at %dx%d", size.w, size.h))
			e.shot(ctx, fmt.Sprintf("preferences-%d", size.w))

			var uid int64
			if err := e.app.DB.QueryRowContext(bg, "SELECT id FROM users WHERE email = ?", email).Scan(&uid); err != nil {
				t.Fatal(err)
			}
			tok, err := e.app.Fleet.Notify.IssueUnsubscribe(bg, uid, notify.KindShift)
			if err != nil {
				t.Fatal(err)
			}
			out := e.page(size.w, size.h) // signed out
			e.do(out, "unsubscribe link", chromedp.Navigate(e.base+"/unsubscribe?token="+tok), waitFor(`document.getElementById("unsubscribe") !== null`),
				chromedp.Click(chromedp.CSS(`#unsubscribe`)), waitFor(`document.querySelector("#app .alert.ok") !== null`))
			e.checkA11y(out, fmt.Sprintf("/unsubscribe at %dx%d", size.w, size.h))
			p, err := e.app.Fleet.Notify.Preferences(bg, auth.Principal{UserID: uid, Role: auth.RoleEmployee})
			if err != nil || p.Choices["shift"]["email"] {
				t.Errorf("after the unsubscribe link: %+v %v", p.Choices["shift"], err)
			}
		}()
	}
}
