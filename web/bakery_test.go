package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// apiCall signs in over HTTP (Bearer) and sends one request.
func (e *env) apiCall(email, method, path string, body any) *http.Response {
	e.t.Helper()
	login, _ := json.Marshal(map[string]string{"email": email, "password": e.seed.Password})
	res, err := http.Post(e.base+"/api/v1/auth/login", "application/json", bytes.NewReader(login))
	if err != nil {
		e.t.Fatal(err)
	}
	var out struct{ Token string }
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+out.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// count is the number a page shows for the item.
func count(item int64) string {
	return fmt.Sprintf(`(document.getElementById("count-%d") || {}).textContent`, item)
}

// TestBakeryPagesConverge: two phones count the same sheet, one over the
// socket, taps interleaved; both end on the server's totals and say so.
func TestBakeryPagesConverge(t *testing.T) {
	e := newEnv(t)
	mgr := e.login("manager", "Bakery")
	var items []int64
	for _, it := range []struct {
		name  string
		limit int
	}{{"Croissant", 40}, {"Baguette", 2}} {
		res := e.apiCall(mgr, "POST", "/api/v1/bakery/items", map[string]any{"kind": "trayup", "name": it.name, "upper_limit": it.limit, "sort_order": len(items) + 1})
		var created struct{ ID int64 }
		json.NewDecoder(res.Body).Decode(&created)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || created.ID == 0 {
			t.Fatalf("create item %s: %d", it.name, res.StatusCode)
		}
		items = append(items, created.ID)
	}
	a, b := e.page(360, 780), e.page(360, 780)
	e.signIn(a, e.login("employee", "Bakery"), e.seed.Password)
	e.signIn(b, mgr, e.seed.Password)
	for i, page := range []context.Context{a, b} {
		e.do(page, fmt.Sprintf("page %d opens the sheet", i), chromedp.Navigate(e.base+"/bakery?kind=trayup"),
			waitFor(fmt.Sprintf(`document.getElementById("count-%d") !== null && document.getElementById("conn").dataset.state === "live"`, items[0])))
	}
	plus := func(item int64) string { return fmt.Sprintf(`button[data-item="%d"][data-delta="1"]`, item) }
	minus := func(item int64) string { return fmt.Sprintf(`button[data-item="%d"][data-delta="-1"]`, item) }
	// tap clicks in one script, so a re-render between finding the button
	// and clicking it cannot lose the node; then it waits for the page to
	// show the count the tap leads to.
	tap := func(page context.Context, what, sel string, item int64, want int) {
		t.Helper()
		if !eval[bool](e, page, fmt.Sprintf(`(() => { const b = document.querySelector(%q); if (!b || b.disabled) return false; b.click(); return true })()`, sel)) {
			t.Fatalf("%s: no enabled button %s", what, sel)
		}
		e.do(page, what, waitFor(fmt.Sprintf(`%s === "%d"`, count(item), want)))
	}
	// A taps + three times; B sees 3 without reloading.
	for i := 1; i <= 3; i++ {
		tap(a, "A taps +", plus(items[0]), items[0], i)
	}
	e.do(b, "B sees A's count", waitFor(count(items[0])+` === "3"`))
	// Interleaved taps on both phones: B +2, A −1 → 4 everywhere.
	tap(b, "B taps +", plus(items[0]), items[0], 4)
	e.do(a, "A sees B's tap", waitFor(count(items[0])+` === "4"`))
	tap(a, "A taps −", minus(items[0]), items[0], 3)
	e.do(b, "B sees A's tap", waitFor(count(items[0])+` === "3"`))
	tap(b, "B taps +", plus(items[0]), items[0], 4)
	for _, c := range []context.Context{a, b} {
		e.do(c, "converge", waitFor(count(items[0])+` === "4" && document.getElementById("sync").textContent === "in sync"`))
	}
	// The limit holds: Baguette stops at 2 and its + is disabled.
	for i := 1; i <= 2; i++ {
		tap(a, "A taps + on Baguette", plus(items[1]), items[1], i)
	}
	e.do(b, "limit", waitFor(count(items[1])+` === "2"`), waitFor(fmt.Sprintf(`document.querySelector(%q).disabled`, plus(items[1]))))
	e.shot(a, "bakery-counter-360")
	if !eval[bool](e, a, noOverflow) {
		t.Error("bakery counter overflows at 360 px")
	}
	// The server agrees with both screens.
	res := e.apiCall(mgr, "GET", "/api/v1/bakery/sheets/"+eval[string](e, a, `new URLSearchParams(location.search).get("date")`)+"/trayup", nil)
	var sheet struct {
		Lines []struct {
			ItemID int64 `json:"item_id"`
			Count  int   `json:"count"`
		} `json:"lines"`
	}
	json.NewDecoder(res.Body).Decode(&sheet)
	res.Body.Close()
	want := map[int64]int{items[0]: 4, items[1]: 2}
	for _, l := range sheet.Lines {
		if l.Count != want[l.ItemID] {
			t.Errorf("server count of item %d = %d, want %d", l.ItemID, l.Count, want[l.ItemID])
		}
	}
}

// TestBakeryFinalizeWithoutReload: two phones count the 108-item RTU sheet
// (search and categories narrow it; nothing sticks out at 360 px); one
// finalizes right after its own counts, without a reload, and the other
// sees the sheet finalized. A refused tap says why beside the item tapped.
func TestBakeryFinalizeWithoutReload(t *testing.T) {
	e := newEnv(t)
	mgr := e.login("manager", "Bakery")
	a, b := e.page(360, 740), e.page(360, 740)
	e.signIn(a, e.login("employee", "Bakery"), e.seed.Password)
	e.signIn(b, mgr, e.seed.Password)
	for i, page := range []context.Context{a, b} {
		e.do(page, fmt.Sprintf("phone %d opens the RTU sheet", i), chromedp.Navigate(e.base+"/bakery?kind=rtu"),
			waitFor(`document.querySelectorAll("#counter .count-item").length === 108 && document.getElementById("conn").dataset.state === "live"`))
	}
	if !eval[bool](e, a, noOverflow) {
		t.Errorf("RTU sheet overflows at 360 px: scrollWidth %v", eval[float64](e, a, `document.documentElement.scrollWidth`))
	}
	itemID := func(page context.Context, name string) int64 {
		t.Helper()
		id := eval[int64](e, page, fmt.Sprintf(`Number(([...document.querySelectorAll("#counter .count-item")].find((el) => el.querySelector(".name").textContent === %q) || {dataset: {}}).dataset.itemId || 0)`, name))
		if id == 0 {
			t.Fatalf("no item %q on the page", name)
		}
		return id
	}
	names := `[...document.querySelectorAll("#counter .count-item .name")].map((n) => n.textContent)`
	// Search narrows to the bagels; a category shows only its items.
	e.do(a, "search bagel", chromedp.SendKeys(chromedp.CSS(`#bk-search`), "bagel"), waitFor(`document.querySelectorAll("#counter .count-item").length === 10`))
	bagel := itemID(a, "Plain Bagel")
	e.do(a, "clear search",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("bk-search"); s.value = ""; s.dispatchEvent(new Event("input")); })()`),
		waitFor(`document.querySelectorAll("#counter .count-item").length === 108`))
	e.do(b, "donuts", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#bk-cats button")].find((x) => x.textContent === "Donuts").click()`),
		waitFor(`document.querySelector("#bk-cats button[aria-pressed=true]").textContent === "Donuts"`))
	if got := eval[[]string](e, b, names); len(got) < 8 || strings.Contains(strings.Join(got, ","), "Bagel") || !strings.Contains(strings.Join(got, ","), "Honey Dip Donut") {
		t.Errorf("Donuts shows %v", got)
	}
	donut := itemID(b, "Honey Dip Donut")
	e.shot(b, "bakery-rtu-donuts-360")
	plus := func(item int64) string {
		return fmt.Sprintf(`document.querySelector('button[data-item="%d"][data-delta="1"]').click()`, item)
	}
	// Both phones count; A finalizes straight after its own taps.
	e.do(a, "A counts a bagel twice", chromedp.Evaluate[chromedp.Void](plus(bagel)), waitFor(count(bagel)+` === "1"`),
		chromedp.Evaluate[chromedp.Void](plus(bagel)), waitFor(count(bagel)+` === "2" && document.getElementById("sync").textContent === "in sync"`))
	e.do(b, "B counts a donut", chromedp.Evaluate[chromedp.Void](plus(donut)), waitFor(count(donut)+` === "1" && document.getElementById("sync").textContent === "in sync"`))
	e.do(a, "A sees B's donut", waitFor(count(donut)+` === "1"`))
	// A retired item refuses the tap; the reason shows beside it.
	res := e.apiCall(mgr, "PATCH", fmt.Sprintf("/api/v1/bakery/items/%d", donut), map[string]any{"active": false})
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("retire the donut: %d", res.StatusCode)
	}
	e.do(b, "refused tap", chromedp.Evaluate[chromedp.Void](plus(donut)),
		waitFor(fmt.Sprintf(`(document.getElementById("err-%d") || {textContent: ""}).textContent.includes("no longer sold") && document.querySelector('.count-item[data-item-id="%d"] #err-%d') !== null`, donut, donut, donut)))
	e.shot(b, "bakery-refused-tap-360")
	e.do(a, "A finalizes without a reload",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true; document.getElementById("finalize").click()`),
		waitFor(`document.querySelector("main").textContent.includes("finalized and read-only")`))
	e.do(b, "B sees it finalized", waitFor(`document.querySelector("main").textContent.includes("finalized and read-only") && document.getElementById("finalize").hidden`))
	if eval[bool](e, a, `!!document.querySelector("main .alert.error")`) {
		t.Errorf("A shows an error: %s", eval[string](e, a, `document.querySelector("main .alert.error").textContent`))
	}
	e.shot(a, "bakery-finalized-360")
	e.checkA11y(a, "bakery counter (RTU) at 360")
}
