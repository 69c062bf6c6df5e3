// App entry: who am I (GET /me), role-based navigation, a tiny router on the
// History API, the tab's live socket and the service worker.
import * as api from "./api.js";
import { Live } from "./live.js";
import { h, mount, toast, setDeptColors } from "./ui.js";
import { setZone } from "./zone.js";

const routes = {
  "/login": { load: () => import("./screens/login.js"), title: "Sign in", public: true },
  "/home": { load: () => import("./screens/home.js"), title: "My shifts", roles: ["employee", "manager", "admin"], nav: "My shifts" },
  "/dashboard": { load: () => import("./screens/dashboard.js"), title: "Dashboard", roles: ["manager", "admin"], nav: "Dashboard" },
  "/week": { load: () => import("./screens/week.js"), title: "Week builder", roles: ["manager", "admin"], nav: "Week" },
  "/bakery": { load: () => import("./screens/bakery.js"), title: "Bakery counter", roles: ["employee", "manager", "admin"], nav: "Bakery", bakery: true },
  "/account": { load: () => import("./screens/account.js"), title: "My account", roles: ["employee", "manager", "admin"], nav: "My account" },
  "/preferences": { load: () => import("./screens/preferences.js"), title: "My preferences", roles: ["employee", "manager", "admin"] },
  "/unsubscribe": { load: () => import("./screens/unsubscribe.js"), title: "Unsubscribe", public: true },
  "/kiosk": { load: () => import("./screens/kiosk.js"), title: "Kiosk", roles: ["kiosk"] },
  "/reports": { load: () => import("./screens/reports.js"), title: "Reports", roles: ["manager", "admin"], nav: "Reports" },
  "/timesheets": { load: () => import("./screens/timesheets.js"), title: "Timesheets", roles: ["manager", "admin"], nav: "Timesheets" },
  "/timesheet": { load: () => import("./screens/mytimesheet.js"), title: "My timesheet", roles: ["employee", "manager", "admin"], nav: "My timesheet" },
  "/labor": { load: () => import("./screens/labor.js"), title: "Wages", roles: ["admin"], nav: "Wages" },
  "/admin": { load: () => import("./screens/admin.js"), title: "Admin", roles: ["admin"], nav: "Admin" },
  "/ack": { load: () => import("./screens/ack.js"), title: "Confirm your schedule", public: true },
};

/** ctx is what every screen receives. */
const ctx = { api, live: new Live(), me: null, store: null, departments: [], navigate, refreshMe };
let current = null; // the mounted screen (may have unmount())

function homeFor(me) {
  if (me.role === "admin" || me.role === "manager") return "/dashboard";
  if (me.role === "kiosk") return "/kiosk";
  return "/home";
}

function allowed(route, me) {
  if (route.public) return true;
  if (!me || !route.roles.includes(me.role)) return false;
  if (route.bakery && me.role === "employee") {
    return ctx.departments.some((d) => /bak/i.test(d.name) && me.department_ids.includes(d.id));
  }
  return true;
}

function renderNav() {
  const nav = document.getElementById("nav");
  const links = Object.entries(routes).filter(([, r]) => r.nav && allowed(r, ctx.me))
    .map(([path, r]) => h("a", { href: path, "aria-current": location.pathname === path ? "page" : undefined }, r.nav));
  mount(nav, links);
  document.getElementById("appbar").hidden = !ctx.me;
  document.body.classList.toggle("kiosk-mode", !!ctx.me && ctx.me.role === "kiosk");
}

async function refreshMe() {
  try {
    ctx.me = await api.get("/me", { noAuthRedirect: true });
  } catch (err) {
    if (err.status === 401) { ctx.me = null; return null; }
    if (err.code === "unavailable" || err.code === "network") return ctx.me;
    throw err;
  }
  const [store, depts, prefs] = await Promise.all([
    api.get("/store").catch(() => null),
    api.get("/departments").catch(() => ({ items: [] })),
    ctx.me.role === "kiosk" ? null : api.get("/me/preferences").catch(() => null),
  ]);
  ctx.prefs = prefs; // in-app notices follow the "app" channel of My preferences
  ctx.store = store;
  setZone(store && store.timezone);
  ctx.departments = (depts && depts.items) || [];
  setDeptColors(ctx.departments);
  return ctx.me;
}

