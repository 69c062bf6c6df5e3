// Admin: departments, people and roles, store settings, audit log, ops view
// (queues, alarms, sockets) and the dev mailbox (embedded mode).
import { h, mount, field, alertBox, toast, fmtDateTime, showFieldErrors } from "../ui.js";
import { setZone } from "../zone.js";

const TABS = [["departments", "Departments"], ["people", "People"], ["store", "Store settings"], ["audit", "Audit log"], ["ops", "Ops"], ["mailbox", "Dev mailbox"]];

export async function render(main, ctx) {
  const params = new URLSearchParams(location.search);
  let tab = TABS.some(([k]) => k === params.get("tab")) ? params.get("tab") : "departments";
  const body = h("section.card", { id: "admin-panel", role: "tabpanel" });
  const tablist = h("div.row", { role: "tablist", "aria-label": "Admin sections" });
  mount(main, h("div.stack", h("h1", "Admin"), tablist, body));
  const offs = [];
  function drawTabs() {
    mount(tablist, TABS.map(([k, label]) => h("button", { type: "button", role: "tab", id: `tab-${k}`, "aria-selected": String(k === tab), class: k === tab ? "primary" : "",
      tabindex: k === tab ? "0" : "-1", onclick: () => select(k), onkeydown: (e) => {
        const i = TABS.findIndex(([x]) => x === tab);
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") { const n = TABS[(i + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length][0]; select(n); document.getElementById(`tab-${n}`).focus(); }
      } }, label)));
    body.setAttribute("aria-labelledby", `tab-${tab}`);
  }
  async function select(k) {
    tab = k; history.replaceState({}, "", `/admin?tab=${k}`); drawTabs();
    mount(body, h("p.muted", "Loading…"));
    try { await panels[k](body, ctx, offs); } catch (err) { mount(body, alertBox("error", err.message)); }
  }
  drawTabs();
  await select(tab);
  return { unmount: () => offs.forEach((f) => f()) };
}

