// The store's clock: every time the app shows is in the store's zone (GET
// /store timezone), whatever zone the device is in.

let zone = "";

/** setZone remembers the store's IANA zone ("" means the device's). */
export function setZone(tz) { zone = tz || ""; }

/** storeZone is the store's zone, or the device's when none is set. */
export function storeZone() { return zone || Intl.DateTimeFormat().resolvedOptions().timeZone; }

/** zoneDiffers is true when the device is in another zone than the store. */
export function zoneDiffers() { return !!zone && zone !== Intl.DateTimeFormat().resolvedOptions().timeZone; }

/** fmtClock formats an instant as the store's wall-clock time, e.g. "9:02 AM". */
export function fmtClock(iso) {
  return new Intl.DateTimeFormat([], { hour: "numeric", minute: "2-digit", timeZone: storeZone() }).format(new Date(iso));
}

/** zoneNote is " (America/Halifax time)" when the device is elsewhere, else "". */
export function zoneNote() { return zoneDiffers() ? ` (${zone.replace(/_/g, " ")} time)` : ""; }
