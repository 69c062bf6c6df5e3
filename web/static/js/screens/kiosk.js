// Kiosk: a shared, touch-first device at the entrance. A person picks their
// name (or types their badge), enters their PIN on the pad (or keyboard),
// and gets only the clock actions that apply to them now. A confirmation
// with name, action and store time shows, then the screen returns to idle.
// Nothing of anyone is shown beyond the names to pick. Without a connection
// a punch is kept in this tab (sessionStorage: a reload keeps it, closing
// the kiosk's tab forgets it, and it never reaches the disk's long-lived
// storage) and sent, with the time it was made, when the connection is back.
import { h, mount, alertBox } from "../ui.js";
import { fmtTime, zoneNote } from "../zone.js";

const QUEUE = "crumb.kiosk.queue";
const CONFIRM_MS = 6000; // the confirmation stays this long
const IDLE_MS = 45000; // a half-finished screen returns to idle after this

const LABELS = { "clock-in": "Clock in", "break-start": "Start break", "break-end": "End break", "clock-out": "Clock out" };
const DONE = { "clock-in": "clocked in", "break-start": "started a break", "break-end": "ended the break", "clock-out": "clocked out" };
const STATE = { out: "Not clocked in", in: "Clocked in since", break: "On break since" };

function queued() { try { return JSON.parse(sessionStorage.getItem(QUEUE) || "[]"); } catch (_) { return []; } }
function saveQueue(q) { if (q.length) sessionStorage.setItem(QUEUE, JSON.stringify(q)); else sessionStorage.removeItem(QUEUE); }

