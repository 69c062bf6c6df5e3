// My account: the way to My preferences (notifications), a new password,
// and the PIN for the kiosk at the entrance.
import { h, mount, field, alertBox, showFieldErrors } from "../ui.js";

export async function render(main, ctx) {
  const { api, me } = ctx;
  const prefs = h("section.card", { id: "prefs", "aria-labelledby": "h-prefs" });
  const password = h("section.card", { id: "password", "aria-labelledby": "h-password" });
  const pin = h("section.card", { id: "pin", "aria-labelledby": "h-pin" });
  mount(main, h("div.stack", h("h1", "My account"), h("p.muted", `${me.first_name} ${me.last_name} · ${me.email}`),
    h("div.grid", prefs, password, pin)));

  // notifications live on their own screen (every e-mail links there).
  mount(prefs, h("h2", { id: "h-prefs" }, "Notifications"),
    h("p", "Choose which messages reach you in the app, by push, e-mail or SMS, and set quiet hours."),
    h("a.btn.primary", { href: "/preferences", id: "to-preferences" }, "My preferences"));

  // password
  const pf = {
    current: field("Current password", { type: "password", name: "current", autocomplete: "current-password", required: true }),
    new: field("New password", { type: "password", name: "new", autocomplete: "new-password", required: true }),
  };
  const pmsg = h("div", { "aria-live": "polite" });
  const pform = h("form.stack", pf.current, pf.new, h("button.primary", { type: "submit" }, "Change password"), pmsg);
  pform.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.post("/me/password", { current: pf.current.input.value, new: pf.new.input.value });
      pform.reset(); showFieldErrors(pf, null);
      mount(pmsg, alertBox("ok", "Password changed. Your other devices were signed out."));
    } catch (err) { showFieldErrors(pf, err); mount(pmsg, alertBox("error", err.message)); }
  });
  mount(password, h("h2", { id: "h-password" }, "Password"), pform);

  // kiosk PIN
  const kf = { pin: field("New PIN (4–8 digits)", { type: "password", name: "pin", inputmode: "numeric", autocomplete: "new-password", pattern: "[0-9]*", maxlength: 8, required: true }) };
  const kmsg = h("div", { "aria-live": "polite" });
  const kform = h("form.stack", kf.pin, h("button.primary", { type: "submit" }, "Set PIN"), kmsg);
  kform.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.put("/me/pin", { pin: kf.pin.input.value });
      kform.reset(); showFieldErrors(kf, null);
      mount(kmsg, alertBox("ok", "PIN set. Use it at the kiosk with your name or badge."));
    } catch (err) { showFieldErrors(kf, err); mount(kmsg, alertBox("error", err.message)); }
  });
  mount(pin, h("h2", { id: "h-pin" }, "Kiosk PIN"), h("p.small.muted", "You clock in at the entrance kiosk with your name and this PIN."), kform);
}
