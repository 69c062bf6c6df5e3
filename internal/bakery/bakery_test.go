package bakery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

type env struct {
	d                     *db.DB
	svc                   *bakery.Service
	dept, deli            int64
	admin, manager, baker auth.Principal
	deliWorker, kiosk     auth.Principal
	clock                 *testutil.Clock
	day                   time.Time
}

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	ppl := &people.Service{W: w}
	if err := ppl.EnsureStore(ctx, "Test Store", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) int64 {
		dep, err := ppl.CreateDepartment(ctx, auth.System, people.DepartmentInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		return dep.ID
	}
	deli, bak := mk("Deli"), mk("Bakery")
	r, _ := testutil.Redis(t)
	return &env{
		d: d, svc: bakery.New(w, ppl, r), dept: bak, deli: deli, clock: clock,
		admin:      auth.Principal{UserID: 1, Role: auth.RoleAdmin},
		manager:    auth.Principal{UserID: 2, Role: auth.RoleManager, DeptIDs: []int64{bak}},
		baker:      auth.Principal{UserID: 3, Role: auth.RoleEmployee, DeptIDs: []int64{bak}},
		deliWorker: auth.Principal{UserID: 4, Role: auth.RoleEmployee, DeptIDs: []int64{deli}},
		kiosk:      auth.Principal{UserID: 5, Role: auth.RoleKiosk},
		day:        time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC),
	}
}

func ptr[T any](v T) *T { return &v }

func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return e
}

func firstItem(t *testing.T, e *env, kind string) bakery.Item {
	t.Helper()
	items, err := e.svc.ListItems(context.Background(), e.baker, bakery.ItemFilter{Kind: kind})
	if err != nil || len(items) == 0 {
		t.Fatalf("items: %v %d", err, len(items))
	}
	return items[0]
}

func TestCatalogueIsSeeded(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		for _, tc := range []struct {
			kind     string
			min, max int
			has      string
		}{
			{bakery.KindTrayUp, 18, 30, "Butter Croissant"},
			{bakery.KindRTU, 90, 130, "Plain Bagel"},
		} {
			items, err := e.svc.ListItems(ctx, e.baker, bakery.ItemFilter{Kind: tc.kind})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) < tc.min || len(items) > tc.max {
				t.Errorf("%s: %d items, want %d..%d", tc.kind, len(items), tc.min, tc.max)
			}
			found := false
			for i, it := range items {
				found = found || it.Name == tc.has
				if it.UpperLimit <= 0 || (i > 0 && it.SortOrder < items[i-1].SortOrder) {
					t.Errorf("%s: bad item %+v", tc.kind, it)
				}
			}
			if !found {
				t.Errorf("%s: no %q", tc.kind, tc.has)
			}
		}
	})
}

func TestAccess(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		item := firstItem(t, e, bakery.KindTrayUp)
		for _, tc := range []struct {
			desc      string
			p         auth.Principal
			count     apperr.Code // "" = allowed
			editItems apperr.Code
		}{
			{"admin", e.admin, "", ""},
			{"bakery manager", e.manager, "", ""},
			{"baker", e.baker, "", apperr.Forbidden},
			{"deli worker", e.deliWorker, apperr.Forbidden, apperr.Forbidden},
			{"kiosk", e.kiosk, apperr.Forbidden, apperr.Forbidden},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				_, err := e.svc.Count(ctx, tc.p, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: item.ID, Delta: ptr(1)})
				if tc.count == "" && err != nil {
					t.Fatalf("count: %v", err)
				} else if tc.count != "" {
					wantCode(t, err, tc.count)
				}
				_, err = e.svc.UpdateItem(ctx, tc.p, item.ID, bakery.ItemInput{SortOrder: ptr(item.SortOrder)}, nil)
				if tc.editItems == "" && err != nil {
					t.Fatalf("edit: %v", err)
				} else if tc.editItems != "" {
					wantCode(t, err, tc.editItems)
				}
			})
		}
		// Moving the bakery to the deli (store setting) moves the rights.
		if _, err := e.svc.PutSettings(ctx, e.admin, bakery.SettingsInput{DepartmentID: &e.deli}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Count(ctx, e.deliWorker, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: item.ID, Delta: ptr(1)}); err != nil {
			t.Fatalf("deli after setting: %v", err)
		}
		_, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: item.ID, Delta: ptr(1)})
		wantCode(t, err, apperr.Forbidden)
	})
}

