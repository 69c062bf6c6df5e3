// My preferences: per kind of message, which channels reach me (in-app,
// push, e-mail, SMS), quiet hours in the store's zone, and my phone for
// SMS (verified by a texted code). Every e-mail's footer links here.
import { h, mount, field, alertBox, showFieldErrors } from "../ui.js";

const KINDS = [
  ["shift", "New or changed shifts"], ["reminder", "Shift reminders"], ["swap", "Swap decisions"],
  ["timeoff", "Time off decisions"], ["announcement", "Announcements"], ["request", "Requests waiting for me (managers)"],
];
const CHANNELS = [["app", "In app"], ["push", "Push"], ["email", "E-mail"], ["sms", "SMS"]];

export async function render(main, ctx) {
  const { api, me } = ctx;
  const kinds = KINDS.filter(([k]) => k !== "request" || me.role !== "employee");
  const choices = h("section.card", { id: "pref-choices", "aria-labelledby": "h-choices" });
  const quiet = h("section.card", { id: "pref-quiet", "aria-labelledby": "h-quiet" });
  const phone = h("section.card", { id: "pref-phone", "aria-labelledby": "h-phone" });
  mount(main, h("div.stack", h("h1", "My preferences"), h("p.muted", h("a", { href: "/account" }, "My account"), " · what reaches you, and how."),
    h("div.grid", choices, quiet, phone)));
  let p;
  try { p = await api.get("/me/preferences"); } catch (err) { mount(choices, alertBox("error", err.message)); return; }

  // choices: one fieldset per kind, saved as soon as a box changes.
  const cmsg = h("div", { "aria-live": "polite" });
  const email = h("input", { type: "checkbox", id: "pref-email", checked: p.email_enabled });
  email.addEventListener("change", () => save({ email_enabled: email.checked }, email));
  const sets = kinds.map(([k, label]) => h("fieldset.pref-kind", { "data-kind": k }, h("legend", label),
    h("div.row.wrap", CHANNELS.map(([c, cl]) => {
      const box = h("input", { type: "checkbox", id: `pref-${k}-${c}`, checked: !!(p.choices[k] || {})[c] });
      box.addEventListener("change", () => save({ choices: { [k]: { [c]: box.checked } } }, box));
      return h("label.row", { for: box.id }, box, cl);
    }))));
  async function save(patch, box) {
    try {
      p = ctx.prefs = await api.patch("/me/preferences", patch);
      mount(cmsg, alertBox("ok", "Saved."));
    } catch (err) { box.checked = !box.checked; mount(cmsg, alertBox("error", err.message)); }
  }
  mount(choices, h("h2", { id: "h-choices" }, "What reaches me"),
    h("label.row", { for: "pref-email" }, email, "Send me e-mails at all"), ...sets,
    h("p.small.muted", "Texts go only to a verified phone. What happens in the app shows in the app either way."), cmsg);

  // quiet hours
  const qf = {
    start: field("From", { type: "time", name: "start", value: p.quiet_hours ? p.quiet_hours.start : "22:00" }),
    end: field("Until", { type: "time", name: "end", value: p.quiet_hours ? p.quiet_hours.end : "07:00" }),
  };
  const qmsg = h("div", { "aria-live": "polite" });
  const qstate = h("p.small", { id: "quiet-state" });
  const showQuiet = () => mount(qstate, p.quiet_hours ? `Quiet from ${p.quiet_hours.start} until ${p.quiet_hours.end} (${p.timezone} time).` : "No quiet hours.");
  const qform = h("form.stack", h("div.row.wrap", qf.start, qf.end),
    h("div.row.wrap", h("button.primary", { type: "submit" }, "Save quiet hours"), h("button", { type: "button", id: "quiet-off" }, "No quiet hours")), qmsg);
  async function setQuiet(v) {
    try {
      p = await api.patch("/me/preferences", { quiet_hours: v });
      showFieldErrors(qf, null); showQuiet(); mount(qmsg, alertBox("ok", "Saved."));
    } catch (err) {
      const fields = err.fields ? Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k.replace("quiet_hours.", ""), v])) : null;
      showFieldErrors(qf, fields ? { ...err, fields } : err); mount(qmsg, alertBox("error", err.message));
    }
  }
  qform.addEventListener("submit", (e) => { e.preventDefault(); setQuiet({ start: qf.start.input.value, end: qf.end.input.value }); });
  qform.querySelector("#quiet-off").addEventListener("click", () => setQuiet(null));
  showQuiet();
  mount(quiet, h("h2", { id: "h-quiet" }, "Quiet hours"),
    h("p.small.muted", "Messages that can wait arrive when quiet hours end. Reminders and changes to a shift within 12 hours still come."), qstate, qform);

  drawPhone(phone, api, () => p, (np) => { p = np; });
}

// drawPhone shows the phone: add one, enter its code, or remove it.
function drawPhone(box, api, get, set) {
  const p = get();
  const msg = h("div", { "aria-live": "polite" });
  const redraw = (np, note) => { set(np); drawPhone(box, api, get, set); if (note) mount(box.querySelector("[aria-live]"), alertBox("ok", note)); };
  const fail = (fields, err) => { showFieldErrors(fields, err); mount(msg, alertBox("error", err.message)); };
  const parts = [h("h2", { id: "h-phone" }, "Phone for SMS")];
  if (p.phone) {
    parts.push(h("p", { id: "phone-state" }, h("strong", p.phone), " ",
      h(`span.badge.${p.sms_stopped ? "danger" : p.phone_verified ? "ok" : "warn"}`, p.sms_stopped ? "replied STOP" : p.phone_verified ? "verified" : "not verified")));
    if (p.sms_stopped) parts.push(h("p.small.muted", "You replied STOP: no texts reach this number until you text START to it."));
  }
  if (p.phone && !p.phone_verified) {
    const cf = { code: field("Code we texted you", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, required: true }) };
    const cform = h("form.stack", { id: "code-form" }, cf.code, h("button.primary", { type: "submit" }, "Verify"));
    cform.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { redraw(await api.post("/me/phone/verify", { code: cf.code.input.value.trim() }), "Phone verified."); } catch (err) { fail(cf, err); }
    });
    parts.push(cform);
  }
  const pf = { phone: field(p.phone ? "Another number" : "Mobile number", { type: "tel", name: "phone", autocomplete: "tel", placeholder: "+1 902 555 0123", required: true }) };
  const pform = h("form.stack", { id: "phone-form" }, pf.phone, h("p.small.muted", "International format, starting with + and the country code. We text a code to check it."),
    h("button", { type: "submit" }, "Text me a code"));
  pform.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { redraw(await api.post("/me/phone", { phone: pf.phone.input.value }), "Code sent. Enter it above."); } catch (err) { fail(pf, err); }
  });
  parts.push(pform);
  if (p.phone) {
    const rm = h("button", { type: "button", id: "phone-remove" }, "Remove phone");
    rm.addEventListener("click", async () => { try { redraw(await api.del("/me/phone"), "Phone removed."); } catch (err) { mount(msg, alertBox("error", err.message)); } });
    parts.push(rm);
  }
  parts.push(msg);
  mount(box, ...parts);
}
