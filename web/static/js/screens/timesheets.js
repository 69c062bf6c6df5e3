// Timesheets (managers, admins; phone first): one pay period at a time, a
// card per person with regular and overtime hours, cost, open punches,
// break warnings and flags; approve a person or the whole department with
// one tap; lock the period (every sheet approved); admins reopen it with a
// reason. The punches of a person open under their card. Approvals, locks
// and flags from other screens arrive live (timesheet.*).
import { h, mount, field, alertBox, toast, ymd, parseYMD, addDays, fmtTime, fmtDay, fmtDate, fmtMoney, fmtMinutes } from "../ui.js";

export async function render(main, ctx) {
  const { api, me } = ctx;
  const admin = me.role === "admin";
  const depts = ctx.departments.filter((d) => admin || me.department_ids.includes(d.id));
  const params = new URLSearchParams(location.search);
  let periodStart = params.get("period") || "";
  let deptId = Number(params.get("dept")) || (admin ? 0 : (depts[0] && depts[0].id) || 0);
  let data = null, days = 14;
  try { days = (await api.get("/labor/settings")).pay_period_kind === "weekly" ? 7 : 14; } catch { /* the default */ }

  const deptSel = field("Department", { name: "department" }, "select", [...(admin ? [[0, "All departments"]] : []), ...depts.map((d) => [d.id, d.name])]);
  deptSel.input.value = String(deptId);
  const title = h("h1", "Timesheets");
  const summary = h("div", { id: "ts-summary", "aria-live": "polite" });
  const msg = h("div", { "aria-live": "assertive", id: "ts-msg" });
  const list = h("ul.list.timesheets", { id: "ts-list" });
  const actions = h("div.row.wrap", { id: "ts-actions" });
  mount(main, h("div.stack", title,
    h("div.row.wrap", h("button", { type: "button", "aria-label": "Previous pay period", onclick: () => go(-days) }, "←"),
      h("button", { type: "button", "aria-label": "Next pay period", onclick: () => go(days) }, "→"), deptSel),
    summary, actions, msg, list));
  deptSel.input.addEventListener("change", () => { deptId = Number(deptSel.input.value); load(); });

  function go(delta) { if (data) { periodStart = ymd(addDays(parseYMD(data.period.starts_on), delta)); load(); } }

  async function load() {
    history.replaceState({}, "", `/timesheets?period=${periodStart}&dept=${deptId}`);
    try {
      data = await api.get("/timesheets" + api.qs({ period_start: periodStart, department_id: deptId || undefined }));
      periodStart = data.period.starts_on;
      draw();
    } catch (err) { mount(msg, alertBox("error", err.message)); }
  }

  const money = (c) => fmtMoney(c, data.currency);

  function draw() {
    const p = data.period, locked = p.status === "locked";
    title.textContent = `Timesheets · ${fmtDate(parseYMD(p.starts_on), { month: "short", day: "numeric" })} – ${fmtDate(parseYMD(p.ends_on), { month: "short", day: "numeric", year: "numeric" })}`;
    const pending = data.items.filter((t) => !t.approved && t.punches.length).length;
    mount(summary, h("p", h("strong", { id: "ts-total" }, money(data.cost_cents)), ` · ${fmtMinutes(data.regular_minutes)} regular · ${fmtMinutes(data.overtime_minutes)} overtime · `,
      locked ? h("span.badge.info", { id: "ts-status" }, "Locked") : h("span.badge", { id: "ts-status" }, pending ? `${pending} to approve` : "All approved")));
    mount(actions,
      !locked && deptId ? h("button.primary", { type: "button", id: "approve-dept", onclick: () => approve({ department_id: deptId }) }, "Approve department") : null,
      !locked ? h("button", { type: "button", id: "lock-period", onclick: lock }, "Lock period") : null,
      locked && admin ? h("button.danger", { type: "button", id: "reopen-period", onclick: reopen }, "Reopen period…") : null);
    mount(list, data.items.length ? data.items.map(card) : h("li.empty", "No punches or shifts in this period."));
  }

  function card(t) {
    const locked = data.period.status === "locked";
    const badges = [
      t.approved ? h("span.badge.ok", "Approved") : h("span.badge.warn", "Not approved"),
      t.open_punches ? h("span.badge.danger", `${t.open_punches} open`) : null,
      t.break_warnings ? h("span.badge.warn", `${t.break_warnings} short break${t.break_warnings === 1 ? "" : "s"}`) : null,
      t.open_flags ? h("span.badge.danger", `${t.open_flags} flagged`) : null];
    const punches = h("ul.list.small", t.punches.map((p) => h("li", { dataset: { recordId: p.record_id } },
      h("span", `${fmtDay(p.clock_in_at)} ${fmtTime(p.clock_in_at)}–${p.clock_out_at ? fmtTime(p.clock_out_at) : "open"}`),
      h("span", ` ${fmtMinutes(p.worked_minutes)}${p.overtime_minutes ? ` (${fmtMinutes(p.overtime_minutes)} OT)` : ""} · ${money(p.cost_cents)}`),
      p.late_minutes ? h("span.badge.warn", ` late ${p.late_minutes} min`) : null,
      p.break_short ? h("span.badge.warn", " short break") : null,
      p.flags.map((f) => h("div.alert.warn", `Flagged: ${f.comment}`)))));
    return h("li.card.ts-card", { dataset: { employeeId: t.employee_id } },
      h("div.row.spread.wrap",
        h("div", h("strong", t.name), h("div.small", `${fmtMinutes(t.regular_minutes)} regular · ${fmtMinutes(t.overtime_minutes)} OT · scheduled ${fmtMinutes(t.scheduled_minutes)}`),
          h("div", h("strong.ts-cost", money(t.cost_cents)), " ", badges)),
        !locked && !t.approved && t.employee_id !== me.id ? h("button.primary.approve", { type: "button", onclick: () => approve({ employee_ids: [t.employee_id] }) }, "Approve") : null),
      h("details", h("summary", `${t.punches.length} punch${t.punches.length === 1 ? "" : "es"}`), punches));
  }

  function showConflict(err) {
    mount(msg, h("div.alert.error", { role: "alert" }, h("strong", err.message), err.conflicts.length ? h("ul.issues", err.conflicts.map((c) =>
      h("li", c.kind === "open_punch" ? `Open punch #${c.id} since ${fmtDay(c.starts_at)} ${fmtTime(c.starts_at)}` : `Not approved: ${(data.items.find((t) => t.employee_id === c.id) || { name: "#" + c.id }).name}`))) : null));
  }

  async function approve(body) {
    mount(msg);
    try { await api.post("/timesheets/approve", { period_start: data.period.starts_on, ...body }, { idempotencyKey: api.newKey() }); toast("Approved."); await load(); }
    catch (err) { showConflict(err); }
  }
  async function lock() {
    mount(msg);
    try { await api.post(`/pay-periods/${data.period.starts_on}/lock`, {}); toast("Period locked."); await load(); }
    catch (err) { showConflict(err); }
  }
  function reopen() {
    const dlg = h("dialog", { "aria-labelledby": "reopen-title" });
    const reason = field("Why reopen it?", { name: "reason", required: true, maxlength: 500 });
    const form = h("form.stack", { method: "dialog" }, h("h2", { id: "reopen-title" }, "Reopen the pay period"), reason,
      h("div.row", h("button.danger", { type: "submit" }, "Reopen"), h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api.post(`/pay-periods/${data.period.starts_on}/reopen`, { reason: reason.input.value }); dlg.close(); toast("Period reopened."); await load(); }
      catch (err) { reason.setError(err.fields.reason || err.message); }
    });
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  const offs = ["timesheet.changed", "timesheet.flagged", "attendance.corrected", "attendance.clock_out"].map((t) => ctx.live.on(t, () => load()));
  offs.push(ctx.live.onReset(() => load()));
  await load();
  return { unmount: () => offs.forEach((f) => f()) };
}