const panels = {
  async departments(box, ctx) {
    const { api } = ctx;
    const list = (await api.get("/departments")).items || [];
    const name = field("Name", { name: "name", required: true, maxlength: 80 });
    const color = field("Colour", { type: "color", name: "color", value: "#2563eb" });
    const msg = h("div", { "aria-live": "assertive" });
    const form = h("form.stack", h("h3", "Add a department"), h("div.form-row", name, color), msg, h("button.primary", { type: "submit" }, "Add department"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api.post("/departments", { name: name.input.value, color: color.input.value }); toast("Department added."); await ctx.refreshMe(); panels.departments(box, ctx); }
      catch (err) { showFieldErrors({ name, color }, err); mount(msg, alertBox("error", err.message)); }
    });
    mount(box, h("h2", "Departments"), h("ul.list", list.map((d) => {
      const dot = h("span.dot");
      dot.style.setProperty("--dept", d.color); // CSSOM, allowed under the CSP
      return h("li", h("span.row", dot, d.name), h("button.danger", { type: "button", "aria-label": `Delete ${d.name}`, onclick: async () => {
        if (!confirm(`Delete ${d.name}?`)) return;
        try { await api.del(`/departments/${d.id}`, { ifMatch: d.version }); await ctx.refreshMe(); panels.departments(box, ctx); }
        catch (err) { toast(err.code === "in_use" ? `${d.name} still has people or shifts.` : err.message); }
      } }, "Delete"));
    })), form);
  },

  async people(box, ctx) {
    const { api } = ctx;
    const list = await api.all("/employees");
    const deptName = (id) => (ctx.departments.find((d) => d.id === id) || {}).name || `#${id}`;
    const table = h("div.table-wrap", h("table", h("thead", h("tr", ["Name", "E-mail", "Role", "Departments", "Active", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", list.map((p) => h("tr", h("td", `${p.first_name} ${p.last_name}`), h("td", p.email), h("td", h("span.badge", p.role)),
        h("td", p.department_ids.map(deptName).join(", ")), h("td", p.active ? "yes" : "no"),
        h("td", h("button", { type: "button", "aria-label": `Edit ${p.first_name} ${p.last_name}`, onclick: () => editPerson(box, ctx, p) }, "Edit")))))));
    mount(box, h("div.row.spread", h("h2", "People and roles"), h("button.primary", { type: "button", onclick: () => editPerson(box, ctx, null) }, "Add person")), table);
  },

  async store(box, ctx) {
    const { api } = ctx;
    const st = await api.get("/store");
    const f = {
      name: field("Store name", { name: "name", value: st.name }),
      timezone: field("Time zone (IANA)", { name: "timezone", value: st.timezone, list: "tz-list" }),
      week_starts_on: field("Week starts on", { name: "week_starts_on", value: st.week_starts_on }, "select", ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"].map((d, i) => [i, d])),
      min_rest_hours: field("Minimum rest between shifts (hours)", { type: "number", min: 0, max: 24, name: "min_rest_hours", value: st.min_rest_hours }),
      reminder_hours: field("Reminder before a shift (hours)", { type: "number", min: 0, max: 168, name: "reminder_hours", value: st.reminder_hours }),
      ack_reminder_hours: field("Schedule acknowledgement reminder after (hours, 0: none)", { type: "number", min: 0, max: 168, name: "ack_reminder_hours", value: st.ack_reminder_hours }),
      late_grace_minutes: field("Late grace period (minutes)", { type: "number", min: 0, max: 120, name: "late_grace_minutes", value: st.late_grace_minutes }),
      clock_in_early_minutes: field("Clock in early by up to (minutes)", { type: "number", min: 0, max: 120, name: "clock_in_early_minutes", value: st.clock_in_early_minutes }),
      event_retention_days: field("Keep live events for (days)", { type: "number", min: 1, max: 90, name: "event_retention_days", value: st.event_retention_days }),
    };
    const claims = h("input", { type: "checkbox", id: "claims", checked: st.claims_need_approval });
    const tzs = (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []).map((z) => h("option", { value: z }));
    const msg = h("div", { "aria-live": "assertive" });
    const form = h("form.stack", h("h2", "Store settings"), msg, f.name, f.timezone, h("datalist", { id: "tz-list" }, tzs), h("div.form-row", f.week_starts_on, f.min_rest_hours, f.reminder_hours),
      h("div.form-row", f.late_grace_minutes, f.clock_in_early_minutes, f.event_retention_days, f.ack_reminder_hours), h("label.row", { for: "claims" }, claims, "Claimed open shifts need a manager's approval"),
      h("button.primary", { type: "submit" }, "Save settings"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { version: st.version, claims_need_approval: claims.checked };
      for (const [k, x] of Object.entries(f)) body[k] = x.input.type === "number" || k === "week_starts_on" ? Number(x.input.value) : x.input.value;
      try { ctx.store = await api.patch("/store", body); setZone(ctx.store.timezone); showFieldErrors(f, null); mount(msg, alertBox("ok", "Saved.")); st.version = ctx.store.version; }
      catch (err) { showFieldErrors(f, err); mount(msg, alertBox("error", err.code === "stale_version" ? "Someone else saved meanwhile; reload to see their changes." : err.message)); }
    });
    mount(box, form);
  },

  async audit(box, ctx) {
    const { api } = ctx;
    const entity = field("Entity", { name: "entity", placeholder: "shift, employee, store…" });
    // Scrolls sideways on a phone: focusable, so the keyboard can scroll it.
    const table = h("div.table-wrap", { tabindex: "0", role: "region", "aria-label": "Audit log entries" });
    let cursor = null;
    const more = h("button", { type: "button", hidden: true }, "Older entries");
    const people = new Map();
    try { for (const p of await api.all("/employees")) people.set(p.id, p); } catch (_) { /* ids instead of names */ }
    const who = (id) => { const p = people.get(id); return p ? `${p.first_name} ${p.last_name}` : `#${id}`; };
    async function load(append) {
      const page = await api.get("/audit" + api.qs({ entity: entity.input.value, cursor: append ? cursor : undefined, limit: 50 }));
      cursor = page.next_cursor; more.hidden = !cursor;
      const rows = (page.items || []).map((a) => h("tr", h("td", fmtDateTime(a.at)), h("td", a.actor_id ? who(a.actor_id) : "system"),
        h("td", a.action), h("td", `${a.entity}${a.entity_id ? " #" + a.entity_id : ""}`), h("td", changes(a.detail)), h("td.mono.small", a.ip)));
      if (!append) mount(table, h("table", h("thead", h("tr", ["When", "Who", "What", "Object", "Changes", "From"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", rows)));
      else table.querySelector("tbody").append(...rows);
    }
    entity.input.addEventListener("change", () => load(false));
    more.addEventListener("click", () => load(true));
    mount(box, h("h2", "Audit log"), entity, table, more);
    await load(false);
  },

  async ops(box, ctx, offs) {
    const { api } = ctx;
    const alarms = h("ul.list", { id: "ops-alarms" }, h("li.empty", "No alarms since this page opened."));
    const queues = h("div.table-wrap", { id: "ops-queues", tabindex: "0", role: "region", "aria-label": "Queues" });
    async function loadQueues() {
      try {
        const { items = [] } = await api.get("/admin/queues");
        mount(queues, h("table", h("thead", h("tr", ["Queue", "State", "Pending", "Active", "Scheduled", "Retry", "Failed today", "Latency"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", items.map((q) => h("tr", h("td", q.queue), h("td", h(`span.badge.${q.paused ? "warn" : "ok"}`, q.paused ? "paused" : "running")),
            h("td", q.pending), h("td", q.active), h("td", q.scheduled), h("td", q.retry), h("td", q.failed_today), h("td", `${(q.latency_seconds || 0).toFixed(1)} s`))))));
      } catch (err) { mount(queues, alertBox("error", err.message)); }
    }
    const deliveries = h("div.table-wrap", { id: "ops-deliveries", tabindex: "0", role: "region", "aria-label": "Deliveries" });
    const status = field("Status", { name: "status" }, "select", [["", "All"], ["sent", "Sent"], ["failed", "Failed"], ["suppressed", "Suppressed by preference"], ["deferred", "Waiting for quiet hours"]]);
    async function loadDeliveries() {
      try {
        const { items = [] } = await api.get("/admin/deliveries" + api.qs({ status: status.input.value, limit: 50 }));
        mount(deliveries, items.length ? h("table", h("thead", h("tr", ["When", "Person", "Message", "Channel", "Status", "Why", "Tries"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", items.map((d) => h("tr", h("td", fmtDateTime(d.updated_at)), h("td", d.name), h("td.small", `${d.kind} · ${d.ref}`), h("td", d.channel),
            h("td", h(`span.badge.${{ sent: "ok", failed: "danger", suppressed: "info", deferred: "warn" }[d.status] || "info"}`, d.status)),
            h("td.small", d.status === "deferred" && d.send_at ? `until ${fmtDateTime(d.send_at)}` : d.detail), h("td", d.attempts))))) : h("p.empty", "No deliveries yet."));
      } catch (err) { mount(deliveries, alertBox("error", err.message)); }
    }
    status.input.addEventListener("change", loadDeliveries);
    mount(box, h("h2", "Operations"), h("h3", "Queues"), queues, h("button", { type: "button", onclick: loadQueues }, "Refresh"),
      h("h3", "Deliveries"), h("p.small.muted", "Each notification per person and channel: sent, failed (retried with backoff), suppressed by the person's preferences, or waiting for their quiet hours to end."),
      status, deliveries, h("button", { type: "button", onclick: loadDeliveries }, "Refresh deliveries"),
      h("h3", "Alarms"), alarms, h("p.small.muted", "Connected sockets and more: Prometheus metrics at ", h("a", { href: "/metrics" }, "/metrics"), "."));
    offs.push(ctx.live.on("ops.alarm", (d) => {
      alarms.querySelector(".empty")?.remove();
      alarms.prepend(h("li", h("span", `${d.alarm}: ${d.reason || ""}`), h(`span.badge.${d.state === "ALARM" ? "danger" : "ok"}`, d.state)));
      loadQueues();
    }));
    await Promise.all([loadQueues(), loadDeliveries()]);
  },

  async mailbox(box, ctx) {
    const { api } = ctx;
    let page;
    try { page = await api.get("/admin/mailbox"); } catch (err) {
      mount(box, h("h2", "Dev mailbox"), err.status === 404 ? h("p.empty", "The dev mailbox exists in embedded mode (CRUMB_MAIL_DRIVER=dev).") : alertBox("error", err.message)); return;
    }
    const items = page.items || [];
    mount(box, h("h2", "Dev mailbox"), h("p.small.muted", "Mail the app would have sent, kept here because no mail server is configured."),
      items.length ? h("ul.list", items.map((m) => h("li", h("div", h("strong", m.subject), h("div.small.muted", `to ${m.to} · ${m.at ? fmtDateTime(m.at) : ""}`),
        h("details", h("summary", "Show text"), h("pre.small", m.text || "")))))) : h("p.empty", "No mail yet."));
  },
};

// changes lists what an audit entry changed: the fields whose before and
// after differ ("status: draft → published"), or the entry's other details.
function changes(detail) {
  if (!detail || typeof detail !== "object") return "";
  const show = (v) => (v === null || v === undefined || v === "" ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
  if (detail.before && detail.after && typeof detail.before === "object") {
    const keys = [...new Set([...Object.keys(detail.before), ...Object.keys(detail.after)])].filter((k) => k !== "version" && k !== "updated_at" &&
      JSON.stringify(detail.before[k]) !== JSON.stringify(detail.after[k]));
    return h("ul.changes.small", keys.map((k) => h("li", `${k}: ${show(detail.before[k])} → ${show(detail.after[k])}`)));
  }
  const keys = Object.keys(detail);
  return keys.length ? h("ul.changes.small", keys.map((k) => h("li", `${k}: ${show(detail[k])}`))) : "";
}

function editPerson(box, ctx, p) {
  const { api } = ctx;
  const dlg = h("dialog", { "aria-labelledby": "person-title" });
  const f = {
    first_name: field("First name", { name: "first_name", value: p ? p.first_name : "", required: true }),
    last_name: field("Last name", { name: "last_name", value: p ? p.last_name : "", required: true }),
    email: field("E-mail", { type: "email", name: "email", value: p ? p.email : "", required: true }),
    role: field("Role", { name: "role", value: p ? p.role : "employee" }, "select", [["employee", "Employee"], ["manager", "Manager"], ["admin", "Admin"], ["kiosk", "Kiosk"]]),
    max_hours_per_week: field("Max hours per week", { type: "number", min: 0, max: 80, name: "max_hours_per_week", value: p ? p.max_hours_per_week : 40 }),
  };
  if (!p) f.password = field("Initial password", { type: "password", name: "password", autocomplete: "new-password", required: true });
  const depts = ctx.departments.map((d) => h("label.row", { for: `pd-${d.id}` }, h("input", { type: "checkbox", id: `pd-${d.id}`, value: d.id, checked: p && p.department_ids.includes(d.id) }), d.name));
  const active = h("input", { type: "checkbox", id: "p-active", checked: p ? p.active : true });
  // Kiosk PIN and badge: sent only when a new PIN is typed (the server keeps PINs hashed).
  const kiosk = p && p.role !== "kiosk" ? {
    pin: field("New kiosk PIN (4–8 digits)", { type: "password", name: "pin", inputmode: "numeric", autocomplete: "new-password", pattern: "[0-9]*", maxlength: 8 }),
    badge: field("Badge number", { name: "badge", autocomplete: "off", maxlength: 32 }),
  } : null;
  const msg = h("div", { "aria-live": "assertive" });
  const form = h("form.stack", { method: "dialog" }, h("h2", { id: "person-title" }, p ? `Edit ${p.first_name} ${p.last_name}` : "Add person"), msg,
    h("div.form-row", f.first_name, f.last_name), f.email, h("div.form-row", f.role, f.max_hours_per_week), f.password || null,
    h("fieldset", h("legend", "Departments"), depts), h("label.row", { for: "p-active" }, active, "Active (can sign in)"),
    kiosk ? h("fieldset", h("legend", "Kiosk"), h("p.small.muted", "Set a new PIN to change it; the badge is saved with the PIN."), h("div.form-row", kiosk.pin, kiosk.badge)) : null,
    h("div.row", h("button.primary", { type: "submit" }, "Save"), h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {};
    for (const [k, x] of Object.entries(f)) body[k] = x.input.type === "number" ? Number(x.input.value) : x.input.value;
    body.department_ids = depts.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
    body.active = active.checked;
    try {
      if (kiosk && kiosk.pin.input.value) {
        const badge = kiosk.badge.input.value.trim() || undefined; // blank keeps the badge on file
        try { await api.put(`/employees/${p.id}/pin`, { pin: kiosk.pin.input.value, badge }); }
        catch (err) { showFieldErrors(kiosk, err); mount(msg, alertBox("error", err.message)); return; }
      }
      if (p) await api.patch(`/employees/${p.id}`, { ...body, version: p.version }); else await api.post("/employees", body);
      dlg.close(); toast("Saved."); panels.people(box, ctx);
    } catch (err) { showFieldErrors(f, err); mount(msg, alertBox("error", err.message)); }
  });
  dlg.append(form);
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}
