// Service worker: an offline shell (the app's files, cache-first) and the
// last schedule the employee saw (network-first, cached with its age), plus
// Web Push notifications.
const SHELL = "crumb-shell-v1"; // placeholder: web.go serves it as crumb-shell-<hash of the app files>
const DATA = "crumb-data-v2";
const FILES = ["/", "/app.css", "/icon.svg", "/manifest.webmanifest", "/js/main.js", "/js/api.js", "/js/ui.js",
  "/js/live.js", "/js/push.js", "/js/screens/login.js", "/js/screens/home.js", "/js/screens/dashboard.js",
  "/js/screens/week.js", "/js/screens/bakery.js", "/js/screens/admin.js", "/js/screens/reports.js", "/js/screens/kiosk.js",
  "/js/screens/account.js", "/js/screens/timesheets.js", "/js/screens/mytimesheet.js", "/js/screens/labor.js", "/js/zone.js", "/js/comms.js", "/js/screens/ack.js"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== DATA).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// Schedule reads worth keeping for offline use.
function cacheable(url) {
  return url.pathname === "/api/v1/me" || url.pathname === "/api/v1/shifts" || url.pathname === "/api/v1/store";
}

// dataKey is where a read is kept. The employee's own schedule is asked for
// from "now" on, so its from/to change on every visit: it is kept without
// them (one entry, the last one seen; the page drops past shifts itself),
// or a later offline visit would never find it. Other reads keep their URL.
function dataKey(url) {
  if (url.pathname !== "/api/v1/shifts" || !url.searchParams.has("employee_id")) return url.href;
  const k = new URL(url.href);
  k.searchParams.delete("from");
  k.searchParams.delete("to");
  return k.href;
}

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    if (!cacheable(url)) return;
    e.respondWith(fetch(req).then(async (res) => {
      if (res.ok) {
        const body = await res.clone().arrayBuffer();
        const headers = new Headers(res.headers);
        headers.set("X-Crumb-Cached-At", new Date().toISOString());
        const c = await caches.open(DATA);
        await c.put(dataKey(url), new Response(body, { status: 200, headers }));
      }
      return res;
    }).catch(async () => {
      const hit = await caches.match(dataKey(url), { cacheName: DATA });
      return hit || new Response(JSON.stringify({ error: { code: "unavailable", message: "You are offline." } }),
        { status: 503, headers: { "Content-Type": "application/json" } });
    }));
    return;
  }
  // App shell: files cache-first; navigations fall back to the cached shell.
  e.respondWith(caches.match(req, { cacheName: SHELL }).then((hit) => hit || fetch(req).catch(() => caches.match("/", { cacheName: SHELL }))));
});

self.addEventListener("push", (e) => {
  let msg = { title: "CrumbCommander", body: "You have an update." };
  try { msg = Object.assign(msg, e.data ? e.data.json() : {}); } catch (_) { /* plain text */ }
  e.waitUntil(self.registration.showNotification(msg.title, { body: msg.body, icon: "/icon.svg", tag: msg.tag || "crumb", data: { url: msg.url || "/home" } }));
});

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const url = (e.notification.data && e.notification.data.url) || "/home";
  e.waitUntil(self.clients.matchAll({ type: "window" }).then((wins) => {
    for (const w of wins) { if ("focus" in w) { w.navigate(url); return w.focus(); } }
    return self.clients.openWindow(url);
  }));
});
