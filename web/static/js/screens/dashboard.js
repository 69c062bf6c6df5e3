// Manager dashboard: the live floor, late/no-show alerts as they happen,
// coverage by hour against the schedule (hand-drawn SVG), open shifts and
// pending time-off and swap requests.
import { h, mount, field, alertBox, toast, fmtTime, fmtDay, addDays, today, startOf, zoneHint, paintDept, swapShift, weekStart, ymd } from "../ui.js";
import { composer, ackPanel } from "../comms.js";

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, ...kids) => { const el = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); kids.forEach((c) => el.append(c)); return el; };

export async function render(main, ctx) {
  const { api, me } = ctx;
  const depts = ctx.departments.filter((d) => me.role === "admin" || me.department_ids.includes(d.id));
  const alerts = h("ul.list", { id: "alerts", "aria-live": "polite" });
  const s = {
    floor: h("section.card", { id: "floor", "aria-labelledby": "h-floor" }),
    alerts: h("section.card", { "aria-labelledby": "h-alerts" }, h("h2", { id: "h-alerts" }, "Alerts"), alerts),
    coverage: h("section.card.span-2", { id: "coverage", "aria-labelledby": "h-cov" }),
    open: h("section.card", { id: "open", "aria-labelledby": "h-open" }),
    timeoff: h("section.card", { id: "pending-timeoff", "aria-labelledby": "h-to" }),
    swaps: h("section.card", { id: "pending-swaps", "aria-labelledby": "h-sw" }),
    announce: h("section.card", { id: "announce", "aria-labelledby": "h-announce" }),
    acks: h("section.card", { id: "dashboard-acks" }),
  };
  mount(main, h("div.stack", h("h1", "Today on the floor"), zoneHint(), h("div.grid", Object.values(s))));
  let todayShifts = [], live = null;
  const name = (id) => { const p = ctx.peopleById && ctx.peopleById.get(id); return p ? `${p.first_name} ${p.last_name}` : `#${id}`; };
  ctx.peopleById = ctx.peopleById || new Map();
  api.all("/employees").then((list) => { list.forEach((p) => ctx.peopleById.set(p.id, p)); drawFloor(); }).catch(() => {});

  async function loadShifts() {
    const from = startOf(today()), to = startOf(addDays(today(), 1));
    try {
      const lists = await Promise.all(depts.map((d) => api.get("/shifts" + api.qs({ department_id: d.id, from: from.toISOString(), to: startOf(addDays(today(), 7)).toISOString() }))));
      const all = lists.flatMap((p) => p.items || []);
      todayShifts = all.filter((x) => new Date(x.starts_at) >= from && new Date(x.starts_at) < to && x.status === "published");
      drawFloor();
      const open = all.filter((x) => x.employee_id === null && x.status === "published");
      mount(s.open, h("h2", { id: "h-open" }, "Open shifts"), open.length ? h("ul.list", open.map((x) => {
        const claims = h("div.row");
        api.get(`/shifts/${x.id}/claims`).then((r) => mount(claims, (r.items || []).filter((c) => c.status === "pending").map((c) => h("span.row",
          h("span.small", `${name(c.employee_id)} wants it`),
          decide(`/shifts/${x.id}/claims/${c.id}/approve`, "Approve", loadShifts), decide(`/shifts/${x.id}/claims/${c.id}/deny`, "Deny", loadShifts))))).catch(() => {});
        return h("li", h("span", `${fmtDay(x.starts_at)} ${fmtTime(x.starts_at)}–${fmtTime(x.ends_at)}${x.position ? " · " + x.position : ""}`), h("span.badge.warn", "unfilled"), claims);
      })) : h("p.empty", "Every shift this week has someone."));
    } catch (err) {
      mount(s.open, h("h2", { id: "h-open" }, "Open shifts"), alertBox("error", err.message));
    }
    drawCoverage();
  }

  async function loadLive() {
    try {
      live = await api.get("/attendance/live");
      drawFloor();
    } catch (err) {
      live = null;
      mount(s.floor, h("h2", { id: "h-floor" }, "Live floor"), alertBox("error", err.message));
    }
    drawCoverage();
  }

  // One row per person with today's shift times and where they stand:
  // in, on break, not arrived (their shift started more than the grace
  // period ago: /attendance/live "late"), due (started, within the grace
  // period) or later today.
  const RANK = ["on_floor", "on_break", "late", "not_arrived"];
  const GROUPS = ["in", "on break", "not arrived", "due now", "later today"];
  // standing is [group, badge text, badge class] of a person.
  function standing(p, now) {
    const x = p.entry;
    if (p.key === "on_floor") return ["in", "in", "ok"];
    if (p.key === "on_break") return ["on break", "on break", "info"];
    if (p.key === "late") return ["not arrived", `not arrived · ${x.late_minutes} min late`, "danger"];
    return new Date(x.starts_at).getTime() > now ? ["later today", `starts ${fmtTime(x.starts_at)}`, ""] : ["due now", "due now", "warn"];
  }
  function drawFloor() {
    if (!live) return;
    const now = Date.now();
    const people = new Map();
    for (const d of live.departments || []) for (const key of RANK) for (const x of d[key] || []) {
      let p = people.get(x.employee_id);
      if (!p) { p = { id: x.employee_id, name: x.employee_name || name(x.employee_id), dept: d.department_id, key, entry: x, shifts: new Map() }; people.set(x.employee_id, p); }
      else if (RANK.indexOf(key) < RANK.indexOf(p.key)) Object.assign(p, { key, entry: x, dept: d.department_id });
      if (x.starts_at) p.shifts.set(x.shift_id ?? x.starts_at, x);
    }
    for (const x of todayShifts) if (people.has(x.employee_id)) people.get(x.employee_id).shifts.set(x.id, x);
    const rows = [...people.values()].map((p) => ({ ...p, times: [...p.shifts.values()].sort((a, b) => a.starts_at.localeCompare(b.starts_at)), st: standing(p, now) }))
      .sort((a, b) => RANK.indexOf(a.key) - RANK.indexOf(b.key) || (a.times[0]?.starts_at || "").localeCompare(b.times[0]?.starts_at || ""));
    const counts = GROUPS.map((g) => `${rows.filter((r) => r.st[0] === g).length} ${g}`).join(" · ");
    mount(s.floor, h("h2", { id: "h-floor" }, "Live floor"), h("p.small.muted", counts),
      rows.length ? h("div.floor", rows.map((r) => h("div.person", { dataset: { employeeId: r.id, state: r.key } }, paintDept(h("span.dot", { class: `dept-c${r.dept % 6}` }), r.dept),
        h("div.who", h("div", r.name), h("div.small.muted.times", r.times.flatMap((x, i) => [i ? ", " : null, h("span", `${fmtTime(x.starts_at)}–${fmtTime(x.ends_at)}`)]))),
        h(`span.badge${r.st[2] ? "." + r.st[2] : ""}`, r.st[1])))) : h("p.empty", "Nobody is scheduled today."));
  }

  // Coverage by hour: scheduled (grey) against present (green), from
  // /attendance/live; before that lands, scheduled only, from the shifts.
  function drawCoverage() {
    const W = 480, H = 170, top = 10, bottom = 20, left = 24;
    let hours;
    if (live && live.departments && live.departments.length) {
      const byStart = new Map();
      for (const d of live.departments) for (const c of d.coverage || []) {
        const x = byStart.get(c.start) || { start: c.start, scheduled: 0, present: null };
        x.scheduled += c.scheduled;
        if (c.present !== null && c.present !== undefined) x.present = (x.present || 0) + c.present;
        byStart.set(c.start, x);
      }
      hours = [...byStart.values()].sort((a, b) => a.start.localeCompare(b.start));
    } else {
      // The store's day has 23 or 25 hours on DST days.
      const day = startOf(today()), n = Math.round((startOf(addDays(today(), 1)) - day) / 3600000);
      hours = [...Array(n).keys()].map((i) => {
        const at = new Date(day.getTime() + (i + 0.5) * 3600000);
        return { start: new Date(day.getTime() + i * 3600000).toISOString(), present: null,
          scheduled: todayShifts.filter((x) => x.employee_id !== null && new Date(x.starts_at) <= at && new Date(x.ends_at) > at).length };
      });
    }
    const n = hours.length || 24;
    const max = Math.max(2, ...hours.map((x) => Math.max(x.scheduled, x.present || 0)));
    const bw = (W - left) / n, y = (v) => top + (H - top - bottom) * (1 - v / max);
    const now = Date.now();
    const nowIdx = hours.findIndex((x) => new Date(x.start).getTime() <= now && now < new Date(x.start).getTime() + 3600000);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-labelledby": "cov-desc" }, svg("desc", { id: "cov-desc" }));
    hours.forEach((x, i) => {
      chart.append(svg("rect", { class: "bar-sched", x: left + i * bw + 1, y: y(x.scheduled), width: Math.max(1, bw - 2), height: H - bottom - y(x.scheduled) }));
      if (x.present !== null) chart.append(svg("rect", { class: "bar-in", x: left + i * bw + bw / 4, y: y(x.present), width: bw / 2, height: H - bottom - y(x.present) }));
      if (i % 6 === 0) { const t = svg("text", { x: left + i * bw, y: H - 5 }); t.textContent = fmtTime(x.start); chart.append(t); }
    });
    if (nowIdx >= 0) {
      const xNow = left + (nowIdx + (now - new Date(hours[nowIdx].start).getTime()) / 3600000) * bw;
      chart.append(svg("line", { class: "now", x1: xNow, x2: xNow, y1: top, y2: H - bottom }));
    }
    const tMax = svg("text", { x: 0, y: y(max) + 8 }); tMax.textContent = String(max); chart.append(tMax);
    const cur = nowIdx >= 0 ? hours[nowIdx] : null;
    chart.querySelector("desc").textContent = `People scheduled per hour today${cur ? `; now ${cur.scheduled} scheduled, ${cur.present ?? "unknown"} present` : ""}.`;
    mount(s.coverage, h("h2", { id: "h-cov" }, "Coverage by hour"), chart,
      h("p.small.muted", cur ? `Grey: scheduled · green: clocked in (${cur.present ?? 0} of ${cur.scheduled} this hour).` : "Grey: scheduled · green: clocked in."));
  }

  async function loadTimeOff() {
    const head = h("h2", { id: "h-to" }, "Time-off requests");
    try {
      const page = await api.get("/time-off" + api.qs({ status: "pending" }));
      const items = (page.items || []).filter((t) => t.status === "pending");
      mount(s.timeoff, head, items.length ? h("ul.list", items.map((t) => h("li", h("span", `${name(t.employee_id)}: ${t.starts_on} → ${t.ends_on}${t.reason ? " · " + t.reason : ""}`),
        h("div.row", decide(`/time-off/${t.id}/approve`, "Approve", loadTimeOff, (d) => coverShifts(t, d.colliding_shifts || [])),
          decide(`/time-off/${t.id}/deny`, "Deny", loadTimeOff))))) : h("p.empty", "Nothing waiting."), cover);
    } catch (err) { mount(s.timeoff, head, alertBox("error", err.message), cover); }
  }

  // Approved time off that collides with published shifts: per shift, make
  // it open, hand it to a candidate, or keep it with the person. The list
  // stays until every shift is settled.
  const cover = h("div", { id: "cover-shifts" });
  function coverShifts(t, list) {
    if (!list.length) return;
    const items = h("ul.list");
    mount(cover, h("div.alert.warn", { role: "status" }, `${name(t.employee_id)} has ${list.length} published shift${list.length === 1 ? "" : "s"} during this time off. Decide what happens to each:`), items);
    const settle = (li, msg) => { li.remove(); toast(msg); if (!items.children.length) mount(cover, alertBox("ok", "Every shift in that time off is settled.")); };
    for (const x of list) {
      const when = `${fmtDay(x.starts_at)} ${fmtTime(x.starts_at)}–${fmtTime(x.ends_at)}${x.position ? " · " + x.position : ""}`;
      const msg = h("div.field-error", { role: "alert", hidden: true });
      const pick = field("Give to", { name: "candidate" }, "select", [["", "Loading…"]]);
      const li = h("li", { dataset: { shiftId: x.id } }, h("span", when), pick, h("div.row",
        h("button", { type: "button", onclick: () => reassign(x, null, li, msg, `${when} is now open.`) }, "Make open"),
        h("button.primary", { type: "button", "data-action": "assign", onclick: () => {
          const id = Number(pick.input.value);
          if (!id) { msg.textContent = "Pick someone first."; msg.hidden = false; return; }
          reassign(x, id, li, msg, `${when} given to ${pick.input.selectedOptions[0].textContent}.`);
        } }, "Assign"),
        h("button", { type: "button", onclick: () => settle(li, `${when} stays with ${name(t.employee_id)}.`) }, "Keep")), msg);
      items.append(li);
      api.get(`/shifts/${x.id}/candidates`).then((r) => {
        const c = r.items || [];
        mount(pick.input, c.length ? [h("option", { value: "" }, "Choose a person"), ...c.map((p) => h("option", { value: p.employee_id }, `${p.first_name} ${p.last_name}`))]
          : h("option", { value: "" }, "Nobody is free then"));
      }).catch((err) => mount(pick.input, h("option", { value: "" }, err.message)));
    }
    async function reassign(x, empId, li, msg, done) {
      try {
        await api.patch(`/shifts/${x.id}`, { employee_id: empId }, { ifMatch: x.version });
        settle(li, done); loadShifts();
      } catch (err) { msg.textContent = err.message; msg.hidden = false; }
    }
  }

  async function loadSwaps() {
    const head = h("h2", { id: "h-sw" }, "Swap requests");
    try {
      const page = await api.get("/swap-requests" + api.qs({ status: "accepted" }));
      const items = page.items || [];
      mount(s.swaps, head, items.length ? h("ul.list", items.map((r) => h("li", h("span", `${swapShift(r)}: ${r.from_name} → ${r.to_name} `, h("span.badge", r.status)),
        h("div.row", decide(`/swap-requests/${r.id}/approve`, "Approve", loadSwaps), decide(`/swap-requests/${r.id}/deny`, "Deny", loadSwaps))))) : h("p.empty", "Nothing waiting."));
    } catch (err) { mount(s.swaps, head, alertBox("error", err.message)); }
  }

  function decide(path, label, then, after) {
    return h("button", { type: "button", class: label === "Approve" ? "primary" : "", onclick: async () => {
      try { const d = await api.post(path); toast(`${label}d.`); then(); if (after) after(d); } catch (err) { toast(err.message); }
    } }, label);
  }

  // Alerts: today's, from GET /attendance/alerts, then live. One row per
  // shift: a no-show replaces the late alert of the same shift.
  function addAlert(kind, d, at, quiet) {
    const key = String(d.shift_id ?? `${d.employee_id}-${d.starts_at}`);
    const old = alerts.querySelector(`li[data-shift="${CSS.escape(key)}"]`);
    if (old && old.dataset.kind === "no_show" && kind === "late") return;
    alerts.querySelector("#no-alerts")?.remove();
    const li = h("li", { dataset: { shift: key, kind } },
      h("span", `${d.employee_name || name(d.employee_id)} — ${kind === "no_show" ? "no-show" : `late ${d.late_minutes || ""} min`} (shift ${fmtTime(d.starts_at)})`),
      h(`span.badge.${kind === "no_show" ? "danger" : "warn"}`, fmtTime(at)));
    if (old) old.replaceWith(li); else alerts.prepend(li);
    if (!quiet) toast(li.textContent);
  }
  async function loadAlerts() {
    try {
      const res = await api.get("/attendance/alerts");
      alerts.querySelectorAll("li:not([data-kind])").forEach((li) => li.remove()); // keeps alerts heard live meanwhile
      for (const a of res.items || []) addAlert(a.kind, a, a.at, true);
      if (!alerts.children.length) mount(alerts, h("li.empty", { id: "no-alerts" }, "No late arrivals so far."));
    } catch (err) { mount(alerts, h("li", alertBox("error", err.message))); }
  }
  mount(alerts, h("li.empty", { id: "no-alerts" }, "No late arrivals so far."));
  // Who has seen this week's and next week's schedule, per person, live.
  const thisWeek = weekStart(today(), (ctx.store && ctx.store.week_starts_on) || 0);
  const ackEls = [h("div", { id: "acks-this-week" }), h("div", { id: "acks-next-week" })];
  mount(s.acks, h("h2", "Schedules seen"), depts.length ? ackEls : h("p.empty", "No departments."));
  const offs = [
    composer(ctx, s.announce),
    ...(depts.length ? [ackPanel(ctx, ackEls[0], depts[0].id, ymd(thisWeek)), ackPanel(ctx, ackEls[1], depts[0].id, ymd(addDays(thisWeek, 7)))] : []),
    ctx.live.on("attendance.late", (d) => { addAlert("late", d, new Date()); loadLive(); }),
    ctx.live.on("attendance.no_show", (d) => { addAlert("no_show", d, new Date()); loadLive(); }),
    ...["attendance.clock_in", "attendance.clock_out", "attendance.break_start", "attendance.break_end"].map((t) => ctx.live.on(t, loadLive)),
    ...["schedule.published", "shift.created", "shift.updated", "shift.deleted", "openshift.claimed", "openshift.decided"].map((t) => ctx.live.on(t, loadShifts)),
    ctx.live.on("timeoff.requested", loadTimeOff), ctx.live.on("timeoff.decided", loadTimeOff),
    ctx.live.on("swap.requested", loadSwaps), ctx.live.on("swap.decided", loadSwaps),
    ctx.live.onReset(() => { loadShifts(); loadLive(); loadAlerts(); loadTimeOff(); loadSwaps(); }),
  ];
  const tick = setInterval(loadLive, 60000);
  loadShifts(); loadLive(); loadAlerts(); loadTimeOff(); loadSwaps();
  return { unmount: () => { offs.forEach((f) => f()); clearInterval(tick); } };
}