func TestCountValidation(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		tray := firstItem(t, e, bakery.KindTrayUp)
		rtu := firstItem(t, e, bakery.KindRTU)
		if _, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: tray.ID, Count: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			desc  string
			in    bakery.CountInput
			code  apperr.Code
			field string
			says  string
		}{
			{"nothing", bakery.CountInput{ItemID: tray.ID}, apperr.ValidationFailed, "delta", "either"},
			{"both", bakery.CountInput{ItemID: tray.ID, Delta: ptr(1), Count: ptr(1)}, apperr.ValidationFailed, "delta", "not both"},
			{"zero delta", bakery.CountInput{ItemID: tray.ID, Delta: ptr(0)}, apperr.ValidationFailed, "delta", "not be 0"},
			{"huge delta", bakery.CountInput{ItemID: tray.ID, Delta: ptr(5000)}, apperr.ValidationFailed, "delta", "between"},
			{"below zero", bakery.CountInput{ItemID: tray.ID, Delta: ptr(-3)}, apperr.ValidationFailed, "delta", "never negative"},
			{"above limit", bakery.CountInput{ItemID: tray.ID, Delta: ptr(tray.UpperLimit)}, apperr.ValidationFailed, "delta", "above its limit"},
			{"negative count", bakery.CountInput{ItemID: tray.ID, Count: ptr(-1)}, apperr.ValidationFailed, "count", "negative"},
			{"count over limit", bakery.CountInput{ItemID: tray.ID, Count: ptr(tray.UpperLimit + 1)}, apperr.ValidationFailed, "count", "above the limit"},
			{"no item", bakery.CountInput{Delta: ptr(1)}, apperr.ValidationFailed, "item_id", "required"},
			{"unknown item", bakery.CountInput{ItemID: 999999, Delta: ptr(1)}, apperr.ValidationFailed, "item_id", "no bakery item"},
			{"item of other sheet", bakery.CountInput{ItemID: rtu.ID, Delta: ptr(1)}, apperr.ValidationFailed, "item_id", "not on the tray-up sheet"},
			{"stale version", bakery.CountInput{ItemID: tray.ID, Delta: ptr(1), Version: ptr(int64(0))}, apperr.StaleVersion, "", ""},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				_, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindTrayUp, tc.in)
				ae := wantCode(t, err, tc.code)
				if tc.field != "" && !strings.Contains(ae.Fields[tc.field], tc.says) {
					t.Errorf("fields %v, want %s: ...%s...", ae.Fields, tc.field, tc.says)
				}
			})
		}
		sh, err := e.svc.GetSheet(ctx, e.baker, e.day, bakery.KindTrayUp)
		if err != nil {
			t.Fatal(err)
		}
		if sh.Total != 2 || sh.Lines[0].Count != 2 || sh.Lines[0].Version != 1 {
			t.Errorf("rejected counts changed the sheet: total %d line %+v", sh.Total, sh.Lines[0])
		}
		// A date far from today cannot start a sheet.
		_, err = e.svc.Count(ctx, e.baker, e.day.AddDate(0, 0, 10), bakery.KindTrayUp, bakery.CountInput{ItemID: tray.ID, Delta: ptr(1)})
		wantCode(t, err, apperr.ValidationFailed)
		_, err = e.svc.Count(ctx, e.baker, e.day, "bread", bakery.CountInput{ItemID: tray.ID, Delta: ptr(1)})
		wantCode(t, err, apperr.NotFound)
	})
}

