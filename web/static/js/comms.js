// Team communication on the screens: announcements (list, live, read
// receipts when first shown, "Got it"), the composer and per-person reads for
// managers, the "I've seen my schedule" banner and the managers' per-person
// acknowledgement panel of a published week. Bodies are plain text: linkify
// builds text nodes and <a> elements, never HTML.
import { h, mount, field, alertBox, toast, fmtDateTime } from "./ui.js";

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;

/** linkify turns plain text into text nodes and links (http and https only). */
export function linkify(text) {
  const out = [];
  let last = 0;
  for (const m of String(text).matchAll(URL_RE)) {
    let url = m[0].replace(/[.,;:!?)\]]+$/, "");
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" }, url));
    last = m.index + url.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const STATUS = { not_yet: ["not yet", "warn"], seen: ["seen", "info"], acknowledged: ["acknowledged", "ok"] };
/** statusBadge shows not yet / seen / acknowledged. */
export const statusBadge = (st) => h(`span.badge.${(STATUS[st] || STATUS.not_yet)[1]}`, { dataset: { status: st } }, (STATUS[st] || STATUS.not_yet)[0]);

/**
 * announcementsCard lists the caller's announcements in section, live. Each
 * post addressed to the caller is marked seen when it is first on screen
 * (IntersectionObserver, batched), and one asking for acknowledgement has a
 * "Got it" button. Returns an unmount function.
 */
export function announcementsCard(ctx, section) {
  const { api } = ctx;
  let items = [];
  const pending = new Set();
  let flushTimer = null;
  const flush = async () => {
    flushTimer = null;
    const ids = [...pending].slice(0, 100);
    ids.forEach((id) => pending.delete(id));
    if (!ids.length) return;
    try { await api.post("/announcements/seen", { ids }); } catch (_) { ids.forEach((id) => pending.add(id)); }
  };
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      const id = Number(e.target.dataset.announcementId);
      const a = items.find((x) => x.id === id);
      io.unobserve(e.target);
      if (a && a.for_me && !a.seen_at) { a.seen_at = new Date().toISOString(); pending.add(id); }
    }
    if (pending.size && !flushTimer) flushTimer = setTimeout(flush, 300);
  });
  const head = () => h("h2", { id: "h-announcements" }, "Announcements");
  function draw() {
    io.disconnect();
    const now = Date.now();
    const shown = items.filter((a) => !a.expires_at || new Date(a.expires_at) > now)
      .sort((a, b) => (b.pinned - a.pinned) || b.created_at.localeCompare(a.created_at) || b.id - a.id);
    const list = shown.length ? h("ul.list.announcements", shown.map((a) => {
      const li = h("li.announcement", { dataset: { announcementId: a.id }, class: a.pinned ? "pinned" : "" },
        h("div.stack-tight",
          h("div", a.pinned ? h("span.badge.info", "pinned") : null, " ", h("strong.announcement-title", a.title)),
          h("p.announcement-body", linkify(a.body)),
          h("div.muted.small", `${a.author_name} · ${fmtDateTime(a.created_at)}`)),
        a.for_me && a.needs_ack ? (a.acked_at ? h("span.badge.ok.acked", "acknowledged")
          : h("button.primary", { type: "button", class: "ack-announcement", onclick: async () => {
            try { const r = await api.post(`/announcements/${a.id}/ack`); a.acked_at = r.acked_at; a.seen_at = r.seen_at; draw(); }
            catch (err) { toast(err.message); }
          } }, "Got it")) : null);
      return li;
    })) : h("p.empty", "No announcements.");
    mount(section, head(), list);
    for (const li of section.querySelectorAll("li.announcement")) io.observe(li);
  }
  async function load() {
    try { items = await api.get("/announcements"); draw(); }
    catch (err) { mount(section, head(), alertBox("error", err.message)); }
  }
  const me = ctx.me;
  const offs = [
    ctx.live.on("announcement.posted", (a) => {
      if (!a || items.some((x) => x.id === a.id)) return;
      const forMe = a.store_wide || (a.department_ids || []).some((d) => me.department_ids.includes(d));
      items.unshift({ ...a, for_me: forMe, seen_at: null, acked_at: null });
      draw();
    }),
    ctx.live.on("announcement.read", (r) => {
      const a = r && r.user_id === me.id && items.find((x) => x.id === r.announcement_id);
      if (a) { a.seen_at = r.seen_at; a.acked_at = r.acked_at; draw(); }
    }),
    ctx.live.onReset(load),
  ];
  load();
  return () => { offs.forEach((f) => f()); io.disconnect(); clearTimeout(flushTimer); flush(); };
}

