// Bakery counter, phone first: big +/- per item with its limit, counts sent
// as deltas (POST .../counts, one answer per tap), every device converging
// on the server's counts (bakery.count events, applied by version), a
// visible sync state, and finalize. Managers add items to the catalogue.
import { h, mount, field, alertBox, toast, ymd, today } from "../ui.js";

const KINDS = [["trayup", "Tray-up"], ["rtu", "Ready-to-use pull"]];
// Categories of the catalogue, by a word of the item's name (the first that
// matches wins); the rest are "Other".
const CATEGORIES = [["Bagels", /bagel/i], ["Muffins", /muffin/i], ["Pies", /\bpie\b/i], ["Breads", /loaf|baguette|challah|focaccia|bread|naan|pita|tortilla/i],
  ["Rolls & buns", /roll|bun|knot/i], ["Cookies", /cookie|biscotti/i], ["Cakes", /cake|cupcake|tart/i], ["Donuts", /donut/i],
  ["Bars & squares", /bar|square|brownie/i], ["Croissants", /croissant/i]];
const categoryOf = (name) => (CATEGORIES.find(([, re]) => re.test(name)) || ["Other"])[0];

export async function render(main, ctx) {
  const { api, live, me } = ctx;
  const params = new URLSearchParams(location.search);
  let date = params.get("date") || ymd(today());
  let kind = KINDS.some(([k]) => k === params.get("kind")) ? params.get("kind") : "trayup";
  let sheet = null;
  const confirmed = new Map(); // item_id -> {count, version}: the server's word
  // item_id -> {taps, delta, latest}: taps not yet answered, the deltas of
  // the taps since the item was last settled, and the newest server word
  // heard meanwhile. While a tap is unanswered, a bakery.count event may or
  // may not already include it, so the item's confirmed count waits until
  // every tap is answered and then takes the newest word: never counting a
  // tap twice (which would also disable + too early at the limit).
  const pending = new Map();
  const itemErr = new Map(); // item_id -> the last refusal of a tap on it, shown beside it
  let query = "", category = "";

  const sync = h("span.sync.conn", { id: "sync", role: "status", "aria-live": "polite", dataset: { state: "live" } }, "in sync");
  const list = h("div.counter", { id: "counter" });
  const msg = h("div", { "aria-live": "assertive" });
  const dateIn = h("input", { type: "date", id: "bk-date", value: date });
  const kindSel = h("select", { id: "bk-kind" }, KINDS.map(([k, l]) => h("option", { value: k, selected: k === kind || undefined }, l)));
  const total = h("p.muted", { id: "bk-total" });
  const finalize = h("button.primary", { type: "button", id: "finalize" }, "Finalize sheet");
  const reset = h("button", { type: "button", id: "bk-reset" }, "Reset counts");
  const search = h("input", { type: "search", id: "bk-search", autocomplete: "off", placeholder: "Bagel, pie, donut…" });
  const cats = h("div.chips", { role: "group", "aria-label": "Categories", id: "bk-cats" });
  const catalogue = h("div");
  mount(main, h("div.stack", h("div.row.spread", h("h1", "Bakery counter"), sync),
    h("div.form-row", h("div.field", h("label", { for: "bk-date" }, "Date"), dateIn), h("div.field", h("label", { for: "bk-kind" }, "Sheet"), kindSel)),
    h("div.field", h("label", { for: "bk-search" }, "Find an item"), search), cats,
    msg, list, total, h("div.row", finalize, reset), catalogue));
  search.addEventListener("input", () => { query = search.value.trim().toLowerCase(); draw(); });
  dateIn.addEventListener("change", () => { date = dateIn.value; load(); });
  kindSel.addEventListener("change", () => { kind = kindSel.value; load(); });

  const inFlight = () => pending.size > 0;
  function showSync() {
    if (live.state !== "live") { sync.dataset.state = "offline"; sync.textContent = inFlight() ? "saving… (live updates offline)" : "live updates offline"; }
    else if (inFlight()) { sync.dataset.state = "syncing"; sync.textContent = "saving…"; }
    else { sync.dataset.state = "live"; sync.textContent = "in sync"; }
  }
  const isFinal = () => sheet && sheet.status === "finalized";
  const lines = () => (sheet && sheet.lines) || [];

  async function load() {
    history.replaceState({}, "", `/bakery?date=${date}&kind=${kind}`);
    try {
      sheet = await api.get(`/bakery/sheets/${date}/${kind}`);
      confirmed.clear(); pending.clear(); itemErr.clear();
      for (const l of sheet.lines || []) confirmed.set(l.item_id, { count: l.count, version: l.version });
      mount(msg);
      drawCategories();
      draw();
      drawCatalogue();
    } catch (err) {
      sheet = null;
      mount(list, alertBox("error", err.message));
      finalize.hidden = true; reset.hidden = true;
    }
    showSync();
  }

  const shown = (l) => Math.min(l.upper_limit || Infinity, Math.max(0, (confirmed.get(l.item_id)?.count ?? 0) + (pending.get(l.item_id)?.delta || 0)));

  // The sheet's version moves with every count (its first starts the
  // sheet); answers and events say where it is, so finalize and reset
  // carry the version this device has seen without a reload.
  function sawSheet(ev) { if (sheet && ev && ev.sheet_version > sheet.version) sheet.version = ev.sheet_version; }

  function drawCategories() {
    const present = [...new Set(lines().map((l) => categoryOf(l.name)))];
    if (present.length < 2) { mount(cats); return; }
    if (category && !present.includes(category)) category = "";
    mount(cats, [["", "All"], ...present.map((c) => [c, c])].map(([c, label]) => h("button.chip", { type: "button", "aria-pressed": category === c ? "true" : "false",
      onclick: () => { category = c; drawCategories(); draw(); } }, label)));
  }

  function draw() {
    finalize.hidden = isFinal(); reset.hidden = isFinal();
    if (isFinal()) mount(msg, alertBox("info", "This sheet is finalized and read-only."));
    const visible = lines().filter((l) => (!category || categoryOf(l.name) === category) && (!query || l.name.toLowerCase().includes(query)));
    mount(list, !lines().length ? h("p.empty", "No items on this sheet yet.") : !visible.length ? h("p.empty", "No item matches.") : visible.map((l) => {
      const n = shown(l);
      const btn = (delta, label) => h("button", { type: "button", "aria-label": `${label} ${l.name}`, dataset: { item: l.item_id, delta },
        disabled: isFinal() || (delta < 0 ? n <= 0 : l.upper_limit > 0 && n >= l.upper_limit) || undefined, onclick: () => tap(l, delta) }, delta > 0 ? "+" : "−");
      return h("div.count-item", { dataset: { itemId: l.item_id } },
        h("div", h("div.name", { id: `name-${l.item_id}` }, l.name), h("div.small.muted", l.upper_limit > 0 ? `limit ${l.upper_limit}` : "no limit")),
        h("div.count-ctl", { role: "group", "aria-labelledby": `name-${l.item_id}` }, btn(-1, "One less"),
          h("output", { id: `count-${l.item_id}`, "aria-live": "polite", class: l.upper_limit > 0 && n >= l.upper_limit ? "over" : "" }, String(n)),
          btn(1, "One more")),
        itemErr.has(l.item_id) ? h("div.field-error.span-all", { role: "alert", id: `err-${l.item_id}` }, itemErr.get(l.item_id)) : null);
    }));
    total.textContent = `Total: ${lines().reduce((t, l) => t + shown(l), 0)}`;
  }

  function tap(l, delta) {
    const p = pending.get(l.item_id) || { taps: 0, delta: 0, latest: null };
    p.taps++; p.delta += delta;
    pending.set(l.item_id, p);
    draw(); showSync();
    document.querySelector(`[data-item="${l.item_id}"][data-delta="${delta}"]`)?.focus();
    // REST for every tap: each one is answered (the socket may drop a
    // message silently while reconnecting); the socket brings other
    // devices' counts.
    api.post(`/bakery/sheets/${date}/${kind}/counts`, { item_id: l.item_id, delta })
      .then((ev) => { itemErr.delete(l.item_id); settle(l.item_id, delta, ev); })
      .catch((err) => { itemErr.set(l.item_id, Object.values(err.fields || {})[0] || err.message); settle(l.item_id, delta, null); });
  }

  function apply(ev) {
    if (!ev || ev.date !== date || ev.kind !== kind) return;
    sawSheet(ev);
    const p = pending.get(ev.item_id);
    if (p) { if (!p.latest || p.latest.version < ev.version) p.latest = ev; return; }
    const c = confirmed.get(ev.item_id);
    if (c && c.version >= ev.version) return; // older news
    confirmed.set(ev.item_id, { count: ev.count, version: ev.version });
  }
  function settle(item, delta, ev) {
    const p = pending.get(item);
    if (p) {
      p.taps--;
      if (!ev) p.delta -= delta; // refused: it never counted
      else { sawSheet(ev); if (!p.latest || p.latest.version < ev.version) p.latest = ev; }
      if (p.taps === 0) { pending.delete(item); apply(p.latest); }
    } else apply(ev); // the sheet was reloaded meanwhile
    draw(); showSync();
  }

  finalize.addEventListener("click", async () => {
    if (inFlight()) { mount(msg, alertBox("info", "Still saving your last taps; finalize once it says in sync.")); return; }
    if (!confirm("Finalize this sheet? Nobody can change it afterwards.")) return;
    try { sheet = await api.post(`/bakery/sheets/${date}/${kind}/finalize`, {}, { ifMatch: sheet.version }); toast("Sheet finalized."); load(); }
    catch (err) { mount(msg, alertBox("error", err.message)); }
  });

  reset.addEventListener("click", async () => {
    if (inFlight()) { mount(msg, alertBox("info", "Still saving your last taps; reset once it says in sync.")); return; }
    if (!confirm("Set every count on this sheet back to 0?")) return;
    try { await api.post(`/bakery/sheets/${date}/${kind}/reset`, {}, { ifMatch: sheet.version }); toast("Counts reset."); load(); }
    catch (err) { mount(msg, alertBox("error", err.message)); }
  });

  function drawCatalogue() {
    if (me.role !== "admin" && me.role !== "manager") { mount(catalogue); return; }
    const name = field("Item name", { name: "item_name", required: true, maxlength: 80 });
    const limit = field("Upper limit", { type: "number", name: "upper_limit", min: 1, max: 9999, value: 24 });
    const m = h("div", { "aria-live": "polite" });
    const form = h("form.card.stack.no-print", h("h2", `Add an item to ${KINDS.find(([k]) => k === kind)[1]}`), h("div.form-row", name, limit), m,
      h("button", { type: "submit" }, "Add item"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api.post("/bakery/items", { kind, name: name.input.value, upper_limit: Number(limit.input.value), sort_order: lines().length + 1 }); toast("Item added."); load(); }
      catch (err) { name.setError(err.fields && err.fields.name); mount(m, alertBox("error", err.message)); }
    });
    mount(catalogue, form);
  }

  const offs = [
    live.onState(showSync),
    live.on("bakery.count", (d) => { apply(d); draw(); }),
    live.on("bakery.finalized", (d) => { if (d.date === date && d.kind === kind) load(); }),
    live.on("bakery.reset", (d) => { if (d.date === date && d.kind === kind && !inFlight()) load(); }),
    live.onReset(load)];
  await load();
  return { unmount: () => offs.forEach((f) => f()) };
}