// TestConcurrentCountsConverge: several devices add and remove at once; the
// stored total is the sum of the accepted deltas, never leaves 0..limit, and
// replaying the bakery.count events in seq order ends at the stored counts.
func TestConcurrentCountsConverge(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		items, err := e.svc.ListItems(ctx, e.baker, bakery.ItemFilter{Kind: bakery.KindTrayUp})
		if err != nil {
			t.Fatal(err)
		}
		items = items[:3]
		const devices, perDevice = 6, 8
		var mu sync.Mutex
		accepted := map[int64]int{}
		var wg sync.WaitGroup
		for dev := range devices {
			p := auth.Principal{UserID: int64(100 + dev), Role: auth.RoleEmployee, DeptIDs: []int64{e.dept}}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perDevice {
					it := items[(dev+i)%len(items)]
					delta := 1
					if i%4 == 3 {
						delta = -1
					}
					_, err := e.svc.Count(ctx, p, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: it.ID, Delta: &delta})
					if err != nil {
						if ae, ok := apperr.As(err); ok && ae.Code == apperr.ValidationFailed {
							continue // a -1 that would go below zero
						}
						t.Errorf("count: %v", err)
						return
					}
					mu.Lock()
					accepted[it.ID] += delta
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		sh, err := e.svc.GetSheet(ctx, e.baker, e.day, bakery.KindTrayUp)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[int64]int{}
		for _, l := range sh.Lines {
			stored[l.ItemID] = l.Count
		}
		replayed := map[int64]int{}
		lastVersion := map[int64]int64{}
		evs, err := outbox.Reader{DB: d}.After(ctx, 0, []string{outbox.DeptTopic(e.dept)}, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Type != bakery.EventCount {
				continue
			}
			var c bakery.CountEvent
			json.Unmarshal(ev.Data, &c)
			if c.Version <= lastVersion[c.ItemID] {
				t.Errorf("item %d: version %d after %d", c.ItemID, c.Version, lastVersion[c.ItemID])
			}
			lastVersion[c.ItemID] = c.Version
			replayed[c.ItemID] = c.Count
		}
		for _, it := range items {
			if stored[it.ID] != accepted[it.ID] || replayed[it.ID] != stored[it.ID] {
				t.Errorf("%s: stored %d, accepted sum %d, replayed %d", it.Name, stored[it.ID], accepted[it.ID], replayed[it.ID])
			}
		}
	})
}

func TestFinalizeAndReset(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		it := firstItem(t, e, bakery.KindRTU)
		if _, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindRTU, bakery.CountInput{ItemID: it.ID, Delta: ptr(5)}); err != nil {
			t.Fatal(err)
		}
		sh, err := e.svc.Reset(ctx, e.baker, e.day, bakery.KindRTU, nil)
		if err != nil || sh.Total != 0 {
			t.Fatalf("reset: %v total %d", err, sh.Total)
		}
		if _, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindRTU, bakery.CountInput{ItemID: it.ID, Delta: ptr(4)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Finalize(ctx, e.baker, e.day, bakery.KindRTU, ptr(int64(1)))
		wantCode(t, err, apperr.StaleVersion)
		sh, err = e.svc.Finalize(ctx, e.baker, e.day, bakery.KindRTU, nil)
		if err != nil || sh.Status != bakery.StatusFinalized || sh.Total != 4 || sh.FinalizedBy == nil {
			t.Fatalf("finalize: %v %+v", err, sh)
		}
		for _, tc := range []struct {
			desc string
			do   func() error
		}{
			{"count", func() error {
				_, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindRTU, bakery.CountInput{ItemID: it.ID, Delta: ptr(1)})
				return err
			}},
			{"put", func() error {
				_, err := e.svc.PutSheet(ctx, e.baker, e.day, bakery.KindRTU, bakery.SheetInput{Counts: []bakery.CountSet{{ItemID: it.ID, Count: 1}}}, nil)
				return err
			}},
			{"reset", func() error { _, err := e.svc.Reset(ctx, e.baker, e.day, bakery.KindRTU, nil); return err }},
			{"finalize again", func() error { _, err := e.svc.Finalize(ctx, e.baker, e.day, bakery.KindRTU, nil); return err }},
		} {
			wantCode(t, tc.do(), apperr.Conflict)
		}
		var n int
		d.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action IN ('bakery.finalize', 'bakery.reset')").Scan(&n)
		if n != 2 {
			t.Errorf("audit rows: %d, want 2", n)
		}
		// The tray-up sheet of the same day is independent.
		tray := firstItem(t, e, bakery.KindTrayUp)
		if _, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: tray.ID, Delta: ptr(1)}); err != nil {
			t.Fatal(err)
		}
		hist, err := e.svc.History(ctx, e.manager, bakery.HistoryFilter{})
		if err != nil || len(hist) != 2 || hist[0].Kind != bakery.KindTrayUp || hist[1].Status != bakery.StatusFinalized || hist[1].Total != 4 {
			t.Fatalf("history: %v %+v", err, hist)
		}
		hist, err = e.svc.History(ctx, e.manager, bakery.HistoryFilter{Kind: bakery.KindRTU, From: e.day, To: e.day})
		if err != nil || len(hist) != 1 {
			t.Fatalf("history rtu: %v %+v", err, hist)
		}
		var buf bytes.Buffer
		if err := bakery.WriteCSV(&buf, sh); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != len(sh.Lines)+1 ||
			!strings.HasPrefix(lines[1], "2026-03-08,rtu,finalized,") {
			t.Errorf("csv: %q", buf.String()[:200])
		}
	})
}