/**
 * scheduleAckBanner shows, in el, one banner per published week the caller
 * has not acknowledged, with "I've seen my schedule"; showing it records
 * "seen". Returns an unmount function.
 */
export function scheduleAckBanner(ctx, el) {
  const { api } = ctx;
  async function load() {
    let weeks = [];
    try { weeks = await api.get("/me/schedule-acks"); } catch (_) { mount(el); return; }
    mount(el, weeks.map((w) => h("div.banner.schedule-ack", { role: "status", dataset: { week: w.week_start, dept: w.department_id } },
      h("span", `Your ${w.department_name} schedule for the week of ${w.week_start} is out.`),
      h("button.primary", { type: "button", class: "ack-schedule", onclick: async () => {
        try { await api.post("/me/schedule-acks/ack", { department_id: w.department_id, week_start: w.week_start }); toast("Thanks — your manager can see you have seen it."); load(); }
        catch (err) { toast(err.message); }
      } }, "I’ve seen my schedule"))));
    for (const w of weeks) {
      if (!w.seen_at) api.post("/me/schedule-acks/seen", { department_id: w.department_id, week_start: w.week_start }).catch(() => {});
    }
  }
  const offs = [
    ctx.live.on("shift.assigned", (d) => { if (d && d.reason === "published") load(); }),
    ctx.live.on("schedule.ack", (a) => { if (a && a.user_id === ctx.me.id) load(); }),
    ctx.live.onReset(load),
  ];
  load();
  return () => offs.forEach((f) => f());
}

/**
 * ackPanel renders, in el, who was asked to acknowledge the department's
 * week and where each person is (not yet / seen / acknowledged), live.
 * Returns an unmount function; call its .load(deptId, weekStart) to switch.
 */
export function ackPanel(ctx, el, deptId, weekStart) {
  const { api } = ctx;
  let rows = [];
  const head = () => h("h3", "Schedule acknowledgement");
  function draw() {
    const acked = rows.filter((r) => r.status === "acknowledged").length;
    mount(el, head(), rows.length ? [
      h("p.small.muted", `${acked} of ${rows.length} acknowledged the week of ${weekStart}.`),
      h("ul.list.ack-list", rows.map((r) => h("li", { dataset: { userId: r.user_id } }, h("span", r.name), statusBadge(r.status)))),
    ] : h("p.empty", "Nobody was asked yet: publish the week."));
  }
  // An event that arrives while a load is in flight may be older than the
  // load's answer or newer: the load runs again so the list ends current.
  let loading = null, again = false;
  function load() {
    if (loading) { again = true; return loading; }
    loading = (async () => {
      do {
        again = false;
        try { rows = await api.get("/schedules/acks" + api.qs({ department_id: deptId, week_start: weekStart })); draw(); }
        catch (err) { mount(el, head(), alertBox("error", err.message)); }
      } while (again);
      loading = null;
    })();
    return loading;
  }
  const offs = [
    ctx.live.on("schedule.ack", (a) => {
      if (!a || a.department_id !== deptId || a.week_start !== weekStart) return;
      const r = rows.find((x) => x.user_id === a.user_id);
      if (r) Object.assign(r, { seen_at: a.seen_at, acked_at: a.acked_at, status: a.status }); else rows.push(a);
      draw();
      if (loading) again = true;
    }),
    ctx.live.on("schedule.published", (p) => { if (p && p.department_id === deptId && p.week_start === weekStart) load(); }),
    ctx.live.onReset(load),
  ];
  load();
  const off = () => offs.forEach((f) => f());
  off.load = (d, w) => { deptId = d; weekStart = w; load(); };
  return off;
}

/**
 * composer renders, in el, the managers' announcement form and their
 * recent posts with each recipient's read, live. Returns an unmount function.
 */
