// Reports: ask for one, watch its progress live (report.ready), download.
import { h, mount, field, alertBox, ymd, addDays } from "../ui.js";

export function render(main, ctx) {
  const { api } = ctx;
  const kind = field("Report", { name: "kind" }, "select", [["hours", "Hours worked"], ["attendance", "Attendance"], ["schedule", "Schedule"]]);
  const from = field("From", { type: "date", name: "from", value: ymd(addDays(new Date(), -7)), required: true });
  const to = field("To", { type: "date", name: "to", value: ymd(new Date()), required: true });
  // Managers report on one of their departments (the server requires it); admins may take all.
  const admin = ctx.me.role === "admin";
  const mine = ctx.departments.filter((d) => admin || ctx.me.department_ids.includes(d.id));
  const dept = field("Department", { name: "department_id" }, "select", [...(admin ? [["", "All departments"]] : []), ...mine.map((d) => [d.id, d.name])]);
  const format = field("Format", { name: "format" }, "select", [["csv", "CSV"], ["xlsx", "Excel (XLSX)"], ["pdf", "PDF"]]);
  const msg = h("div", { "aria-live": "assertive" });
  const jobs = h("ul.list", { id: "report-jobs", "aria-live": "polite" });
  const form = h("form.card.stack", h("h2", "New report"), h("div.form-row", kind, format), h("div.form-row", from, to), dept, msg,
    h("button.primary", { type: "submit" }, "Build report"));
  mount(main, h("div.stack", h("h1", "Reports"), h("div.grid", form, h("section.card", h("h2", "Your reports"), jobs))));
  const rows = new Map();

  function show(r) {
    let li = rows.get(r.id);
    if (!li) { li = h("li", { dataset: { reportId: r.id } }); rows.set(r.id, li); jobs.prepend(li); }
    const done = r.status === "ready" || r.status === "done";
    const failed = r.status === "failed";
    mount(li, h("div", h("strong", `#${r.id} ${r.kind || ""} ${r.format || ""}`), " ", h(`span.badge.${done ? "ok" : failed ? "danger" : "info"}`, r.status === "retrying" ? "retrying after an interruption" : r.status)),
      done && r.download_url ? h("a.btn.primary", { href: r.download_url, download: "" }, "Download")
        : failed ? h("span.small", r.error || "Failed") : h("progress", { "aria-label": `Report ${r.id} progress`, ...(r.progress != null ? { max: 100, value: r.progress } : {}) }));
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    [from, to, dept].forEach((f) => f.setError(""));
    mount(msg);
    try {
      const body = { kind: kind.input.value, from: from.input.value, to: to.input.value, format: format.input.value };
      if (dept.input.value) body.department_id = Number(dept.input.value);
      const r = await api.post("/reports", body, { idempotencyKey: api.newKey() });
      show({ ...body, ...r });
      poll(r.id, 0);
    } catch (err) {
      if (err.fields) { from.setError(err.fields.from); to.setError(err.fields.to); dept.setError(err.fields.department_id); }
      mount(msg, alertBox("error", err.message));
    }
  });

  // The socket brings report.ready; a slow poll covers a missed event.
  async function poll(id, n) {
    if (n > 60 || !rows.has(id)) return;
    setTimeout(async () => {
      try { const r = await api.get(`/reports/${id}`); show({ id, ...r }); if (r.status === "ready" || r.status === "failed" || r.status === "done") return; } catch (_) { /* retry */ }
      poll(id, n + 1);
    }, Math.min(10000, 1000 * 2 ** Math.min(n, 3)));
  }
  const offs = [ctx.live.on("report.ready", (d) => { if (rows.has(d.id)) show(d); })];
  return { unmount: () => offs.forEach((f) => f()) };
}
