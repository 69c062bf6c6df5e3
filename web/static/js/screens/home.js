// Employee home, phone first: next shifts (with an instant banner when one is
// assigned or changed), clock in/out, open shifts to claim, swaps, time off,
// availability, the iCal link and push alerts. Works offline from the last
// schedule the service worker kept, showing its age.
import { h, mount, field, alertBox, toast, fmtDateTime, fmtTime, fmtDay, fmtAge, ymd, today, zoneNote, zoneHint, swapShift } from "../ui.js";
import { pushState, enablePush, disablePush } from "../push.js";
import { announcementsCard, scheduleAckBanner } from "../comms.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export async function render(main, ctx) {
  const { api, me } = ctx;
  const banner = h("div", { id: "banner", "aria-live": "assertive" });
  const ackBanner = h("div", { id: "schedule-ack" });
  const sections = {
    news: h("section.card", { id: "announcements", "aria-labelledby": "h-announcements" }),
    next: h("section.card", { id: "next-shifts", "aria-labelledby": "h-next" }),
    clock: h("section.card", { id: "clock", "aria-labelledby": "h-clock" }),
    open: h("section.card", { id: "open-shifts", "aria-labelledby": "h-open" }),
    swaps: h("section.card", { id: "swaps", "aria-labelledby": "h-swaps" }),
    timeoff: h("section.card", { id: "time-off", "aria-labelledby": "h-timeoff" }),
    avail: h("section.card", { id: "availability", "aria-labelledby": "h-avail" }),
    phone: h("section.card", { id: "phone", "aria-labelledby": "h-phone" }),
  };
  mount(main, h("div.stack",
    h("h1", `Hi ${me.first_name}`), banner, ackBanner,
    h("div.grid", Object.values(sections))));

  let myShifts = [];
  const deptName = (id) => (ctx.departments.find((d) => d.id === id) || {}).name || "";

  async function loadShifts() {
    const from = new Date(), to = new Date(from.getTime() + 21 * 86400000);
    mount(sections.next, h("h2", { id: "h-next" }, "Next shifts"), h("p.muted", "Loading…"));
    try {
      const page = await api.get("/shifts" + api.qs({ employee_id: me.id, from: from.toISOString(), to: to.toISOString() }));
      myShifts = (page.items || []).filter((s) => new Date(s.ends_at) > from).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
      const list = myShifts.length ? h("ul.list", myShifts.map((s, i) => h("li", { dataset: { shiftId: s.id } },
        h("div", { class: i === 0 ? "next-shift" : "" },
          h("div.when", `${fmtDay(s.starts_at)} · ${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)}`),
          h("div.muted.small", [deptName(s.department_id), s.position].filter(Boolean).join(" · "))),
        h("button", { type: "button", onclick: () => offerSwap(s) }, "Swap…")))) : h("p.empty", "No upcoming shifts.");
      mount(sections.next, h("h2", { id: "h-next" }, "Next shifts"), zoneHint(),
        page.cachedAt ? alertBox("warn", `Offline — schedule from ${fmtAge(page.cachedAt)}.`) : null, list);
    } catch (err) {
      mount(sections.next, h("h2", { id: "h-next" }, "Next shifts"), alertBox("error", err.message));
    }
    renderClock();
  }

  // The clock card says where the person stands (GET /attendance/me) and
  // offers only the actions that apply now.
  const CLOCK = {
    "clock-in": ["/attendance/clock-in", "Clock in"], "break-start": ["/attendance/break/start", "Start break"],
    "break-end": ["/attendance/break/end", "End break"], "clock-out": ["/attendance/clock-out", "Clock out"],
  };
  async function renderClock(note) {
    const now = Date.now();
    const current = myShifts.find((s) => new Date(s.starts_at) - now < 3600000 && new Date(s.ends_at) > now);
    const msg = h("div", { "aria-live": "polite" }, note || null);
    let st;
    try { st = await api.get("/attendance/me"); } catch (err) {
      mount(sections.clock, h("h2", { id: "h-clock" }, "Clock in / out"), alertBox("error", err.message)); return;
    }
    const where = st.state === "in" ? `Clocked in since ${fmtTime(st.since)}${zoneNote()}`
      : st.state === "break" ? `On break since ${fmtTime(st.since)}${zoneNote()}` : "Not clocked in.";
    const act = (a) => {
      const [path, label] = CLOCK[a];
      return h(a === "break-start" || a === "break-end" ? "button" : "button.primary", { type: "button", onclick: async () => {
        try {
          await api.post(path, a === "clock-in" && current ? { shift_id: current.id } : {});
          renderClock(alertBox("ok", `${label}: done.`));
        } catch (err) { mount(msg, alertBox("error", err.message)); }
      } }, label);
    };
    mount(sections.clock, h("h2", { id: "h-clock" }, "Clock in / out"),
      h("p.clock-state", { dataset: { state: st.state } }, where),
      h("p.muted", current ? `Current shift: ${fmtTime(current.starts_at)}–${fmtTime(current.ends_at)}` : "No shift right now."),
      h("div.row", st.actions.map(act)), msg);
  }

  async function loadOpen() {
    mount(sections.open, h("h2", { id: "h-open" }, "Open shifts"), h("p.muted", "Loading…"));
    const from = new Date(), to = new Date(from.getTime() + 14 * 86400000);
    try {
      const lists = await Promise.all(me.department_ids.map((d) => api.get("/shifts" + api.qs({ department_id: d, from: from.toISOString(), to: to.toISOString(), status: "published" }))));
      const open = lists.flatMap((p) => p.items || []).filter((s) => s.employee_id === null && s.status !== "draft");
      mount(sections.open, h("h2", { id: "h-open" }, "Open shifts"), open.length ? h("ul.list", open.map((s) => h("li",
        h("span", `${fmtDay(s.starts_at)} ${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)} · ${deptName(s.department_id)}`),
        h("button", { type: "button", "aria-label": `Claim shift ${fmtDateTime(s.starts_at)}`, onclick: async (e) => {
          try { await api.post(`/shifts/${s.id}/claim`); toast(ctx.store && ctx.store.claims_need_approval ? "Claim sent to your manager." : "Shift claimed."); loadOpen(); loadShifts(); }
          catch (err) { toast(err.message); }
        } }, "Claim")))) : h("p.empty", "No open shifts right now."));
    } catch (err) {
      mount(sections.open, h("h2", { id: "h-open" }, "Open shifts"), alertBox("error", err.message));
    }
  }

  async function loadSwaps() {
    const head = h("h2", { id: "h-swaps" }, "Swaps");
    try {
      const page = await api.get("/swap-requests");
      const items = page.items || [];
      const act = (r, action, label, done) => h("button", { type: "button", class: action === "accept" ? "primary" : "", onclick: async () => {
        try { await api.post(`/swap-requests/${r.id}/${action}`); toast(done); loadSwaps(); } catch (err) { toast(err.message); }
      } }, label);
      const open = (r) => r.status === "pending" || r.status === "accepted";
      mount(sections.swaps, head, items.length ? h("ul.list", items.map((r) => h("li", { dataset: { swapId: r.id } },
        h("span", `${swapShift(r)}: ${r.from_employee_id === me.id ? `you offered it to ${r.to_name}` : `${r.from_name} offers it to you`} `, h("span.badge", r.status)),
        h("div.row",
          r.status === "pending" && r.to_employee_id === me.id ? act(r, "accept", "Accept", "Swap accepted; your manager will confirm.") : null,
          open(r) && r.to_employee_id === me.id ? act(r, "deny", "Decline", "Swap declined.") : null,
          open(r) && r.from_employee_id === me.id ? act(r, "deny", "Withdraw", "Swap withdrawn.") : null)))) : h("p.empty", "No swap requests."));
    } catch (err) {
      mount(sections.swaps, head, h("p.muted.small", "Offer one of your shifts with its “Swap…” button."));
    }
  }

  // offerSwap lists whom the shift can go to (GET /shifts/{id}/candidates:
  // colleagues of the department who are free, available and without a
  // conflict then, names only for employees) and sends the chosen one's id.
  async function offerSwap(s) {
    const dlg = h("dialog", { "aria-labelledby": "swap-title" });
    const msg = h("div", { "aria-live": "polite" });
    let people = null;
    try { people = (await api.get(`/shifts/${s.id}/candidates`)).items || []; }
    catch (err) { mount(msg, alertBox("error", err.message)); }
    const to = people && people.length
      ? field("Swap with", { name: "to", required: true }, "select", people.map((p) => [p.employee_id, `${p.first_name} ${p.last_name}`]))
      : null;
    const send = h("button.primary", { type: "submit", disabled: !to }, "Send request");
    const form = h("form.stack", { method: "dialog" }, h("h2", { id: "swap-title" }, `Swap ${fmtDay(s.starts_at)} ${fmtTime(s.starts_at)}`), msg,
      to || (people ? h("p.empty", "Nobody in your department is free then.") : null),
      h("div.row", send, h("button", { type: "button", onclick: () => dlg.close() }, "Cancel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!to) return;
      try { await api.post(`/shifts/${s.id}/swap-requests`, { to_employee_id: Number(to.input.value) }); dlg.close(); toast("Swap request sent."); loadSwaps(); }
      catch (err) { mount(msg, alertBox("error", err.message)); }
    });
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  async function loadTimeOff() {
    const head = h("h2", { id: "h-timeoff" }, "Time off");
    const first = ymd(today());
    const from = field("From", { type: "date", name: "starts_on", min: first, required: true });
    const to = field("To", { type: "date", name: "ends_on", min: first, required: true });
    const reason = field("Reason (optional)", { name: "reason", maxlength: 200 });
    const msg = h("div", { "aria-live": "polite" });
    const form = h("form", h("div.form-row", from, to), reason, msg, h("button.primary", { type: "submit" }, "Request time off"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      [from, to].forEach((f) => f.setError(""));
      try {
        await api.post("/time-off", { starts_on: from.input.value, ends_on: to.input.value, reason: reason.input.value });
        mount(msg, alertBox("ok", "Request sent to your manager.")); form.reset(); loadTimeOff();
      } catch (err) {
        if (err.fields) { from.setError(err.fields.starts_on); to.setError(err.fields.ends_on); }
        mount(msg, alertBox("error", err.message));
      }
    });
    let list = null;
    try {
      const page = await api.get("/time-off" + api.qs({ employee_id: me.id }));
      const items = page.items || [];
      list = items.length ? h("ul.list", items.map((t) => h("li", h("span", `${t.starts_on} → ${t.ends_on}`),
        h("span", { class: `badge ${t.status === "approved" ? "ok" : t.status === "denied" ? "danger" : "warn"}` }, t.status)))) : null;
    } catch (_) { /* list not available yet */ }
    mount(sections.timeoff, head, list, form);
  }

  async function loadAvailability() {
    const head = h("h2", { id: "h-avail" }, "Availability");
    let rows = [];
    try {
      const got = await api.get(`/employees/${me.id}/availability`);
      rows = Array.isArray(got) ? got : (got.items || []);
    } catch (err) {
      mount(sections.avail, head, alertBox("error", err.message)); return;
    }
    const inputs = DAYS.map((name, wd) => {
      const r = rows.find((x) => x.weekday === wd);
      const on = h("input", { type: "checkbox", id: `av-on-${wd}`, checked: !!r });
      const start = h("input", { type: "time", id: `av-s-${wd}`, value: r ? r.start : "08:00", "aria-label": `${name} from` });
      const end = h("input", { type: "time", id: `av-e-${wd}`, value: r ? r.end : "17:00", "aria-label": `${name} until` });
      return { wd, on, start, end, row: h("div.avail-row", h("label.row", { for: `av-on-${wd}` }, on, name.slice(0, 3)), start, end) };
    });
    const msg = h("div", { "aria-live": "polite" });
    const save = h("button.primary", { type: "button", onclick: async () => {
      const body = inputs.filter((i) => i.on.checked).map((i) => ({ weekday: i.wd, start: i.start.value, end: i.end.value }));
      try { await api.put(`/employees/${me.id}/availability`, body); mount(msg, alertBox("ok", "Availability saved.")); }
      catch (err) { mount(msg, alertBox("error", err.message)); }
    } }, "Save availability");
    mount(sections.avail, head, h("p.small.muted", "Tick the days you can work and the hours."), h("div", inputs.map((i) => i.row)), msg, save);
  }

  async function renderPhone() {
    const head = h("h2", { id: "h-phone" }, "On your phone");
    const ical = h("div", { "aria-live": "polite" });
    const icalBtn = h("button", { type: "button", onclick: async () => {
      try { const { url } = await api.post("/me/ical-token"); mount(ical, h("p.small", "Subscribe in your calendar: ", h("a", { href: url }, url))); }
      catch (err) { mount(ical, alertBox("error", err.message)); }
    } }, "Get calendar (iCal) link");
    const pushMsg = h("div", { "aria-live": "polite" });
    const pushBtn = h("button", { type: "button" });
    async function refreshPush() {
      const st = await pushState().catch(() => "unsupported");
      pushBtn.textContent = st === "on" ? "Turn off shift alerts" : "Turn on shift alerts";
      pushBtn.disabled = st === "unsupported" || st === "denied";
      pushBtn.dataset.state = st;
      if (st === "unsupported") mount(pushMsg, h("p.muted.small", "This browser cannot receive push alerts."));
      if (st === "denied") mount(pushMsg, h("p.muted.small", "Alerts are blocked in the browser settings."));
    }
    pushBtn.addEventListener("click", async () => {
      try { if (pushBtn.dataset.state === "on") await disablePush(); else await enablePush(); mount(pushMsg, alertBox("ok", "Saved.")); }
      catch (err) { mount(pushMsg, alertBox("error", err.message)); }
      refreshPush();
    });
    mount(sections.phone, head, h("p.muted.small", "Get alerts when your schedule changes, even with the app closed."),
      h("div.row", pushBtn, icalBtn), pushMsg, ical);
    refreshPush();
  }

  function showBanner(text) {
    mount(banner, h("div.banner", { role: "alert" }, h("span", text),
      h("button.ghost", { type: "button", "aria-label": "Dismiss", onclick: () => mount(banner) }, "✕")));
  }
  const offs = [
    ctx.live.on("shift.assigned", (d) => { showBanner(bannerText("New shift", d)); loadShifts(); loadOpen(); }),
    ctx.live.on("shift.changed", (d) => { showBanner(bannerText("Shift changed", d)); loadShifts(); }),
    ctx.live.on("shift.cancelled", (d) => {
      // An approved swap names whom the shift went to (push and e-mail say the same).
      const what = d && d.reason === "swapped" ? (d.swapped_to ? `Swapped to ${d.swapped_to}` : "Swapped away") : "Shift cancelled";
      showBanner(bannerText(what, d)); loadShifts();
    }),
    ctx.live.on("schedule.published", () => { loadShifts(); loadOpen(); }),
    ctx.live.on("openshift.claimed", () => loadOpen()),
    ctx.live.on("timeoff.decided", (d) => { toast(`Time off ${d.starts_on}–${d.ends_on} ${d.status}.`); loadTimeOff(); }),
    ctx.live.on("swap.requested", () => loadSwaps()),
    ctx.live.on("swap.decided", (d) => { toast(`Swap ${d.status}.`); loadSwaps(); loadShifts(); }),
    ctx.live.onReset(() => { loadShifts(); loadOpen(); loadSwaps(); loadTimeOff(); }),
    announcementsCard(ctx, sections.news), scheduleAckBanner(ctx, ackBanner),
  ];

  loadShifts(); loadOpen(); loadSwaps(); loadTimeOff(); loadAvailability(); renderPhone();
  return { unmount: () => offs.forEach((off) => off()) };
}

function bannerText(what, d) {
  const shifts = (d && d.shifts) || [];
  if (!shifts.length) return `${what}.`;
  const s = shifts[0];
  const more = shifts.length > 1 ? ` (+${shifts.length - 1} more)` : "";
  return `${what}: ${fmtDay(s.starts_at)} ${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)}${more}`;
}
