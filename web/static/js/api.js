// REST client for /api/v1: JSON in and out, the session cookie rides along,
// errors become ApiError with the server's code, fields and conflicts.

/** ApiError is a failed API call in the error shape of docs/api.md. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `Request failed (${status})`);
    this.status = status;
    this.code = e.code || (status === 0 ? "network" : "unknown");
    this.fields = e.fields || {};
    this.conflicts = e.conflicts || [];
  }
}

let onUnauthenticated = () => {};
/** setUnauthenticatedHandler is called when a request answers 401. */
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

/** request sends one API call and returns the parsed JSON (or null). */
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.ifMatch !== undefined) headers["If-Match"] = String(opts.ifMatch);
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  let res;
  try {
    res = await fetch("/api/v1" + path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, { error: { code: "network", message: "Cannot reach the server. Check your connection." } });
  }
  const cachedAt = res.headers.get("X-Crumb-Cached-At");
  let data = null;
  const text = await res.text();
  if (text) { try { data = JSON.parse(text); } catch (_) { data = null; } }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !opts.noAuthRedirect) onUnauthenticated(err);
    throw err;
  }
  if (cachedAt && data && typeof data === "object") Object.defineProperty(data, "cachedAt", { value: cachedAt });
  return data;
}

export const get = (p, o) => request("GET", p, undefined, o);
export const post = (p, b, o) => request("POST", p, b === undefined ? {} : b, o);
export const patch = (p, b, o) => request("PATCH", p, b, o);
export const put = (p, b, o) => request("PUT", p, b, o);
export const del = (p, o) => request("DELETE", p, undefined, o);

/** qs builds a query string from the defined values of obj. */
export function qs(obj) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== "") u.set(k, v);
  const s = u.toString();
  return s ? "?" + s : "";
}

/** all follows next_cursor until the list ends (or max pages). */
export async function all(path, params = {}, maxPages = 20) {
  const items = [];
  let cursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await get(path + qs({ ...params, cursor }));
    items.push(...(page.items || []));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

/** newKey makes an Idempotency-Key. */
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}
