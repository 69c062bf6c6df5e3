package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReportExportDownloads: a manager sees, per report kind, only the
// formats it has (PDF for the schedule alone), asks for a CSV of the
// schedule; the request is listed, the in-process worker builds it, the row
// turns ready with a Download link (live event or poll), and the link serves
// the CSV with its header line and the rows the server counted. After a
// reload the report is still listed with its download, and the screen has
// no serious accessibility problems at desktop and phone sizes.
func TestReportExportDownloads(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	mgr := e.login("manager", "Bakery")
	ctx := e.page(1366, 800)
	e.signIn(ctx, mgr, e.seed.Password)
	monday := nextWeek().AddDate(0, 0, -7) // this week, published in the demo schedule
	e.do(ctx, "reports screen", chromedp.Navigate(e.base+"/reports"),
		chromedp.WaitVisible(chromedp.CSS(`select[name=kind]`)))
	// A manager reports on a department they manage (the server requires
	// one), so the screen offers no "all departments" choice.
	if opts := eval[[]string](e, ctx, `[...document.querySelectorAll("select[name=department_id] option")].map((o) => o.value)`); len(opts) == 0 || opts[0] == "" {
		t.Errorf("a manager's department choices are %q; want only their departments", opts)
	}
	// Each kind offers only its formats, and the screen says which each has.
	formatsOf := func(kind string) []string {
		return eval[[]string](e, ctx, fmt.Sprintf(`(() => { const k = document.querySelector("select[name=kind]");
			k.value = %q; k.dispatchEvent(new Event("change"));
			return [...document.querySelectorAll("select[name=format] option")].map((o) => o.value) })()`, kind))
	}
	for kind, want := range map[string]string{"hours": "csv,xlsx", "attendance": "csv,xlsx", "schedule": "csv,xlsx,pdf"} {
		if got := strings.Join(formatsOf(kind), ","); got != want {
			t.Errorf("formats offered for %s: %s, want %s", kind, got, want)
		}
	}
	listed := eval[string](e, ctx, `document.getElementById("report-formats").textContent`)
	for _, want := range []string{"Hours worked: CSV, Excel (XLSX)", "Schedule: CSV, Excel (XLSX), PDF"} {
		if !strings.Contains(listed, want) {
			t.Errorf("the formats per report read %q, want %q", listed, want)
		}
	}
	formatsOf("schedule")
	e.do(ctx, "ask for a schedule CSV",
		chromedp.SetValue(chromedp.CSS(`select[name=format]`), "csv"),
		chromedp.SetValue(chromedp.CSS(`input[name=from]`), monday.Format(time.DateOnly)),
		chromedp.SetValue(chromedp.CSS(`input[name=to]`), monday.AddDate(0, 0, 6).Format(time.DateOnly)),
		chromedp.SetValue(chromedp.CSS(`select[name=department_id]`), fmt.Sprint(e.deptID("Bakery"))),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		waitFor(`document.querySelector("#report-jobs li[data-report-id]") !== null`))
	id := eval[string](e, ctx, `document.querySelector("#report-jobs li").dataset.reportId`)
	if got := eval[string](e, ctx, `document.querySelector("#report-jobs li strong").textContent`); got != "Schedule · CSV" {
		t.Errorf("listed report reads %q, want the kind and format", got)
	}
	e.do(ctx, "the report gets ready", waitFor(`(() => {
		const li = document.querySelector("#report-jobs li");
		return li.querySelector(".badge").textContent === "ready" && li.querySelector("a[download]") !== null })()`))
	e.shot(ctx, "reports-ready")

	// The server's view of the report: ready, with the row count.
	res := e.apiCall(mgr, "GET", "/api/v1/reports/"+id, nil)
	var rep struct {
		Status string
		Rows   int
	}
	json.NewDecoder(res.Body).Decode(&rep)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || rep.Status != "ready" {
		t.Fatalf("GET report %s: %d %+v", id, res.StatusCode, rep)
	}
	if rep.Rows == 0 {
		t.Errorf("the schedule of a week with demo shifts has no rows")
	}
	// The Download link works from the page: the CSV header and one line per row.
	type download struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Body   string `json:"body"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[download](`(async () => {
		const r = await fetch(document.querySelector("#report-jobs a[download]").href);
		return { status: r.status, type: r.headers.get("Content-Type") || "", body: await r.text() } })()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch the download link: %v", err)
	}
	if got.Status != http.StatusOK || !strings.HasPrefix(got.Type, "text/csv") {
		t.Fatalf("download: %d %s %.200s", got.Status, got.Type, got.Body)
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(got.Body, "\r\n", "\n"), "\n"), "\n")
	if want := "date,day,department,employee,from,to,hours,position,notes,employee_id"; lines[0] != want {
		t.Errorf("CSV header = %q, want %q", lines[0], want)
	}
	if len(lines)-1 != rep.Rows {
		t.Errorf("CSV has %d data lines, the report says %d rows", len(lines)-1, rep.Rows)
	}
	if !strings.Contains(lines[len(lines)-1], "Bakery") {
		t.Errorf("last CSV line %q is not a Bakery shift", lines[len(lines)-1])
	}

	// "Your reports" comes from the server: a reload still lists the report, ready, with its download.
	row := fmt.Sprintf(`document.querySelector('#report-jobs li[data-report-id="%s"]')`, id)
	e.do(ctx, "reload the reports screen", chromedp.Reload(),
		waitFor(row+` !== null && `+row+`.querySelector(".badge").textContent === "ready" && `+row+`.querySelector("a[download]") !== null`))
	if got := eval[string](e, ctx, row+`.querySelector("strong").textContent`); got != "Schedule · CSV" {
		t.Errorf("after a reload the report reads %q", got)
	}
	if href := eval[string](e, ctx, row+`.querySelector("a[download]").href`); !strings.Contains(href, "/files/") {
		t.Errorf("after a reload the download link is %q", href)
	}
	e.checkA11y(ctx, "/reports with a ready report at 1366x800")
	phone := e.page(360, 740)
	e.signIn(phone, mgr, e.seed.Password)
	e.do(phone, "reports on a phone", chromedp.Navigate(e.base+"/reports"), waitFor(row+` !== null && `+row+`.querySelector("a[download]") !== null`))
	e.checkA11y(phone, "/reports with a ready report at 360x740")
}

// deptID is the id of the demo department.
func (e *env) deptID(name string) int64 {
	e.t.Helper()
	for _, d := range e.seed.Departments {
		if d.Name == name {
			return d.ID
		}
	}
	e.t.Fatalf("no demo department %s", name)
	return 0
}
