// Week builder: people × days for one department. Create, edit, move
// (drag, or keyboard: M picks a shift up, arrows move, Enter drops) and
// delete shifts; conflicts (409) and warnings inline; copy last week;
// publish with a summary of who will be told; print view (@media print).
// Warnings the server finds in the week (GET /schedules/warnings) show on
// the shifts after a reload too; rows of people over their weekly maximum
// are marked. After a save, move or delete, focus returns to the cell.
// The cost bar shows the week's scheduled hours and cost per day against
// the department's budget (GET /labor/week-cost), fetched again on every
// shift event and labor.cost_changed, so every manager's screen agrees.
import { ackPanel } from "../comms.js";
import { h, mount, field, alertBox, toast, ymd, parseYMD, addDays, weekStart, weekday, today, dayOf, at, startOf, wallTime, fmtTime, fmtDay, fmtDate, fmtDateTime, zoneHint, zoneNote, hoursOf, deptStyleClass, paintDept, fmtMoney, fmtMinutes, parseCents } from "../ui.js";

export async function render(main, ctx) {
  const { api, me } = ctx;
  const depts = ctx.departments.filter((d) => me.role === "admin" || me.department_ids.includes(d.id));
  if (!depts.length) { mount(main, h("p.empty", "You do not manage any department.")); return; }
  const params = new URLSearchParams(location.search);
  const startsOn = (ctx.store && ctx.store.week_starts_on) ?? 1;
  let deptId = Number(params.get("dept")) || depts[0].id;
  let week = params.get("week") ? weekStart(parseYMD(params.get("week")), startsOn) : weekStart(today(), startsOn);
  let people = [], shifts = [], timeOff = [], availability = new Map(), warningsById = new Map(), carrying = null, cost = null;
  let payRules = null;
  api.get("/labor/settings").then((r) => { payRules = r; }).catch(() => {});
  // refocus is the cell to focus after the next draw: {shiftId} (the cell
  // holding that shift) or {row, col}; without it the focused cell stays focused.
  let refocus = null;

  const deptSel = field("Department", { name: "department" }, "select", depts.map((d) => [d.id, d.name]));
  deptSel.input.value = String(deptId);
  const weekInput = field("Week of", { type: "date", name: "week", value: ymd(week) });
  const status = h("div", { "aria-live": "polite", id: "week-status" });
  const grid = h("div.table-wrap");
  const costBar = h("section.card.cost-bar.no-print", { id: "cost-bar", "aria-label": "Labor cost" });
  const title = h("h1");
  const printMeta = h("p.print-only.small", { id: "print-meta" });
  const acksEl = h("section.card.no-print", { id: "week-acks" });
  const toolbar = h("div.row.no-print",
    h("button", { type: "button", "aria-label": "Previous week", onclick: () => go(addDays(week, -7)) }, "←"),
    h("button", { type: "button", "aria-label": "Next week", onclick: () => go(addDays(week, 7)) }, "→"),
    h("button", { type: "button", onclick: copyLastWeek }, "Copy last week"),
    h("button.primary", { type: "button", id: "publish", onclick: publishDialog }, "Publish…"),
    h("button", { type: "button", onclick: () => window.print() }, "Print"));
  mount(main, h("div.stack", title, printMeta,
    h("div.form-row.no-print", deptSel, weekInput), toolbar,
    h("div.legend", h("span", h("span.shift.demo", "published")), h("span.no-print", h("span.shift.draft.demo", "draft (only managers see it)")),
      h("span.muted.no-print", "Keyboard: arrows move between cells · Enter adds or edits · M picks a shift up, Enter drops it · Delete removes")), zoneHint(),
    status, costBar, h("section.card", grid), acksEl));
  deptSel.input.addEventListener("change", () => { deptId = Number(deptSel.input.value); load(); });
  weekInput.input.addEventListener("change", () => { if (weekInput.input.value) go(weekStart(parseYMD(weekInput.input.value), startsOn)); });

  const acks = ackPanel(ctx, acksEl, deptId, ymd(week));
  function go(w) { week = w; weekInput.input.value = ymd(week); load(); }
  const days = () => [...Array(7)].map((_, i) => addDays(week, i));
  const dept = () => depts.find((d) => d.id === deptId);

  async function load() {
    history.replaceState({}, "", `/week?dept=${deptId}&week=${ymd(week)}`);
    acks.load(deptId, ymd(week));
    title.textContent = `${dept().name} · week of ${fmtDate(week, { month: "long", day: "numeric", year: "numeric" })}`;
    loadCost();
    try {
      const [emps, page] = await Promise.all([
        api.all("/employees", { department_id: deptId }),
        api.get("/shifts" + api.qs({ department_id: deptId, from: startOf(week).toISOString(), to: startOf(addDays(week, 7)).toISOString() })),
      ]);
      people = emps.filter((p) => p.active !== false && p.role !== "kiosk");
      shifts = page.items || [];
      // Approved time off and availability per person, so the manager sees
      // who can work before placing a shift (best effort: the grid works without).
      const [offs, avail, warned] = await Promise.all([
        api.all("/time-off", { status: "approved" }).catch(() => []),
        Promise.all(people.map((p) => api.get(`/employees/${p.id}/availability`).catch(() => null))),
        api.get("/schedules/warnings" + api.qs({ department_id: deptId, week_start: ymd(week) })).catch(() => null),
      ]);
      timeOff = offs;
      if (warned) warningsById = new Map(warned.items.map((x) => [x.shift_id, x.warnings]));
      availability = new Map(people.map((p, i) => [p.id, avail[i]]));
      mount(status);
      draw();
    } catch (err) {
      mount(grid, alertBox("error", err.message));
    }
  }

  // loadCost fetches the week's cost; the newest answer wins, so a burst
  // of events never leaves an older total on screen.
  let costSeq = 0;
  async function loadCost() {
    const mine = ++costSeq;
    try {
      const c = await api.get("/labor/week-cost" + api.qs({ department_id: deptId, week_start: ymd(week) }));
      if (mine !== costSeq) return;
      cost = c;
      drawCost();
    } catch (err) {
      if (mine === costSeq) mount(costBar, h("p.small.muted", `Labor cost unavailable: ${err.message}`));
    }
  }

  function drawCost() {
    if (!cost) return;
    const money = (c) => fmtMoney(c, cost.currency);
    const b = cost.budget;
    let budgetText = "No budget set", state = null;
    if (b) {
      const used = b.kind === "hours" ? cost.scheduled_minutes + cost.open_shift_minutes : cost.cost_cents;
      const limit = b.kind === "hours" ? b.minutes : b.cents;
      const left = limit - used;
      const fmt = b.kind === "hours" ? fmtMinutes : money;
      budgetText = `Budget ${fmt(limit)} · ${left >= 0 ? `${fmt(left)} left` : `over by ${fmt(-left)}`}`;
      state = cost.over_budget ? h("span.badge.danger", { id: "cost-state" }, "Over budget") : h("span.badge.ok", { id: "cost-state" }, "Within budget");
    }
    mount(costBar,
      h("div.row.spread",
        h("div.cost-totals", { role: "status", "aria-live": "polite" },
          h("strong", { id: "cost-total" }, money(cost.cost_cents)), " · ",
          h("span", { id: "cost-hours" }, `${fmtMinutes(cost.scheduled_minutes)} scheduled`),
          cost.overtime_minutes ? [" · ", h("span.badge.warn", { id: "cost-overtime" }, `${fmtMinutes(cost.overtime_minutes)} overtime`)] : null,
          cost.open_shift_minutes ? [" · ", h("span.muted", `${fmtMinutes(cost.open_shift_minutes)} open`)] : null,
          " · ", h("span", { id: "cost-budget" }, budgetText), " ", state,
          cost.sales_cents != null ? [" · ", h("span", { id: "cost-sales" }, `Sales ${money(cost.sales_cents)} · labor ${(cost.labor_basis_points / 100).toFixed(1)} %`)] : null),
        h("div.row", h("button", { type: "button", id: "budget-edit", onclick: budgetDialog }, "Budget…"),
          h("button", { type: "button", id: "sales-edit", onclick: salesDialog }, "Sales forecast…"))),
      h("ol.cost-days", cost.days.map((d) => h("li", { dataset: { date: d.date } },
        h("span.small.muted", fmtDate(parseYMD(d.date), { weekday: "short" })), " ",
        h("span.cost-day", money(d.cost_cents)), h("span.small.muted", ` ${fmtMinutes(d.scheduled_minutes)}`)))));
  }

  // salesDialog takes a forecast as CSV (date,amount), typed or pasted.
  function salesDialog() {
    const dlg = h("dialog", { "aria-labelledby": "sales-title" });
    const csv = field("Sales forecast (CSV: date,amount)", { name: "csv", rows: 8, required: true }, "textarea");
    csv.input.value = "date,amount\n" + days().map((d) => `${ymd(d)},`).join("\n");
    const msg = h("div", { "aria-live": "assertive" });
    const form = h("form.stack", { method: "dialog" }, h("h2", { id: "sales-title" }, `Sales forecast, ${dept().name}`), msg, csv,
      h("div.row", h("button.primary", { type: "submit" }, "Save forecast"), h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      // Days left without an amount are dropped, not sent as zero.
      const text = csv.input.value.split("\n").filter((l) => !/^\s*\d{4}-\d{2}-\d{2}\s*,\s*$/.test(l)).join("\n");
      try { await api.put(`/departments/${deptId}/sales`, { csv: text }); dlg.close(); toast("Forecast saved."); loadCost(); }
      catch (err) { csv.setError(err.fields && err.fields.csv); mount(msg, alertBox("error", err.message)); }
    });
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  function budgetDialog() {
    const b = cost && cost.budget;
    const dlg = h("dialog", { "aria-labelledby": "budget-title" });
    const kind = field("Budget in", { name: "kind", value: b ? b.kind : "money" }, "select", [["money", "money"], ["hours", "hours"]]);
    const amount = field("Amount (dollars or hours)", { name: "amount", inputmode: "decimal", required: true,
      value: b ? (b.kind === "hours" ? String(b.minutes / 60) : (b.cents / 100).toFixed(2)) : "" });
    const msg = h("div", { "aria-live": "assertive" });
    const form = h("form.stack", { method: "dialog" }, h("h2", { id: "budget-title" }, `Budget, ${dept().name}, week of ${ymd(week)}`),
      msg, kind, amount, h("div.row", h("button.primary", { type: "submit" }, "Save budget"), h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const v = parseCents(amount.input.value);
      if (v === null) { amount.setError("Enter an amount like 1250 or 1250.50"); return; }
      // Hours go as minutes: parseCents reads "37.5" as 3750 hundredths.
      const body = kind.input.value === "hours" ? { week_start: ymd(week), kind: "hours", minutes: Math.round(v * 60 / 100) } : { week_start: ymd(week), kind: "money", cents: v };
      try { await api.put(`/departments/${deptId}/budget`, body); dlg.close(); toast("Budget saved."); loadCost(); }
      catch (err) { amount.setError(err.fields && (err.fields.cents || err.fields.minutes)); mount(msg, alertBox("error", err.message)); }
    });
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  function cellShifts(empId, day) {
    return shifts.filter((s) => (s.employee_id ?? null) === empId && ymd(dayOf(s.starts_at)) === ymd(day))
      .sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  }

  function draw() {
    const ds = days();
    const rows = [...people.map((p) => ({ id: p.id, name: `${p.first_name} ${p.last_name}`, p })), { id: null, name: "Open shifts" }];
    const drafts = shifts.filter((s) => s.status === "draft").length;
    const table = h("table.week", { role: "grid", "aria-label": `Shifts of ${dept().name}`, "aria-rowcount": rows.length + 1 },
      h("thead", h("tr", h("th", { scope: "col" }, "Person"),
        ds.map((d) => h("th", { scope: "col" }, fmtDate(d, { weekday: "short", day: "numeric" }))))),
      h("tbody", rows.map((r, ri) => {
        const mine = shifts.filter((s) => (s.employee_id ?? null) === r.id);
        const hours = mine.reduce((t, s) => t + hoursOf(s), 0);
        const max = r.p && r.p.max_hours_per_week;
        // Over the maximum here, or with other departments' shifts (the server's max_hours warning).
        const over = r.id !== null && max && (hours > max || mine.some((s) => (warningsById.get(s.id) || []).some((w) => w.kind === "max_hours")));
        return h(over ? "tr.over-max" : "tr", h("th", { scope: "row" }, h("div", r.name),
          r.id !== null ? h("div.small.hours", `${hours.toFixed(1)} h scheduled${max ? ` / ${max} h max` : ""}`, over ? [" ", h("span.badge.danger", "Over max hours")] : null) : null),
          ds.map((d, di) => {
            // No aria-label: the row and column headers name the cell, and a
            // label would hide the shifts it shows from screen readers.
            const td = h("td.cell", { role: "gridcell", tabindex: "-1", dataset: { row: ri, col: di } },
              r.id !== null ? dayNote(r.id, d) : null,
              cellShifts(r.id, d).map((s) => shiftButton(s)),
              h("button.add.ghost.no-print", { type: "button", tabindex: "-1", "aria-label": `Add shift for ${r.name}`, onclick: () => edit(null, r.id, d) }, h("span", { "aria-hidden": "true" }, "+ "), "add"));
            td.addEventListener("keydown", (e) => cellKey(e, td, r.id, d));
            td.addEventListener("dragover", (e) => { e.preventDefault(); td.classList.add("drop"); });
            td.addEventListener("dragleave", () => td.classList.remove("drop"));
            td.addEventListener("drop", (e) => { e.preventDefault(); td.classList.remove("drop"); const id = Number(e.dataTransfer.getData("text/plain")); move(id, r.id, d); });
            return td;
          }));
      })));
    const was = document.activeElement && grid.contains(document.activeElement) ? document.activeElement.closest("td.cell") : null;
    const target = refocus || (was && { row: was.dataset.row, col: was.dataset.col });
    refocus = null;
    mount(grid, table);
    printMeta.textContent = `${(ctx.store && ctx.store.name) || ""} · ${title.textContent} · printed ${fmtDate(today(), { year: "numeric", month: "long", day: "numeric" })}`;
    const cell = target && (target.shiftId ? (grid.querySelector(`button.shift[data-shift-id="${target.shiftId}"]`) || { closest: () => null }).closest("td.cell")
      : grid.querySelector(`td[data-row="${target.row}"][data-col="${target.col}"]`));
    if (cell) focusCell(Number(cell.dataset.row), Number(cell.dataset.col));
    else grid.querySelector("td.cell").setAttribute("tabindex", "0");
    const pub = document.getElementById("publish");
    if (pub) pub.textContent = drafts ? `Publish ${drafts} draft${drafts === 1 ? "" : "s"}…` : "Publish…";
  }

  // dayNote says whether the person is off (approved time off) or, from
  // their availability, when they can work that day.
  function dayNote(empId, day) {
    const date = ymd(day);
    if (timeOff.some((t) => t.employee_id === empId && t.starts_on <= date && date <= t.ends_on)) return h("div.day-note.off", "Time off");
    const windows = availability.get(empId);
    if (!windows || !windows.length) return null;
    const today = windows.filter((w) => w.weekday === weekday(day));
    return h("div.day-note.small.muted", today.length ? "Available " + today.map((w) => `${w.start}–${w.end}`).join(", ") : "Not available");
  }

  function shiftButton(s) {
    const w = warningsById.get(s.id) || [];
    const b = h(`button.shift.${deptStyleClass(s.department_id)}${s.status === "draft" ? ".draft" : ""}`, {
      type: "button", tabindex: "-1", draggable: "true", dataset: { shiftId: s.id }, "aria-pressed": carrying === s.id ? "true" : "false",
      // The name starts with the visible text so speech input can say what it sees.
      "aria-label": `${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)}${s.position ? " " + s.position : ""}${s.status === "draft" ? " draft" : ""}${w.length ? ` ⚠ ${w.length} warnings` : ""}, ${s.status} shift` },
      h("span.when", `${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)}`), s.position ? h("span", ` ${s.position}`) : null,
      s.status === "draft" ? h("span.badge.warn", " draft") : null, w.length ? h("span.badge.danger", { title: w.map((x) => x.message).join("\n") }, `⚠ ${w.length}`) : null);
    paintDept(b, s.department_id);
    b.addEventListener("click", (e) => { e.stopPropagation(); edit(s); });
    b.addEventListener("dragstart", (e) => { e.dataTransfer.setData("text/plain", String(s.id)); });
    return b;
  }

  function focusCell(row, col) {
    const td = grid.querySelector(`td[data-row="${row}"][data-col="${col}"]`);
    if (!td) return;
    grid.querySelectorAll("td.cell").forEach((c) => c.setAttribute("tabindex", "-1"));
    td.setAttribute("tabindex", "0");
    td.focus();
  }

  function cellKey(e, td, empId, day) {
    if (e.target !== td && !e.target.classList.contains("shift")) return;
    const row = Number(td.dataset.row), col = Number(td.dataset.col);
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) { e.preventDefault(); focusCell(row + moves[e.key][0], col + moves[e.key][1]); return; }
    const first = cellShifts(empId, day)[0];
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      if (carrying) { const id = carrying; carrying = null; move(id, empId, day); }
      else if (first) edit(first);
      else edit(null, empId, day);
    } else if ((e.key === "m" || e.key === "M") && first) {
      carrying = first.id; draw(); focusCell(row, col);
      mount(status, alertBox("info", "Shift picked up: move to a cell and press Enter to drop it, Escape to cancel."));
    } else if (e.key === "Escape" && carrying) {
      carrying = null; draw(); focusCell(row, col); mount(status);
    } else if ((e.key === "Delete" || e.key === "Backspace") && first) {
      e.preventDefault(); remove(first);
    }
  }

  async function move(id, empId, day) {
    const s = shifts.find((x) => x.id === id);
    if (!s) return;
    mount(status);
    const dur = new Date(s.ends_at) - new Date(s.starts_at);
    const ns = at(day, wallTime(s.starts_at));
    try {
      const res = await api.patch(`/shifts/${s.id}`, { employee_id: empId, starts_at: ns.toISOString(), ends_at: new Date(ns.getTime() + dur).toISOString() }, { ifMatch: s.version });
      noteWarnings(res);
      refocus = { shiftId: s.id };
      await load();
    } catch (err) { showError(status, err); draw(); }
  }

  async function remove(s) {
    const td = cellOf(s.id);
    if (!confirm(`Delete the shift ${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)}?`)) { if (td) td.focus(); return; }
    try { await api.del(`/shifts/${s.id}`, { ifMatch: s.version }); toast("Shift deleted."); refocus = td && { row: td.dataset.row, col: td.dataset.col }; await load(); }
    catch (err) { showError(status, err); }
  }

  /** cellOf is the cell that shows shift id. */
  function cellOf(id) {
    const b = grid.querySelector(`button.shift[data-shift-id="${id}"]`);
    return b && b.closest("td.cell");
  }

  function noteWarnings(res) {
    const shift = res && (res.shift || res);
    const w = (res && res.warnings) || [];
    if (shift && shift.id) warningsById.set(shift.id, w);
    if (w.length) toast(`Saved with warnings: ${w.map((x) => x.message).join("; ")}`, 7000);
  }

  /** localIssues checks a draft shift against the grid before saving. */
  function localIssues(id, empId, st, en) {
    if (empId === null || !(en > st)) return [];
    const out = [];
    const mine = shifts.filter((s) => s.employee_id === empId && s.id !== id);
    for (const s of mine) {
      const a = new Date(s.starts_at), b = new Date(s.ends_at);
      if (a < en && st < b) out.push({ kind: "overlap", message: `Overlaps ${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)} on ${fmtDay(a)}` });
      else {
        const gap = Math.min(Math.abs(st - b), Math.abs(a - en)) / 3600000;
        const rest = (ctx.store && ctx.store.min_rest_hours) || 0;
        if (gap < rest) out.push({ kind: "rest", message: `Only ${gap.toFixed(1)} h rest next to ${fmtTime(s.starts_at)} on ${fmtDay(a)}` });
      }
    }
    const p = people.find((x) => x.id === empId);
    const total = mine.reduce((t, s) => t + hoursOf(s), 0) + (en - st) / 3600000;
    if (p && p.max_hours_per_week && total > p.max_hours_per_week) out.push({ kind: "max_hours", message: `${total.toFixed(1)} h this week, over ${p.max_hours_per_week} h` });
    // Overtime before saving: the store's weekly line against this grid's
    // hours (the save's own warning also counts other departments).
    const line = payRules && payRules.weekly_overtime_minutes / 60;
    if (line && total > line) out.push({ kind: "overtime", message: `${(total - Math.max(line, total - (en - st) / 3600000)).toFixed(1)} h of overtime (over ${line} h a week, paid at ${payRules.overtime_multiplier_percent} %)` });
    return out;
  }

  function edit(s, empId, day) {
    const isNew = !s;
    const base = s ? dayOf(s.starts_at) : day;
    const dlg = h("dialog", { "aria-labelledby": "shift-title" });
    const who = field("Person", { name: "employee_id" }, "select", [["", "Open shift (nobody)"], ...people.map((p) => [p.id, `${p.first_name} ${p.last_name}`])]);
    who.input.value = String((s ? s.employee_id : empId) ?? "");
    const date = field("Day", { type: "date", name: "date", value: ymd(base), required: true });
    const st = field(`Starts${zoneNote()}`, { type: "time", name: "starts_at", value: s ? wallTime(s.starts_at) : "09:00", required: true });
    const en = field(`Ends${zoneNote()}`, { type: "time", name: "ends_at", value: s ? wallTime(s.ends_at) : "17:00", required: true });
    const pos = field("Position", { name: "position", value: s ? s.position : "", maxlength: 80 });
    const notes = field("Notes", { name: "notes", value: s ? s.notes : "", maxlength: 500 }, "textarea");
    const issues = h("div", { "aria-live": "polite", id: "shift-issues" });
    const msg = h("div", { "aria-live": "assertive" });
    const times = () => {
      const d = parseYMD(date.input.value || ymd(base));
      const a = at(d, st.input.value);
      let b = at(d, en.input.value);
      if (b <= a) b = at(addDays(d, 1), en.input.value); // overnight shift
      return [a, b];
    };
    const check = () => {
      const [a, b] = times();
      const list = localIssues(s && s.id, who.input.value === "" ? null : Number(who.input.value), a, b);
      mount(issues, list.length ? h("div", { class: `alert ${list.some((x) => x.kind === "overlap") ? "error" : "warn"}` },
        h("strong", "Before saving:"), h("ul.issues", list.map((x) => h("li", x.message)))) : null);
    };
    [who, date, st, en].forEach((f) => f.input.addEventListener("change", check));
    const fields = { employee_id: who, starts_at: st, ends_at: en, position: pos, notes };
    const form = h("form.stack", { method: "dialog" },
      h("h2", { id: "shift-title" }, isNew ? "New shift" : `Edit ${s.status} shift`), msg, who, date, h("div.form-row", st, en), pos, notes, issues,
      h("div.row.spread", h("div.row", h("button.primary", { type: "submit" }, isNew ? "Create draft" : "Save"),
        h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")),
        s ? h("button.danger", { type: "button", onclick: async () => { dlg.close(); await remove(s); } }, "Delete") : null));
    // Cancel or Escape: back to the cell the dialog was opened from.
    const opener = s ? cellOf(s.id) : document.activeElement && document.activeElement.closest("td.cell");
    const from = opener && { row: Number(opener.dataset.row), col: Number(opener.dataset.col) };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      Object.values(fields).forEach((f) => f.setError(""));
      const [a, b] = times();
      const body = { employee_id: who.input.value === "" ? null : Number(who.input.value), starts_at: a.toISOString(), ends_at: b.toISOString(),
        position: pos.input.value, notes: notes.input.value };
      try {
        const res = isNew ? await api.post("/shifts", { department_id: deptId, ...body }, { idempotencyKey: api.newKey() })
          : await api.patch(`/shifts/${s.id}`, body, { ifMatch: s.version });
        noteWarnings(res);
        refocus = { shiftId: (res.shift || res).id };
        dlg.close();
        await load();
      } catch (err) {
        for (const [k, f] of Object.entries(fields)) f.setError(err.fields && err.fields[k]);
        showError(msg, err);
      }
    });
    dlg.append(form);
    dlg.addEventListener("close", () => { dlg.remove(); if (from && !grid.contains(document.activeElement)) focusCell(from.row, from.col); });
    document.body.append(dlg);
    dlg.showModal();
    check();
  }

  function showError(box, err) {
    if (err.code === "conflict" && err.conflicts.length) {
      mount(box, h("div.alert.error", { role: "alert" }, h("strong", err.message), h("ul.issues", err.conflicts.map((c) =>
        h("li", `${c.kind === "time_off" ? "Approved time off" : "Overlaps shift #" + c.shift_id}: ${c.starts_at ? fmtDateTime(c.starts_at) : ""}${c.ends_at ? " – " + fmtTime(c.ends_at) : ""}`)))));
    } else if (err.code === "stale_version") {
      mount(box, alertBox("error", "Someone else changed this shift meanwhile; the week has been reloaded.")); load();
    } else mount(box, alertBox("error", err.message));
  }

  // The copy's outcome stays on screen until the manager dismisses it: it
  // lives in its own box, which the reload and live refreshes that follow
  // (they clear #week-status) leave alone.
  const copyBox = h("div.no-print", { id: "copy-report" });
  const skipReasons = { not_in_department: "no longer in this department", inactive: "no longer active" };
  const conflictText = (c) => c.kind === "time_off" ? "overlaps approved time off" : "overlaps another shift" + (c.starts_at ? ` (${fmtDay(c.starts_at)} ${fmtTime(c.starts_at)}–${fmtTime(c.ends_at)})` : "");
  const skipText = (x) => skipReasons[x.reason] || (x.conflicts || []).map(conflictText).join("; ") || x.reason;
  const personName = (id) => { if (id == null) return "Open shift"; const p = people.find((x) => x.id === id); return p ? `${p.first_name} ${p.last_name}` : `Employee #${id}`; };
  const shiftLine = (s) => `${fmtDay(s.starts_at)} ${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)} ${personName(s.employee_id)}${s.position ? ` (${s.position})` : ""}`;

  async function copyLastWeek(e) {
    const copyButton = e && e.currentTarget;
    try {
      const res = await api.post("/schedules/copy", { department_id: deptId, from_week: ymd(addDays(week, -7)), to_week: ymd(week) }, { idempotencyKey: api.newKey() });
      const skipped = (res && res.skipped) || [];
      const created = (res && res.created) || [];
      if (!copyBox.isConnected) status.before(copyBox);
      mount(copyBox, h(`section.alert.${skipped.length ? "warn" : "ok"}`, { role: "status", "aria-labelledby": "copy-report-title" },
        h("h2", { id: "copy-report-title" }, `Copied ${created.length} shift${created.length === 1 ? "" : "s"} from last week as drafts${skipped.length ? `, skipped ${skipped.length}` : ""}`),
        created.length ? h("details", h("summary", `Created (${created.length})`), h("ul.issues", { id: "copy-created" }, created.map((s) => h("li", shiftLine(s))))) : null,
        skipped.length ? h("div", h("h3", "Skipped"), h("ul.issues", { id: "copy-skipped" }, skipped.map((x) => h("li", `${shiftLine(x)} — ${skipText(x)}`)))) : null,
        // Dismissing hands the focus back to the button that copied.
        h("button", { type: "button", onclick: () => { mount(copyBox); if (copyButton) copyButton.focus(); } }, "Dismiss")));
      await load();
    } catch (err) { showError(status, err); }
  }

  function publishDialog() {
    const drafts = shifts.filter((s) => s.status === "draft");
    const byPerson = new Map();
    for (const s of drafts) if (s.employee_id !== null) byPerson.set(s.employee_id, (byPerson.get(s.employee_id) || 0) + 1);
    const open = drafts.filter((s) => s.employee_id === null).length;
    const name = (id) => { const p = people.find((x) => x.id === id); return p ? `${p.first_name} ${p.last_name}` : `#${id}`; };
    const dlg = h("dialog", { "aria-labelledby": "pub-title" });
    const msg = h("div", { "aria-live": "assertive" });
    const ok = h("button.primary", { type: "submit", disabled: !drafts.length }, "Publish and notify");
    const form = h("form.stack", { method: "dialog" }, h("h2", { id: "pub-title" }, `Publish ${dept().name}, week of ${ymd(week)}`),
      drafts.length ? h("p", `${drafts.length} draft shift${drafts.length === 1 ? "" : "s"} become visible. ${byPerson.size} ${byPerson.size === 1 ? "person is" : "people are"} told right away (app, push and e-mail):`) : h("p.empty", "No drafts to publish this week."),
      h("ul.list", { id: "publish-summary" }, [...byPerson].map(([id, n]) => h("li", h("span", name(id)), h("span.badge", `${n} shift${n === 1 ? "" : "s"}`)))),
      open ? h("p.muted", `${open} open shift${open === 1 ? "" : "s"} will be offered to the department.`) : null,
      msg, h("div.row", ok, h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      ok.disabled = true;
      try {
        await api.post("/schedules/publish", { department_id: deptId, week_start: ymd(week) }, { idempotencyKey: api.newKey() });
        dlg.close(); toast("Week published."); await load();
      } catch (err) { ok.disabled = false; showError(msg, err); }
    });
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  const reload = (d) => { if (!d || d.department_id === undefined || d.department_id === deptId) load(); };
  const offs = ["shift.created", "shift.updated", "shift.deleted", "schedule.published", "openshift.claimed", "swap.decided"].map((t) => ctx.live.on(t, reload));
  offs.push(ctx.live.on("labor.cost_changed", (d) => { if (!d || d.department_id === deptId) loadCost(); }));
  offs.push(ctx.live.on("labor.settings_updated", () => loadCost()));
  offs.push(ctx.live.onReset(() => load()));
  await load();
  offs.push(acks);
  return { unmount: () => offs.forEach((f) => f()) };
}
