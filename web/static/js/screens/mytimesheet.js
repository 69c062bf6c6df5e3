// My timesheet (everyone with punches; phone first): the pay period's
// punches with hours, overtime and pay, and a "Something's wrong" flag on
// each punch that tells the person's managers.
import { h, mount, field, alertBox, toast, ymd, parseYMD, addDays, fmtTime, fmtDay, fmtDate, fmtMoney, fmtMinutes } from "../ui.js";

export async function render(main, ctx) {
  const { api } = ctx;
  let periodStart = new URLSearchParams(location.search).get("period") || "";
  let data = null, days = 14;
  try { days = (await api.get("/labor/settings")).pay_period_kind === "weekly" ? 7 : 14; } catch { /* the default */ }
  const title = h("h1", "My timesheet");
  const body = h("div.stack", { id: "my-ts" });
  const msg = h("div", { "aria-live": "assertive" });
  mount(main, h("div.stack", title,
    h("div.row", h("button", { type: "button", "aria-label": "Previous pay period", onclick: () => go(-days) }, "←"),
      h("button", { type: "button", "aria-label": "Next pay period", onclick: () => go(days) }, "→")), msg, body));

  function go(delta) { if (data) { periodStart = ymd(addDays(parseYMD(data.period.starts_on), delta)); load(); } }

  async function load() {
    try {
      data = await api.get("/me/timesheet" + api.qs({ period_start: periodStart }));
      periodStart = data.period.starts_on;
      draw();
    } catch (err) { mount(msg, alertBox("error", err.message)); }
  }

  function draw() {
    const p = data.period, t = data.items[0];
    const money = (c) => fmtMoney(c, data.currency);
    title.textContent = `My timesheet · ${fmtDate(parseYMD(p.starts_on), { month: "short", day: "numeric" })} – ${fmtDate(parseYMD(p.ends_on), { month: "short", day: "numeric" })}`;
    if (!t) { mount(body, h("p.empty", "No punches in this period.")); return; }
    mount(body,
      h("section.card", h("p", h("strong", { id: "my-ts-pay" }, money(t.cost_cents)), ` · ${fmtMinutes(t.regular_minutes)} regular · ${fmtMinutes(t.overtime_minutes)} overtime `,
        t.approved ? h("span.badge.ok", "Approved") : h("span.badge", "Not approved yet"), p.status === "locked" ? h("span.badge.info", " Locked") : null)),
      h("ul.list", { id: "my-punches" }, t.punches.map((pu) => h("li.card", { dataset: { recordId: pu.record_id } },
        h("div", h("strong", `${fmtDay(pu.clock_in_at)} ${fmtTime(pu.clock_in_at)}–${pu.clock_out_at ? fmtTime(pu.clock_out_at) : "now"}`),
          h("div.small", `${fmtMinutes(pu.worked_minutes)} worked${pu.break_minutes ? ` · ${pu.break_minutes} min break` : ""}${pu.overtime_minutes ? ` · ${fmtMinutes(pu.overtime_minutes)} overtime` : ""} · ${money(pu.cost_cents)}`),
          pu.flags.map((f) => h("div.alert.warn", `You flagged: ${f.comment}`))),
        h("button.flag", { type: "button", onclick: () => flag(pu) }, "Something's wrong")))));
  }

  function flag(pu) {
    const dlg = h("dialog", { "aria-labelledby": "flag-title" });
    const comment = field("What is wrong with this punch?", { name: "comment", required: true, maxlength: 500 }, "textarea");
    const form = h("form.stack", { method: "dialog" }, h("h2", { id: "flag-title" }, `${fmtDay(pu.clock_in_at)} ${fmtTime(pu.clock_in_at)}`), comment,
      h("div.row", h("button.primary", { type: "submit" }, "Tell my manager"), h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api.post(`/attendance/${pu.record_id}/flags`, { comment: comment.input.value }, { idempotencyKey: api.newKey() }); dlg.close(); toast("Your manager has been told."); await load(); }
      catch (err) { comment.setError(err.fields.comment || err.message); }
    });
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  await load();
}