func TestPutSheetAndItems(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		it, err := e.svc.CreateItem(ctx, e.manager, bakery.ItemInput{Kind: ptr(bakery.KindTrayUp), Name: ptr("Sourdough Croissant"), UpperLimit: ptr(6)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateItem(ctx, e.manager, bakery.ItemInput{Kind: ptr(bakery.KindTrayUp), Name: ptr("sourdough croissant"), UpperLimit: ptr(6)})
		wantCode(t, err, apperr.ValidationFailed)
		_, err = e.svc.CreateItem(ctx, e.manager, bakery.ItemInput{Kind: ptr("bread"), Name: ptr(""), UpperLimit: ptr(0)})
		ae := wantCode(t, err, apperr.ValidationFailed)
		if len(ae.Fields) != 3 {
			t.Errorf("fields: %v", ae.Fields)
		}
		sh, err := e.svc.PutSheet(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.SheetInput{Counts: []bakery.CountSet{{ItemID: it.ID, Count: 6}}}, nil)
		if err != nil || sh.Total != 6 || sh.Lines[len(sh.Lines)-1].ItemID != it.ID {
			t.Fatalf("put: %v %+v", err, sh)
		}
		_, err = e.svc.PutSheet(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.SheetInput{Counts: []bakery.CountSet{{ItemID: it.ID, Count: 7}}}, nil)
		ae = wantCode(t, err, apperr.ValidationFailed)
		if !strings.Contains(ae.Fields["counts[0].count"], "above the limit") {
			t.Errorf("fields: %v", ae.Fields)
		}
		_, err = e.svc.PutSheet(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.SheetInput{Version: ptr(int64(1))}, nil)
		wantCode(t, err, apperr.StaleVersion)
		// Retired items leave the catalogue but stay on sheets that counted them.
		if _, err := e.svc.UpdateItem(ctx, e.manager, it.ID, bakery.ItemInput{Active: ptr(false)}, nil); err != nil {
			t.Fatal(err)
		}
		sh, _ = e.svc.GetSheet(ctx, e.baker, e.day, bakery.KindTrayUp)
		if sh.Total != 6 {
			t.Errorf("retired line dropped: total %d", sh.Total)
		}
		_, err = e.svc.Count(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: it.ID, Delta: ptr(-1)})
		wantCode(t, err, apperr.ValidationFailed)
	})
}

func TestCountRateLimit(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		it := firstItem(t, e, bakery.KindRTU)
		var err error
		n := 0
		for ; n < bakery.CountRateLimit+5; n++ {
			if _, err = e.svc.Count(ctx, e.baker, e.day, bakery.KindRTU, bakery.CountInput{ItemID: it.ID, Count: ptr(n % 3)}); err != nil {
				break
			}
		}
		ae := wantCode(t, err, apperr.RateLimited)
		if n != bakery.CountRateLimit || ae.RetryAfter <= 0 {
			t.Errorf("limited after %d counts, retry after %v", n, ae.RetryAfter)
		}
		// Another person is not affected; the next window forgives.
		if _, err := e.svc.Count(ctx, e.manager, e.day, bakery.KindRTU, bakery.CountInput{ItemID: it.ID, Delta: ptr(1)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(bakery.CountRateWindow)
		if _, err := e.svc.Count(ctx, e.baker, e.day, bakery.KindRTU, bakery.CountInput{ItemID: it.ID, Delta: ptr(1)}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSocketCountMessage(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		it := firstItem(t, e, bakery.KindTrayUp)
		msg := func(s string) []byte { return []byte(strings.ReplaceAll(s, "ITEM", strconv.FormatInt(it.ID, 10))) }
		for _, tc := range []struct {
			desc string
			raw  string
			code apperr.Code
		}{
			{"not json", `{"type":"bakery.count",`, apperr.BadRequest},
			{"unknown field", `{"type":"bakery.count","date":"2026-03-08","kind":"trayup","item_id":ITEM,"delta":1,"shop":1}`, apperr.BadRequest},
			{"bad date", `{"type":"bakery.count","date":"08/03/2026","kind":"trayup","item_id":ITEM,"delta":1}`, apperr.ValidationFailed},
			{"negative", `{"type":"bakery.count","date":"2026-03-08","kind":"trayup","item_id":ITEM,"delta":-1}`, apperr.ValidationFailed},
			{"other department", `{"type":"bakery.count","date":"2026-03-08","kind":"trayup","item_id":ITEM,"delta":1}`, apperr.Forbidden},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				p := e.baker
				if tc.code == apperr.Forbidden {
					p = e.deliWorker
				}
				_, err := e.svc.HandleSocketCount(ctx, p, msg(tc.raw))
				wantCode(t, err, tc.code)
			})
		}
		reply, err := e.svc.HandleSocketCount(ctx, e.baker, msg(`{"type":"bakery.count","ref":"tap-1","date":"2026-03-08","kind":"trayup","item_id":ITEM,"delta":3}`))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := reply.(bakery.SocketCounted)
		if !ok || got.Ref != "tap-1" || got.Type != "bakery.counted" || got.Count.Count != 3 || got.Count.ItemID != it.ID || got.Count.Date != "2026-03-08" {
			t.Errorf("reply: %#v", reply)
		}
	})
}