/** navigate shows the screen of path (pushing history unless replace). */
export async function navigate(path, replace = false) {
  const url = new URL(path, location.origin);
  if (url.pathname !== location.pathname || url.search !== location.search) {
    history[replace ? "replaceState" : "pushState"]({}, "", url.pathname + url.search);
  }
  await render();
}

// Aliases: links in e-mails and older bookmarks.
const aliases = { "/my/shifts": "/home", "/my/preferences": "/preferences" };

async function render() {
  let path = aliases[location.pathname] || location.pathname;
  if (path === "/" || !routes[path]) path = ctx.me ? homeFor(ctx.me) : "/login";
  const route = routes[path];
  if (!ctx.me && !route.public) { path = "/login"; }
  else if (ctx.me && path === "/login") { path = homeFor(ctx.me); }
  else if (!allowed(route, ctx.me)) { path = homeFor(ctx.me); }
  if (path !== location.pathname) history.replaceState({}, "", path + (path === location.pathname ? location.search : ""));
  const r = routes[path];
  if (current && current.unmount) current.unmount();
  current = null;
  document.title = `${r.title} · CrumbCommander`;
  renderNav();
  const main = document.getElementById("app");
  mount(main, h("p.muted", "Loading…"));
  const mod = await r.load();
  current = (await mod.render(main, ctx)) || null;
  main.focus({ preventScroll: true });
}

function startLive() {
  if (ctx.me) ctx.live.start(); else ctx.live.stop();
}

async function boot() {
  const conn = document.getElementById("conn");
  const labels = { live: "live", connecting: "connecting…", syncing: "syncing…", offline: "offline" };
  ctx.live.onState((s) => { conn.dataset.state = s; conn.textContent = labels[s] || s; });
  ctx.live.on("employee.updated", () => refreshMe().then(renderNav));
  ctx.live.on("close.4002", () => refreshMe().then(renderNav));
  ctx.live.on("close.4001", async () => {
    if (!(await refreshMe())) { ctx.live.stop(); navigate("/login", true); }
  });
  ctx.live.on("session.revoked", (d) => {
    if (!d || !d.keep_session_id) { ctx.me = null; ctx.live.stop(); navigate("/login", true); }
  });
  // Requests that need a manager say so on every screen (the dashboard lists them).
  const forManager = () => ctx.me && (ctx.me.role === "manager" || ctx.me.role === "admin") &&
    !(ctx.prefs && ctx.prefs.choices.request && ctx.prefs.choices.request.app === false);
  ctx.live.on("timeoff.requested", (d) => { if (forManager() && d) toast(`A time-off request (${d.starts_on}–${d.ends_on}) needs your decision.`, 8000); });
  ctx.live.on("swap.requested", (d) => { if (forManager() && d && d.status === "accepted") toast("A shift swap needs your approval.", 8000); });
  api.setUnauthenticatedHandler(() => { ctx.me = null; ctx.live.stop(); navigate("/login", true); });

  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[href]");
    if (!a || a.target || a.hasAttribute("download") || e.metaKey || e.ctrlKey || e.shiftKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    if (!routes[url.pathname] && url.pathname !== "/") return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", render);
  document.getElementById("signout").addEventListener("click", async () => {
    try { await api.post("/auth/logout"); } catch (_) { /* already gone */ }
    ctx.me = null;
    ctx.live.stop();
    sessionStorage.removeItem("crumb.seq");
    // The offline copies (who I am, my schedule) go with the session: the
    // next person on a shared phone must not see them (sw.js keeps them).
    if (window.caches) {
      try { await Promise.all((await caches.keys()).filter((k) => k.startsWith("crumb-data")).map((k) => caches.delete(k))); } catch (_) { /* nothing kept */ }
    }
    navigate("/login", true);
  });

  ctx.onSignedIn = async () => { await refreshMe(); startLive(); await navigate(homeFor(ctx.me), true); };
  try { await refreshMe(); } catch (err) { toast(err.message); }
  startLive();
  await render();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
}

boot();
