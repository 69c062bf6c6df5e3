// The store's clock: every time the app shows or takes is in the store's
// zone (GET /store timezone), whatever zone the device is in.
//
// Two kinds of value: instants (ISO strings or Dates, what the API sends
// and takes) and calendar days. A calendar day is a Date at 00:00 UTC of
// that date (parseYMD, today, dayOf), so day arithmetic never meets a DST
// change; startOf and at turn a day (and a wall-clock time) into the
// instant it is in the store's zone.

let zone = "";

/** setZone remembers the store's IANA zone ("" means the device's). */
export function setZone(tz) { zone = tz || ""; }

const deviceZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** storeZone is the store's zone, or the device's when none is set. */
export function storeZone() { return zone || deviceZone(); }

/** zoneDiffers is true when the device is in another zone than the store. */
export function zoneDiffers() { return !!zone && zone !== deviceZone(); }

/** zoneLabel is "America/Halifax time" when the device is elsewhere, else "". */
export function zoneLabel() { return zoneDiffers() ? `${zone.replace(/_/g, " ")} time` : ""; }

/** zoneNote is " (America/Halifax time)" when the device is elsewhere, else "". */
export function zoneNote() { return zoneDiffers() ? ` (${zoneLabel()})` : ""; }

export const pad = (n) => String(n).padStart(2, "0");

const partsFmt = new Map();
/** wall returns the store-zone wall clock of an instant as numbers. */
function wall(t) {
  const tz = storeZone();
  let f = partsFmt.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    partsFmt.set(tz, f);
  }
  const p = {};
  for (const { type, value } of f.formatToParts(new Date(t))) p[type] = Number(value);
  return { y: p.year, m: p.month, d: p.day, H: p.hour % 24, M: p.minute, S: p.second };
}

/** offset is how far the store's wall clock is ahead of UTC at instant ms. */
function offset(ms) {
  const w = wall(ms);
  return Date.UTC(w.y, w.m - 1, w.d, w.H, w.M, w.S) - Math.floor(ms / 1000) * 1000;
}

/** ymd formats a calendar day as YYYY-MM-DD. */
export const ymd = (day) => `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}`;
/** parseYMD reads YYYY-MM-DD as a calendar day. */
export function parseYMD(s) { const [y, m, d] = s.split("-").map(Number); return new Date(Date.UTC(y, m - 1, d)); }
/** addDays moves a calendar day by n days. */
export function addDays(day, n) { const x = new Date(day); x.setUTCDate(x.getUTCDate() + n); return x; }
/** weekday of a calendar day, 0 = Sunday. */
export const weekday = (day) => day.getUTCDay();
/** dayOf is the store-zone calendar day of an instant. */
export function dayOf(t) { const w = wall(new Date(t).getTime()); return new Date(Date.UTC(w.y, w.m - 1, w.d)); }
/** today is the store's calendar day now. */
export const today = () => dayOf(Date.now());
/** weekStart returns the first day of the week containing the calendar day. */
export function weekStart(day, startsOn = 1) { return addDays(day, -((weekday(day) - startsOn + 7) % 7)); }

/** at is the instant of a wall-clock time ("07:00") on a calendar day in the store's zone. */
export function at(day, hhmm = "00:00") {
  const [H, M] = hhmm.split(":").map(Number);
  const local = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), H, M || 0);
  // The offset at the guess is right unless a DST change lies between the
  // guess and the answer: then the offset at the first answer is.
  const first = local - offset(local);
  const second = local - offset(first);
  return new Date(second);
}
/** startOf is the instant the calendar day begins in the store's zone. */
export const startOf = (day) => at(day, "00:00");
/** wallTime is an instant's store-zone time as "HH:MM" (for time inputs). */
export function wallTime(t) { const w = wall(new Date(t).getTime()); return `${pad(w.H)}:${pad(w.M)}`; }

const fmts = new Map();
function fmt(opts, tz) {
  const key = tz + JSON.stringify(opts);
  let f = fmts.get(key);
  if (!f) { f = new Intl.DateTimeFormat([], { ...opts, timeZone: tz }); fmts.set(key, f); }
  return f;
}
/** fmtTime formats an instant as the store's wall-clock time, e.g. "7:00 AM". */
export const fmtTime = (t) => fmt({ hour: "numeric", minute: "2-digit" }, storeZone()).format(new Date(t));
/** fmtDay formats an instant's store-zone day, e.g. "Mon, Mar 9". */
export const fmtDay = (t) => fmt({ weekday: "short", month: "short", day: "numeric" }, storeZone()).format(new Date(t));
/** fmtDateTime formats an instant's store-zone day and time. */
export const fmtDateTime = (t) => fmt({ weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }, storeZone()).format(new Date(t));
/** fmtDate formats a calendar day with Intl options (default like fmtDay). */
export const fmtDate = (day, opts = { weekday: "short", month: "short", day: "numeric" }) => fmt(opts, "UTC").format(day);
