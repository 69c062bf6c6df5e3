// Wages and pay rules (admins): the store's labor settings (currency,
// overtime lines and multiplier, the unpaid-break rule, the pay period),
// and each person's hourly rates with the day they take effect. Money is
// typed in dollars and sent as integer cents.
import { h, mount, field, alertBox, toast, showFieldErrors, fmtMoney, parseCents, today, ymd } from "../ui.js";

export async function render(main, ctx) {
  const { api } = ctx;
  let set;
  try { set = await api.get("/labor/settings"); } catch (err) { mount(main, alertBox("error", err.message)); return; }
  const num = (name, label, value) => field(label, { name, type: "number", inputmode: "numeric", value: String(value), min: 0 });
  const f = {
    currency: field("Currency", { name: "currency", value: set.currency, maxlength: 3 }),
    weekly_overtime_minutes: num("weekly_overtime_minutes", "Weekly overtime after (minutes; 0 off)", set.weekly_overtime_minutes),
    daily_overtime_minutes: num("daily_overtime_minutes", "Daily overtime after (minutes; 0 off)", set.daily_overtime_minutes),
    overtime_multiplier_percent: num("overtime_multiplier_percent", "Overtime pays (percent of the rate)", set.overtime_multiplier_percent),
    break_after_minutes: num("break_after_minutes", "Unpaid break required after (minutes; 0 off)", set.break_after_minutes),
    break_minutes: num("break_minutes", "Unpaid break length (minutes)", set.break_minutes),
    pay_period_kind: field("Pay period", { name: "pay_period_kind", value: set.pay_period_kind }, "select", [["weekly", "weekly"], ["biweekly", "every two weeks"]]),
    pay_period_anchor: field("A pay period starts on", { name: "pay_period_anchor", type: "date", value: set.pay_period_anchor }),
  };
  const settingsMsg = h("div", { "aria-live": "assertive" });
  const settingsForm = h("form.stack.card", { id: "labor-settings" }, h("h2", "Pay rules"), settingsMsg, Object.values(f), h("button.primary", { type: "submit" }, "Save pay rules"));
  settingsForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { currency: f.currency.input.value.trim().toUpperCase(), pay_period_kind: f.pay_period_kind.input.value, pay_period_anchor: f.pay_period_anchor.input.value };
    for (const k of ["weekly_overtime_minutes", "daily_overtime_minutes", "overtime_multiplier_percent", "break_after_minutes", "break_minutes"]) body[k] = Number(f[k].input.value);
    try { set = await api.patch("/labor/settings", body, { ifMatch: set.version }); showFieldErrors(f, null); mount(settingsMsg); toast("Pay rules saved."); }
    catch (err) { showFieldErrors(f, err); mount(settingsMsg, alertBox("error", err.message)); }
  });

  const people = (await api.all("/employees", { active: true }).catch(() => [])).filter((p) => p.role !== "kiosk");
  const who = field("Person", { name: "employee" }, "select", people.map((p) => [p.id, `${p.first_name} ${p.last_name}`]));
  const wages = h("div", { id: "wage-list", "aria-live": "polite" });
  const rate = field("Hourly rate (dollars)", { name: "rate", inputmode: "decimal", required: true });
  const from = field("From", { name: "effective_on", type: "date", value: ymd(today()), required: true });
  const pos = field("Position (empty: every position)", { name: "position", maxlength: 80 });
  const wageMsg = h("div", { "aria-live": "assertive" });
  const wageForm = h("form.stack", { id: "wage-form" }, h("h3", "New rate"), wageMsg, h("div.form-row", rate, from), pos, h("button.primary", { type: "submit" }, "Add rate"));
  mount(main, h("div.stack", h("h1", "Wages and pay rules"), settingsForm, h("section.card.stack", h("h2", "Wages"), who, wages, wageForm)));

  async function loadWages() {
    if (!who.input.value) return;
    try {
      const wl = await api.get(`/employees/${who.input.value}/wages`);
      mount(wages, h("p.small", `Base rate ${fmtMoney(wl.base_rate_cents, wl.currency)} an hour (any day no row below covers).`),
        wl.items.length ? h("ul.list", wl.items.map((w) => h("li", { dataset: { wageId: w.id } },
          h("span", `${fmtMoney(w.rate_cents, wl.currency)} an hour from ${w.effective_on}${w.position ? ` as ${w.position}` : ""}`),
          h("button.danger", { type: "button", "aria-label": `Remove the rate from ${w.effective_on}`, onclick: async () => {
            try { await api.del(`/employees/${who.input.value}/wages/${w.id}`); await loadWages(); } catch (err) { mount(wageMsg, alertBox("error", err.message)); }
          } }, "Remove")))) : h("p.empty", "No dated rates."));
    } catch (err) { mount(wages, alertBox("error", err.message)); }
  }
  who.input.addEventListener("change", loadWages);
  wageForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const cents = parseCents(rate.input.value);
    if (cents === null) { rate.setError("Enter an amount like 17.50"); return; }
    const fields = { rate_cents: rate, effective_on: from, position: pos };
    try {
      await api.post(`/employees/${who.input.value}/wages`, { rate_cents: cents, effective_on: from.input.value, position: pos.input.value }, { idempotencyKey: api.newKey() });
      showFieldErrors(fields, null); mount(wageMsg); rate.input.value = ""; toast("Rate added."); await loadWages();
    } catch (err) { showFieldErrors(fields, err); mount(wageMsg, alertBox("error", err.message)); }
  });
  await loadWages();
}
