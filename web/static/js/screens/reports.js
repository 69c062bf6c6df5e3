// Reports: ask for one in a format its kind has, watch its progress live
// (report.ready), download. "Your reports" is the server's list of the
// person's own reports, so it survives a reload.
import { h, mount, field, alertBox, ymd, addDays, today, fmtDateTime } from "../ui.js";

const formatNames = { csv: "CSV", xlsx: "Excel (XLSX)", pdf: "PDF" };
const formatName = (f) => formatNames[f] || f.toUpperCase();
const finished = (s) => s === "ready" || s === "failed";

export async function render(main, ctx) {
  const { api } = ctx;
  let kinds = [];
  try { kinds = (await api.get("/reports/kinds")).items || []; } catch (err) { mount(main, alertBox("error", err.message)); return; }
  const kindOf = (k) => kinds.find((x) => x.kind === k);
  const label = (k) => (kindOf(k) || { label: k }).label;

  const kind = field("Report", { name: "kind" }, "select", kinds.map((k) => [k.kind, k.label]));
  const format = field("Format", { name: "format" }, "select", []);
  const about = h("p.small.muted", { id: "report-kind-about", "aria-live": "polite" });
  kind.input.setAttribute("aria-describedby", `${kind.input.id}-err report-kind-about`);
  // Only the formats the chosen kind can be built in are offered.
  function offerFormats() {
    const k = kindOf(kind.input.value);
    const keep = format.input.value;
    mount(format.input, (k ? k.formats : []).map((f) => h("option", { value: f }, formatName(f))));
    if (k && k.formats.includes(keep)) format.input.value = keep;
    about.textContent = k ? k.description : "";
  }
  kind.input.addEventListener("change", offerFormats);
  offerFormats();

  const from = field("From", { type: "date", name: "from", value: ymd(addDays(today(), -7)), required: true });
  const to = field("To", { type: "date", name: "to", value: ymd(today()), required: true });
  // Managers report on one of their departments (the server requires it); admins may take all.
  const admin = ctx.me.role === "admin";
  const mine = ctx.departments.filter((d) => admin || ctx.me.department_ids.includes(d.id));
  const dept = field("Department", { name: "department_id" }, "select", [...(admin ? [["", "All departments"]] : []), ...mine.map((d) => [d.id, d.name])]);
  const msg = h("div", { "aria-live": "assertive" });
  const jobs = h("ul.list", { id: "report-jobs", "aria-live": "polite" });
  const more = h("div");
  const formats = h("section", { "aria-labelledby": "report-formats-title" }, h("h3", { id: "report-formats-title" }, "Formats per report"),
    h("ul.small", { id: "report-formats" }, kinds.map((k) => h("li", h("strong", k.label), `: ${k.formats.map(formatName).join(", ")}`))));
  const form = h("form.card.stack", h("h2", "New report"), h("div.form-row", kind, format), about, h("div.form-row", from, to), dept, msg,
    h("button.primary", { type: "submit" }, "Build report"), formats);
  mount(main, h("div.stack", h("h1", "Reports"), h("div.grid", form, h("section.card", h("h2", "Your reports"), jobs, more))));
  const rows = new Map();

  function show(r, { append = false } = {}) {
    let li = rows.get(r.id);
    if (!li) {
      li = h("li", { dataset: { reportId: r.id } });
      rows.set(r.id, li);
      if (append) jobs.append(li); else jobs.prepend(li);
    }
    const prev = li.report || {};
    r = { ...prev, ...r };
    li.report = r;
    const done = r.status === "ready";
    const failed = r.status === "failed";
    const title = `${label(r.kind)} · ${formatName(r.format || "")}`;
    mount(li, h("div",
      h("div", h("strong", title), " ", h(`span.badge.${done ? "ok" : failed ? "danger" : "info"}`, r.status === "retrying" ? "retrying after an interruption" : r.status)),
      r.from ? h("div.small.muted", `${r.from} to ${r.to}${r.created_at ? ` · asked ${fmtDateTime(r.created_at)}` : ""}${done && r.rows != null ? ` · ${r.rows} row${r.rows === 1 ? "" : "s"}` : ""}`) : null),
    done && r.download_url ? h("a.btn.primary", { href: r.download_url, download: "", "aria-label": `Download ${title}, ${r.from} to ${r.to}` }, "Download")
      : failed ? h("span.small", r.reason || "Failed")
        : h("progress", { "aria-label": `${title} ${r.from || ""} to ${r.to || ""}: ${r.status}` }));
  }

  // The list from the server: the person's own reports, newest first.
  async function loadPage(cursor) {
    try {
      const page = await api.get("/reports" + api.qs({ cursor, limit: 20 }));
      for (const r of page.items || []) { show(r, { append: true }); if (!finished(r.status)) poll(r.id, 0); }
      if (!jobs.children.length) mount(jobs, h("li.empty", { id: "no-reports" }, "No reports yet."));
      mount(more, page.next_cursor ? h("button", { type: "button", onclick: () => loadPage(page.next_cursor) }, "Show older reports") : null);
    } catch (err) { mount(more, alertBox("error", err.message)); }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    [kind, format, from, to, dept].forEach((f) => f.setError(""));
    mount(msg);
    try {
      const body = { kind: kind.input.value, from: from.input.value, to: to.input.value, format: format.input.value };
      if (dept.input.value) body.department_id = Number(dept.input.value);
      const r = await api.post("/reports", body, { idempotencyKey: api.newKey() });
      jobs.querySelector("#no-reports")?.remove();
      show(r);
      poll(r.id, 0);
    } catch (err) {
      if (err.fields) { kind.setError(err.fields.kind); format.setError(err.fields.format); from.setError(err.fields.from); to.setError(err.fields.to); dept.setError(err.fields.department_id); }
      mount(msg, alertBox("error", err.message));
    }
  });

  // The socket brings report.ready; a slow poll covers a missed event.
  let gone = false;
  async function poll(id, n) {
    if (gone || n > 60 || !rows.has(id)) return;
    setTimeout(async () => {
      if (gone) return;
      try { const r = await api.get(`/reports/${id}`); show(r); if (finished(r.status)) return; } catch (_) { /* retry */ }
      poll(id, n + 1);
    }, Math.min(10000, 1000 * 2 ** Math.min(n, 3)));
  }
  // The event says ready or failed; the row count comes with the report itself.
  const offs = [ctx.live.on("report.ready", (d) => { if (rows.has(d.id)) { show(d); api.get(`/reports/${d.id}`).then(show, () => {}); } })];
  await loadPage();
  return { unmount: () => { gone = true; offs.forEach((f) => f()); } };
}