// BenchmarkCount measures one +1 on a shared sheet (several goroutines,
// same item): the serialised path of the busiest sheet.
func BenchmarkCount(b *testing.B) {
	for _, dialect := range testutil.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			d := testutil.NewDB(b, dialect)
			ctx := context.Background()
			w := outbox.NewWriter(d, nil)
			ppl := &people.Service{W: w}
			if err := ppl.EnsureStore(ctx, "Bench", "America/Halifax"); err != nil {
				b.Fatal(err)
			}
			name := "Bakery"
			dep, err := ppl.CreateDepartment(ctx, auth.System, people.DepartmentInput{Name: &name})
			if err != nil {
				b.Fatal(err)
			}
			svc := bakery.New(w, ppl, nil) // no Redis: no rate limit in the benchmark
			p := auth.Principal{UserID: 1, Role: auth.RoleEmployee, DeptIDs: []int64{dep.ID}}
			items, err := svc.ListItems(ctx, p, bakery.ItemFilter{Kind: bakery.KindRTU})
			if err != nil {
				b.Fatal(err)
			}
			loc, _ := time.LoadLocation("America/Halifax")
			y, m, dd := time.Now().In(loc).Date()
			day := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
			b.SetParallelism(2)
			b.ResetTimer()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					delta := 1
					if i%2 == 0 {
						delta = -1
					}
					_, err := svc.Count(ctx, p, day, bakery.KindRTU, bakery.CountInput{ItemID: items[0].ID, Delta: &delta})
					if err != nil && !apperr.Is(err, apperr.ValidationFailed) {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestCountCarriesSheetVersion: the answer to a count (and its event) says
// the sheet's version, so the counting device finalizes with it after its
// own counts, the sheet's first included, without reading the sheet again.
func TestCountCarriesSheetVersion(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		it := firstItem(t, e, bakery.KindTrayUp)
		before, err := e.svc.GetSheet(ctx, e.baker, e.day, bakery.KindTrayUp)
		if err != nil {
			t.Fatal(err)
		}
		var last bakery.CountEvent
		for range 2 {
			if last, err = e.svc.Count(ctx, e.baker, e.day, bakery.KindTrayUp, bakery.CountInput{ItemID: it.ID, Delta: ptr(1)}); err != nil {
				t.Fatal(err)
			}
		}
		if last.SheetVersion == before.Version {
			t.Fatalf("sheet version %d unchanged by the first count: the device's copy would do", last.SheetVersion)
		}
		if _, err := e.svc.Finalize(ctx, e.baker, e.day, bakery.KindTrayUp, ptr(before.Version)); err == nil {
			t.Fatal("finalize with the version from before the counts succeeded")
		}
		sh, err := e.svc.Finalize(ctx, e.baker, e.day, bakery.KindTrayUp, ptr(last.SheetVersion))
		if err != nil {
			t.Fatalf("finalize with the counted version %d: %v", last.SheetVersion, err)
		}
		if sh.Status != bakery.StatusFinalized || sh.Total != 2 {
			t.Errorf("finalized sheet %s total %d; want finalized, 2", sh.Status, sh.Total)
		}
	})
}
