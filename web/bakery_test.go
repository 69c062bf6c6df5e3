package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
