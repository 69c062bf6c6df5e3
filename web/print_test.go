package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestWeekPrintView: the week builder in print media hides the app bar,
// the controls and the drafts, and prints the week table with the
// published shifts (computed styles, as the printer would lay them out).
func TestWeekPrintView(t *testing.T) {
	e := newEnv(t).withDemoShifts()
	ctx := e.page(1280, 900)
	mgr := e.login("manager", "Bakery")
	monday := nextWeek().AddDate(0, 0, -7) // this week: the demo schedule is published
	// One draft (an open shift, so it conflicts with nobody) next to them.
	wed := monday.AddDate(0, 0, 2)
	res := e.apiCall(mgr, "POST", "/api/v1/shifts", map[string]any{"department_id": e.deptID("Bakery"), "employee_id": nil,
		"starts_at": wed.Add(5 * time.Hour).Format(time.RFC3339), "ends_at": wed.Add(7 * time.Hour).Format(time.RFC3339), "position": "Proofing"})
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create a draft: %d", res.StatusCode)
	}
	e.signIn(ctx, mgr, e.seed.Password)
	thisWeek := monday.Format("2006-01-02")
	e.do(ctx, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, e.deptID("Bakery"), thisWeek)),
		waitFor(`document.querySelector("table.week button.shift:not(.draft)") !== null && document.querySelector("table.week button.shift.draft") !== null`))
	// On screen the controls show.
	shown := `(sel) => [...document.querySelectorAll(sel)].filter((el) => getComputedStyle(el).display !== "none" && el.getClientRects().length > 0).length`
	count := func(sel string) int {
		t.Helper()
		return eval[int](e, ctx, fmt.Sprintf(`(%s)(%q)`, shown, sel))
	}
	if count(".no-print") == 0 || count("#appbar") == 0 {
		t.Fatalf("on screen the controls and app bar are hidden already")
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	e.do(ctx, "print media applies", waitFor(`matchMedia("print").matches`))
	e.shot(ctx, "week-print")
	for _, sel := range []string{".no-print", "#appbar", "#publish", "button.add", ".toasts"} {
		if n := count(sel); n != 0 {
			t.Errorf("print view shows %d of %s", n, sel)
		}
	}
	if n := count("table.week"); n != 1 {
		t.Errorf("print view shows %d week tables, want 1", n)
	}
	if n := count("table.week tbody tr"); n < 2 {
		t.Errorf("print view shows %d rows of the week", n)
	}
	published := eval[int](e, ctx, `document.querySelectorAll("table.week .shift:not(.draft)").length`)
	if n := count("table.week .shift:not(.draft)"); n == 0 || n != published {
		t.Errorf("print view shows %d of the %d published shifts", n, published)
	}
	if n := count("table.week .shift.draft"); n != 0 {
		t.Errorf("print view shows %d drafts", n)
	}
	// The week still fits the page width: nothing scrolls sideways.
	if !eval[bool](e, ctx, noOverflow) {
		t.Errorf("print view overflows: scrollWidth %v", eval[float64](e, ctx, `document.documentElement.scrollWidth`))
	}
}

// TestWeekPrintsOnOneLandscapePage: a published week of a department of 15
// people, each with five shifts, prints (Chromium's PDF, the CSS page size)
// on one landscape page headed with the store's name, the week and the
// print date, without the drafts' legend.
func TestWeekPrintsOnOneLandscapePage(t *testing.T) {
	pdfinfo, pdftotext := testutil.LookTool(t, "pdfinfo"), testutil.LookTool(t, "pdftotext")
	e := newEnv(t)
	dept := e.deptID("Bakery")
	var staff []int64
	for _, p := range e.seed.Employees {
		if p.Active && p.Role != auth.RoleKiosk && slices.Contains(p.DepartmentIDs, dept) {
			staff = append(staff, p.ID)
		}
	}
	for i := len(staff); i < 15; i++ {
		first, last, email, role, pw := "Extra", fmt.Sprintf("Baker %02d", i), fmt.Sprintf("extra%02d@demo.example.com", i), auth.RoleEmployee, "a-long-test-password"
		p, err := e.app.People.CreateEmployee(context.Background(), auth.System, people.EmployeeInput{FirstName: &first, LastName: &last,
			Email: &email, Role: &role, DepartmentIDs: &[]int64{dept}, Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		staff = append(staff, p.ID)
	}
	if len(staff) != 15 {
		t.Fatalf("%d people in the Bakery, want 15", len(staff))
	}
	monday := nextWeek()
	for i, id := range staff {
		for d := range 5 {
			e.addShift(dept, &id, monday.AddDate(0, 0, (i+d)%7).Add(time.Duration(6+i%4)*time.Hour), 8, "published")
		}
	}
	ctx := e.page(1366, 800)
	e.signIn(ctx, e.login("manager", "Bakery"), e.seed.Password)
	e.do(ctx, "week builder", chromedp.Navigate(fmt.Sprintf("%s/week?dept=%d&week=%s", e.base, dept, monday.Format(time.DateOnly))),
		waitFor(`document.querySelectorAll("table.week button.shift").length === 75`))
	prefer := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &prefer})
	if err != nil {
		t.Fatal(err)
	}
	pdf := res.Data
	file := filepath.Join(t.TempDir(), "week.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(artifacts, 0o755)
	os.WriteFile(filepath.Join(artifacts, "week-print.pdf"), pdf, 0o644)
	info, err := exec.Command(pdfinfo, file).Output()
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	var w, h float64
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			fmt.Sscan(strings.TrimSpace(v), &pages)
		}
		if v, ok := strings.CutPrefix(line, "Page size:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%f x %f", &w, &h)
		}
	}
	t.Logf("printed week: %d page(s), %.0f x %.0f pt", pages, w, h)
	if pages != 1 {
		t.Errorf("the week prints on %d pages, want 1", pages)
	}
	if w <= h {
		t.Errorf("page %.0f x %.0f pt is not landscape", w, h)
	}
	text, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.app.People.GetStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	store := st.Name
	printed := eval[string](e, ctx, fmt.Sprintf(`new Intl.DateTimeFormat([], { year: "numeric", month: "long", day: "numeric", timeZone: %q }).format(new Date())`, st.Timezone))
	week := eval[string](e, ctx, fmt.Sprintf(`new Date(%d, %d, %d).toLocaleDateString([], { month: "long", day: "numeric", year: "numeric" })`, monday.Year(), monday.Month()-1, monday.Day()))
	flat := strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{store, "week of " + week, "printed " + printed, "Extra Baker 14"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the printed page lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(flat, "draft") {
		t.Errorf("the printed published week mentions drafts:\n%s", text)
	}
}
