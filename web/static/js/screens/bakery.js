// Bakery counter, phone first: big +/- per item, limits shown, live sync with
// other devices over the socket (bakery.count events) and a visible sync
// state; finalize makes the sheet read-only.
import { h, mount, alertBox, toast, unavailable, ymd } from "../ui.js";

export async function render(main, ctx) {
  const { api } = ctx;
  const params = new URLSearchParams(location.search);
  let date = params.get("date") || ymd(new Date());
  let kind = params.get("kind") || "bake";
  let items = [], sheet = null;
  const counts = new Map(); // item_id -> {count, version}
  const pending = new Map(); // item_id -> timer
  const sync = h("span.sync.conn", { id: "sync", role: "status", "aria-live": "polite", dataset: { state: "live" } }, "in sync");
  const list = h("div.counter", { id: "counter" });
  const msg = h("div", { "aria-live": "assertive" });
  const dateIn = h("input", { type: "date", id: "bk-date", value: date });
  const kindSel = h("select", { id: "bk-kind" }, ["bake", "waste", "order"].map((k) => h("option", { value: k, selected: k === kind || undefined }, k)));
  const finalize = h("button.primary", { type: "button", id: "finalize" }, "Finalize sheet");
  mount(main, h("div.stack", h("div.row.spread", h("h1", "Bakery counter"), sync),
    h("div.form-row", h("div.field", h("label", { for: "bk-date" }, "Date"), dateIn), h("div.field", h("label", { for: "bk-kind" }, "Sheet"), kindSel)),
    msg, list, finalize));
  dateIn.addEventListener("change", () => { date = dateIn.value; load(); });
  kindSel.addEventListener("change", () => { kind = kindSel.value; load(); });

  const setSync = (state, text) => { sync.dataset.state = state; sync.textContent = text; };
  const offState = ctx.live.onState((st) => { if (st !== "live") setSync("offline", "offline — counts will sync when back"); else if (!pending.size) setSync("live", "in sync"); });
  const finalized = () => sheet && (sheet.status === "finalized" || sheet.finalized || sheet.finalized_at);

  async function load() {
    history.replaceState({}, "", `/bakery?date=${date}&kind=${kind}`);
    try {
      const [it, sh] = await Promise.all([api.get("/bakery/items"), api.get(`/bakery/sheets/${date}/${kind}`)]);
      items = it.items || it || [];
      sheet = sh;
      counts.clear();
      for (const c of sh.counts || sh.items || sh.lines || []) counts.set(c.item_id, { count: c.count, version: c.version });
      mount(msg);
      draw();
    } catch (err) {
      mount(list, err.missing ? unavailable("The bakery counter") : alertBox("error", err.message));
      finalize.hidden = true;
    }
  }

  function draw() {
    finalize.hidden = !!finalized();
    if (finalized()) mount(msg, alertBox("info", "This sheet is finalized and read-only."));
    mount(list, items.length ? items.map((it) => {
      const c = counts.get(it.id) || { count: 0, version: 0 };
      const max = it.max ?? it.max_count ?? it.limit, min = it.min ?? it.min_count ?? 0;
      const out = h("output", { id: `count-${it.id}`, "aria-live": "polite", class: max !== undefined && max !== null && c.count > max ? "over" : "" }, String(c.count));
      const btn = (delta, label) => h("button", { type: "button", "aria-label": `${label} ${it.name}`, disabled: finalized() || (delta < 0 && c.count <= 0) || undefined,
        dataset: { item: it.id, delta }, onclick: () => change(it, delta) }, delta > 0 ? "+" : "−");
      return h("div.count-item", { dataset: { itemId: it.id } },
        h("div", h("div.name", it.name), h("div.small.muted", [it.unit, max != null ? `limit ${min}–${max}` : null].filter(Boolean).join(" · "))),
        h("div.count-ctl", btn(-1, "One less"), out, btn(1, "One more")));
    }) : h("p.empty", "No bakery items yet."));
  }

  function change(it, delta) {
    const c = counts.get(it.id) || { count: 0, version: 0 };
    c.count = Math.max(0, c.count + delta);
    counts.set(it.id, c);
    draw();
    document.querySelector(`[data-item="${it.id}"][data-delta="${delta}"]`)?.focus();
    clearTimeout(pending.get(it.id));
    setSync("syncing", "saving…");
    pending.set(it.id, setTimeout(() => save(it.id), 250));
  }

  async function save(itemId) {
    const c = counts.get(itemId);
    try {
      const res = await api.put(`/bakery/sheets/${date}/${kind}`, { item_id: itemId, count: c.count });
      pending.delete(itemId);
      const line = res && (res.counts || res.items || []).find?.((x) => x.item_id === itemId);
      if (line) counts.set(itemId, { count: pending.has(itemId) ? c.count : line.count, version: line.version });
      else if (res && res.version !== undefined && res.item_id === itemId) c.version = res.version;
      if (!pending.size) setSync("live", "in sync");
    } catch (err) {
      pending.delete(itemId);
      setSync("offline", "not saved");
      mount(msg, alertBox("error", err.message));
      load();
    }
  }

  finalize.addEventListener("click", async () => {
    if (!confirm("Finalize this sheet? Nobody can change it afterwards.")) return;
    try { sheet = await api.post(`/bakery/sheets/${date}/${kind}/finalize`); toast("Sheet finalized."); load(); }
    catch (err) { mount(msg, alertBox("error", err.message)); }
  });

  const offs = [offState,
    ctx.live.on("bakery.count", (d) => {
      if (d.date !== date || d.kind !== kind || pending.has(d.item_id)) return;
      const c = counts.get(d.item_id);
      if (c && c.version > d.version) return; // older than what we have
      counts.set(d.item_id, { count: d.count, version: d.version });
      draw();
    }),
    ctx.live.on("bakery.finalized", (d) => { if (d.date === date && d.kind === kind) load(); }),
    ctx.live.onReset(load)];
  await load();
  return { unmount: () => offs.forEach((f) => f()) };
}