export function composer(ctx, el) {
  const { api, me } = ctx;
  const depts = ctx.departments.filter((d) => me.role === "admin" || me.department_ids.includes(d.id));
  const title = field("Title", { maxlength: 200, required: true, name: "title" });
  const body = field("Message (plain text; links work)", { maxlength: 4000, required: true, rows: 4, name: "body" }, "textarea");
  const expires = field("Expires (optional)", { type: "datetime-local", name: "expires" });
  const boxes = depts.map((d) => h("label.check", h("input", { type: "checkbox", value: d.id, name: "dept", checked: depts.length === 1 }), ` ${d.name}`));
  const storeWide = me.role === "admin" ? h("label.check", h("input", { type: "checkbox", name: "store_wide" }), " Whole store") : null;
  const pinned = h("label.check", h("input", { type: "checkbox", name: "pinned" }), " Pin to the top");
  const needsAck = h("label.check", h("input", { type: "checkbox", name: "needs_ack" }), " Ask for acknowledgement");
  const msg = h("div", { "aria-live": "polite" });
  const posts = h("div", { id: "my-posts" });
  const reads = new Map(); // announcement id → rows
  const form = h("form.stack", { id: "announce-form", onsubmit: async (e) => {
    e.preventDefault();
    const ids = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
    const sw = storeWide && storeWide.querySelector("input").checked;
    const exp = expires.input.value ? new Date(expires.input.value).toISOString() : null;
    try {
      await api.post("/announcements", { title: title.input.value, body: body.input.value, department_ids: sw ? [] : ids, store_wide: !!sw,
        pinned: pinned.querySelector("input").checked, needs_ack: needsAck.querySelector("input").checked, expires_at: exp }, { idempotencyKey: api.newKey() });
      title.input.value = ""; body.input.value = "";
      mount(msg, alertBox("ok", "Posted."));
      title.setError(""); body.setError("");
      loadPosts();
    } catch (err) {
      title.setError(err.fields && err.fields.title); body.setError(err.fields && err.fields.body);
      mount(msg, alertBox("error", err.message));
    }
  } }, title, body, h("fieldset", h("legend", "To"), boxes, storeWide), h("div.row", pinned, needsAck), expires,
  h("div.row", h("button.primary", { type: "submit" }, "Post")), msg);
  mount(el, h("h2", { id: "h-announce" }, "Announcements"), form, posts);

  function drawPosts(list) {
    mount(posts, h("h3", "Recent posts"), list.length ? h("ul.list.my-posts", list.map((a) => {
      const rs = reads.get(a.id) || [];
      const n = (st) => rs.filter((r) => r.status === st).length;
      return h("li", { dataset: { announcementId: a.id } },
        h("details", h("summary", h("strong", a.title), " ",
          h("span.small.muted.read-counts", a.needs_ack ? `${n("acknowledged")} acknowledged · ${n("seen")} seen · ${n("not_yet")} not yet`
            : `${n("seen") + n("acknowledged")} seen · ${n("not_yet")} not yet`)),
        h("ul.list.read-list", rs.map((r) => h("li", { dataset: { userId: r.user_id } }, h("span", r.name), statusBadge(r.status))))));
    })) : h("p.empty", "No posts yet."));
  }
  let mine = [];
  async function loadPosts() {
    try {
      const all = await api.get("/announcements");
      mine = all.filter((a) => a.author_id === me.id || me.role === "admin").slice(0, 10);
      await Promise.all(mine.map(async (a) => { reads.set(a.id, await api.get(`/announcements/${a.id}/reads`).catch(() => [])); }));
      drawPosts(mine);
    } catch (err) { mount(posts, alertBox("error", err.message)); }
  }
  const offs = [
    ctx.live.on("announcement.read", (r) => {
      const rs = r && reads.get(r.announcement_id);
      const row = rs && rs.find((x) => x.user_id === r.user_id);
      if (!row) return;
      Object.assign(row, { seen_at: r.seen_at, acked_at: r.acked_at, status: r.status });
      drawPosts(mine);
    }),
    ctx.live.on("announcement.posted", (a) => { if (a && !reads.has(a.id)) loadPosts(); }),
    ctx.live.onReset(loadPosts),
  ];
  loadPosts();
  return () => offs.forEach((f) => f());
}

/** renderAckLink is the /ack page: the link from an e-mail or SMS, no sign-in. */
export async function renderAckLink(main, ctx) {
  const token = decodeURIComponent(location.hash.slice(1));
  history.replaceState({}, "", "/ack"); // the token leaves the address bar
  const out = h("div", { "aria-live": "polite" }, h("p.muted", "Confirming…"));
  mount(main, h("div.stack", h("h1", "Your schedule"), out));
  try {
    const a = await ctx.api.post("/links/schedule-ack", { token }, { noAuthRedirect: true });
    mount(out, alertBox("ok", `Thanks${a.name ? ", " + a.name : ""}: you confirmed your ${a.department_name} schedule for the week of ${a.week_start}.`));
  } catch (err) {
    mount(out, alertBox("error", err.code === "gone" ? `${err.message}. Open the app to confirm your schedule.` : "This link is not valid. Open the app to confirm your schedule."));
  }
}
