// Small DOM and formatting helpers shared by the screens. No inline styles or
// scripts anywhere (the CSP forbids them): classes and data attributes only.
import { fmtTime, fmtDay, zoneLabel } from "./zone.js";

/** h creates an element: h("button.primary", {type: "submit", onclick}, "Save"). */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs !== null && attrs !== undefined && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) { children.unshift(attrs); attrs = null; }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className += (el.className ? " " : "") + v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** mount replaces the children of el. */
export function mount(el, ...children) { el.replaceChildren(); append(el, children); return el; }

let fieldSeq = 0;
/** field renders a labelled control; returns the wrapper with .input set. */
export function field(label, attrs = {}, kind = "input", options = []) {
  const id = attrs.id || `f${++fieldSeq}`;
  let input;
  if (kind === "select") {
    input = h("select", { ...attrs, id }, options.map(([v, t]) => h("option", { value: v, selected: String(attrs.value) === String(v) || undefined }, t)));
  } else if (kind === "textarea") {
    input = h("textarea", { ...attrs, id });
  } else {
    input = h("input", { type: "text", ...attrs, id });
  }
  const err = h("div.field-error", { id: id + "-err", hidden: true });
  input.setAttribute("aria-describedby", id + "-err");
  const wrap = h("div.field", h("label", { for: id }, label), input, err);
  wrap.input = input;
  wrap.setError = (msg) => {
    err.textContent = msg || "";
    err.hidden = !msg;
    if (msg) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  };
  return wrap;
}

/** showFieldErrors puts an ApiError's fields next to the matching controls. */
export function showFieldErrors(fields, err) {
  for (const [name, f] of Object.entries(fields)) f.setError(err && err.fields ? err.fields[name] : "");
}

/** alertBox renders an error or notice. */
export function alertBox(kind, msg) { return h(`div.alert.${kind}`, { role: kind === "error" ? "alert" : "status" }, msg); }

/** toast shows a short-lived message. */
export function toast(msg, ms = 4000) {
  const box = document.getElementById("toasts");
  const t = h("div.toast", msg);
  box.append(t);
  setTimeout(() => t.remove(), ms);
}

/** errorText is the human message of any error. */
export function errorText(err) { return (err && err.message) || String(err); }

// Dates and times: one set of helpers, all in the store's zone (zone.js).
export { pad, ymd, parseYMD, addDays, weekday, dayOf, today, weekStart, at, startOf, wallTime, fmtTime, fmtDay, fmtDateTime, fmtDate, zoneNote, zoneLabel } from "./zone.js";
export function fmtAge(iso) {
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return "just now";
  if (s < 5400) return `${Math.round(s / 60)} minutes ago`;
  if (s < 129600) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}
/** zoneHint names the store's zone when the device is in another one (else null). */
export const zoneHint = () => (zoneLabel() ? h("p.small.muted.zone-hint", `Times are ${zoneLabel()}.`) : null);
/** swapShift names a swap's shift as people know it: day, time, department. */
export const swapShift = (r) => `${fmtDay(r.shift_starts_at)} ${fmtTime(r.shift_starts_at)}–${fmtTime(r.shift_ends_at)} ${r.department_name}`;
export const hoursOf = (s) => (new Date(s.ends_at) - new Date(s.starts_at)) / 3600000;

/** deptStyleClass gives a fallback colour class for a department id. */
export function deptStyleClass(deptId) { return `dept-c${(Number(deptId) || 0) % 6}`; }

const deptColors = new Map();
/** setDeptColors remembers each department's own colour (from GET /departments). */
export function setDeptColors(depts) { deptColors.clear(); for (const d of depts || []) if (/^#[0-9a-f]{3,8}$/i.test(d.color || "")) deptColors.set(d.id, d.color); }
/** paintDept gives el its department's colour as --dept (CSSOM, allowed by the CSP; no style attribute). */
export function paintDept(el, deptId) { const c = deptColors.get(deptId); if (c) el.style.setProperty("--dept", c); return el; }

/** shiftCard renders a shift; draft shifts look different (dashed, striped). */
export function shiftCard(s, extra = {}) {
  const cls = `div.shift.${deptStyleClass(s.department_id)}${s.status === "draft" ? ".draft" : ""}`;
  return paintDept(h(cls, { dataset: { shiftId: s.id }, ...extra },
    h("div.when", `${fmtTime(s.starts_at)}–${fmtTime(s.ends_at)}`),
    s.position ? h("div", s.position) : null,
    s.status === "draft" ? h("span.badge.warn", "draft") : null), s.department_id);
}

/** fmtMoney formats integer cents of a currency ("CA$1,234.50"); never floats on the way in. */
export function fmtMoney(cents, currency = "CAD") {
  const neg = cents < 0, abs = Math.abs(Math.trunc(cents));
  const whole = Math.floor(abs / 100), part = String(abs % 100).padStart(2, "0");
  const sym = currency === "CAD" ? "$" : currency + " ";
  return `${neg ? "−" : ""}${sym}${String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${part}`;
}
/** parseCents reads "1234.5" or "1,234.50" as integer cents (null when not an amount). */
export function parseCents(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text).replace(/[,$\s]/g, ""));
  return m ? Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0")) : null;
}
/** fmtMinutes writes minutes as hours: "37.5 h". */
export const fmtMinutes = (m) => `${(Math.round(m / 6) / 10).toFixed(1)} h`;