export async function render(main, ctx) {
  const { api } = ctx;
  let people = [];
  let timer = 0;
  let replaying = false;
  const status = h("div.kiosk-status", { role: "status", "aria-live": "polite" });
  const body = h("div.kiosk-body");
  mount(main, h("div.kiosk", h("h1", { id: "kiosk-title" }, "Clock in or out"), status, body));

  const later = (fn, ms) => { clearTimeout(timer); timer = setTimeout(fn, ms); };
  const identity = (who) => (who.badge ? { badge: who.badge } : { employee_id: who.id });

  function showQueue(extra) {
    const n = queued().length;
    mount(status, extra || null, n ? alertBox("warn", `${n} punch${n > 1 ? "es" : ""} saved on this device, waiting for the connection.`) : null);
  }

  async function replay() {
    if (replaying) return;
    replaying = true;
    try {
      let q = queued();
      while (q.length) {
        const p = q[0];
        try {
          await api.post(`/attendance/kiosk/${p.action}`, { ...p.who, pin: p.pin, occurred_at: p.at }, { idempotencyKey: p.key });
        } catch (err) {
          if (err.code === "network" || err.status >= 500) break;
          showQueue(alertBox("error", `A saved punch (${p.name}, ${LABELS[p.action]}) was refused: ${err.message}`));
        }
        q = queued().filter((x) => x.key !== p.key);
        saveQueue(q);
      }
    } finally { replaying = false; }
    if (!queued().length) showQueue();
  }

  async function idle() {
    clearTimeout(timer);
    document.getElementById("kiosk-title").textContent = "Clock in or out";
    const search = h("input", { type: "search", id: "kiosk-search", autocomplete: "off", placeholder: "Type to filter" });
    const list = h("div.kiosk-names");
    const draw = () => {
      const q = search.value.trim().toLowerCase();
      const shown = people.filter((p) => !q || p.name.toLowerCase().includes(q));
      // A list only while it has names: an empty role=list is invalid ARIA.
      if (shown.length) { list.setAttribute("role", "list"); list.setAttribute("aria-label", "People"); }
      else { list.removeAttribute("role"); list.removeAttribute("aria-label"); }
      mount(list, shown.length ? shown.map((p) => h("div", { role: "listitem" },
        h("button.kiosk-name", { type: "button", onclick: () => pin({ id: p.id, name: p.name }) }, p.name))) : h("p.empty", "No name matches."));
    };
    search.addEventListener("input", draw);
    const badge = h("input", { type: "text", id: "kiosk-badge", autocomplete: "off", inputmode: "text" });
    const badgeForm = h("form.row.kiosk-badge", h("label", { for: "kiosk-badge" }, "Badge"), badge, h("button", { type: "submit" }, "Use badge"));
    badgeForm.addEventListener("submit", (e) => { e.preventDefault(); if (badge.value.trim()) pin({ badge: badge.value.trim(), name: "" }); });
    mount(body, h("div.stack",
      h("div.field", h("label", { for: "kiosk-search" }, "Find your name"), search),
      list, badgeForm));
    draw();
    showQueue();
    try {
      const res = await api.get("/attendance/kiosk/people");
      people = res.items || [];
      draw();
    } catch (err) {
      if (!people.length) mount(list, alertBox("error", err.message));
    }
  }

  function pin(who) {
    later(idle, IDLE_MS);
    document.getElementById("kiosk-title").textContent = who.name ? `Hi ${who.name}` : "Badge " + who.badge;
    const input = h("input.kiosk-pin", { type: "password", id: "kiosk-pin", inputmode: "numeric", autocomplete: "off", maxlength: 8, pattern: "[0-9]*" });
    const msg = h("div", { "aria-live": "assertive" });
    const key = (d) => h("button.kiosk-key", { type: "button", "aria-label": d, onclick: () => { input.value = (input.value + d).slice(0, 8); input.focus(); later(idle, IDLE_MS); } }, d);
    const form = h("form.stack.kiosk-pad",
      h("div.field", h("label", { for: "kiosk-pin" }, "Enter your PIN"), input), msg,
      h("div.kiosk-keys", ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map(key),
        h("button.kiosk-key", { type: "button", "aria-label": "Delete last digit", onclick: () => { input.value = input.value.slice(0, -1); input.focus(); } }, "⌫"),
        key("0"),
        h("button.kiosk-key.primary", { type: "submit" }, "OK")),
      h("button.ghost", { type: "button", onclick: idle }, "Back"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!input.value) { mount(msg, alertBox("error", "Enter your PIN.")); return; }
      try {
        const st = await api.post("/attendance/kiosk-state", { ...identity(who), pin: input.value });
        actions({ ...who, name: st.name }, input.value, st);
      } catch (err) {
        if (err.code === "network") { actions(who, input.value, null); return; }
        input.value = "";
        mount(msg, alertBox("error", err.fields && err.fields.pin ? err.fields.pin : err.message));
        input.focus();
      }
    });
    form.addEventListener("keydown", (e) => { if (e.key === "Escape") idle(); });
    mount(body, form);
    input.focus();
  }

  function actions(who, code, st) {
    later(idle, IDLE_MS);
    document.getElementById("kiosk-title").textContent = who.name || "Badge " + who.badge;
    const list = st ? st.actions : Object.keys(LABELS);
    const where = st ? (st.since ? `${STATE[st.state]} ${fmtTime(st.since)}${zoneNote()}` : STATE[st.state])
      : "No connection: the state cannot be checked. Your punch is saved on this device and sent when the connection is back.";
    mount(body, h("div.stack",
      h("p.kiosk-state", where),
      h("div.kiosk-actions", list.map((a) => h(a === "clock-in" || a === "clock-out" ? "button.kiosk-action.primary" : "button.kiosk-action",
        { type: "button", onclick: () => punch(who, code, a) }, LABELS[a]))),
      h("button.ghost", { type: "button", onclick: idle }, "Cancel")));
    body.querySelector(".kiosk-action").focus();
  }

  async function punch(who, code, action) {
    const key = api.newKey();
    let at, name = who.name, saved = false;
    try {
      const rec = await api.post(`/attendance/kiosk/${action}`, { ...identity(who), pin: code }, { idempotencyKey: key });
      name = rec.employee_name || name;
      at = action === "clock-in" ? rec.clock_in_at : action === "clock-out" ? rec.clock_out_at : new Date().toISOString();
      if (action.startsWith("break")) {
        const b = (rec.breaks || [])[rec.breaks.length - 1];
        if (b) at = action === "break-start" ? b.starts_at : b.ends_at || at;
      }
    } catch (err) {
      if (err.code !== "network") { mount(body, alertBox("error", err.message), h("button", { type: "button", onclick: idle }, "Back")); later(idle, CONFIRM_MS); return; }
      const q = queued();
      q.push({ key, action, who: identity(who), pin: code, name: name || who.badge, at: new Date().toISOString() });
      saveQueue(q);
      saved = true;
      at = new Date().toISOString();
    }
    document.getElementById("kiosk-title").textContent = saved ? "Saved on this device" : "Done";
    mount(body, h("div.kiosk-confirm", { role: "status" },
      h("p.kiosk-who", name || who.badge),
      h("p.kiosk-what", saved ? `${LABELS[action]} at ${fmtTime(at)}${zoneNote()} — no connection, sent when it is back` : `${DONE[action]} at ${fmtTime(at)}${zoneNote()}`),
      h("button.primary", { type: "button", onclick: idle }, "Done")));
    showQueue();
    later(idle, CONFIRM_MS);
  }

  const onOnline = () => replay();
  window.addEventListener("online", onOnline);
  const tick = setInterval(() => { if (queued().length) replay(); }, 15000);
  await idle();
  replay();
  return { unmount() { clearTimeout(timer); clearInterval(tick); window.removeEventListener("online", onOnline); } };
}
