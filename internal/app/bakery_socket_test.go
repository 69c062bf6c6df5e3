package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/internal/testutil"
)

// socketMsg is any server frame a counting device cares about.
type socketMsg struct {
	Type  string          `json:"type"`
	Seq   int64           `json:"seq"`
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
	Ref   string          `json:"ref"`
	For   string          `json:"for"`
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

type countData struct {
	ItemID  int64 `json:"item_id"`
	Count   int   `json:"count"`
	Version int64 `json:"version"`
}

// device is one phone counting on a socket: what it has heard so far.
type device struct {
	t      testing.TB
	ws     *websocket.Conn
	mu     sync.Mutex
	counts map[int64]int   // item → count, from bakery.count events in seq order
	last   map[int64]int64 // item → version
	acks   int
	errors []socketMsg
	events int
	final  bool
	done   chan struct{}
}

func (n *node) device(token string) *device {
	c := n.dial(token, "")
	c.until("ready", nil)
	d := &device{t: n.t, ws: c.ws, counts: map[int64]int{}, last: map[int64]int64{}, done: make(chan struct{})}
	go d.read()
	return d
}

func (d *device) read() {
	defer close(d.done)
	for {
		_, b, err := d.ws.Read(context.Background())
		if err != nil {
			return
		}
		var m socketMsg
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		d.mu.Lock()
		switch {
		case m.Type == "event" && m.Event == "bakery.count":
			var c countData
			json.Unmarshal(m.Data, &c)
			if c.Version <= d.last[c.ItemID] {
				d.t.Errorf("item %d: version %d after %d", c.ItemID, c.Version, d.last[c.ItemID])
			}
			d.counts[c.ItemID], d.last[c.ItemID] = c.Count, c.Version
			d.events++
		case m.Type == "event" && m.Event == "bakery.finalized":
			d.final = true
		case m.Type == "bakery.counted":
			d.acks++
		case m.Type == "error":
			d.errors = append(d.errors, m)
		}
		d.mu.Unlock()
	}
}

func (d *device) send(v any) {
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.ws.Write(ctx, websocket.MessageText, b); err != nil {
		d.t.Errorf("write: %v", err)
	}
}

// wait polls until cond holds for the device.
func (d *device) wait(what string, cond func(d *device) bool) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		d.mu.Lock()
		ok := cond(d)
		d.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.t.Fatalf("device never saw %s", what)
}

// TestBakeryCountingOverSockets: four phones count the same sheet over
// their sockets at once; every phone ends with the same totals as the
// database, and after finalize the sockets' counts are refused.
func TestBakeryCountingOverSockets(t *testing.T) {
	for _, dialect := range testutil.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			n := startNode(t, nodeOpts{DatabaseURL: testutil.NewDBURL(t, dialect)})
			f := n.fixture() // the department is named "Bakery"
			tokens := []string{f.Employee, f.Manager}
			for i := range 2 {
				email := fmt.Sprintf("baker%d@example.test", i)
				if code := n.do("POST", "/api/v1/employees", f.Admin, map[string]any{"first_name": "Baker", "last_name": fmt.Sprint(i),
					"email": email, "role": "employee", "department_ids": []int64{f.DeptID}, "password": testAdminPassword}, nil); code != 201 {
					t.Fatalf("create baker: %d", code)
				}
				tokens = append(tokens, n.login(email, testAdminPassword))
			}
			var items struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			if code := n.do("GET", "/api/v1/bakery/items?kind=rtu", f.Employee, nil, &items); code != 200 || len(items.Items) < 3 {
				t.Fatalf("items: %d", code)
			}
			a, b := items.Items[0].ID, items.Items[1].ID
			date := time.Now().In(mustLoc(t)).Format(time.DateOnly)
			devices := make([]*device, len(tokens))
			for i, tok := range tokens {
				devices[i] = n.device(tok)
			}

			// Each phone sends 12 counts: +1 on a, +1 on b, and every third a -1 on b
			// right after a +1 (so b never goes below zero).
			const rounds = 4
			want := map[int64]int{}
			var wg sync.WaitGroup
			for i, d := range devices {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := range rounds {
						d.send(map[string]any{"type": "bakery.count", "ref": fmt.Sprintf("%d-%d-a", i, r), "date": date, "kind": "rtu", "item_id": a, "delta": 1})
						d.send(map[string]any{"type": "bakery.count", "ref": fmt.Sprintf("%d-%d-b", i, r), "date": date, "kind": "rtu", "item_id": b, "delta": 2})
						d.send(map[string]any{"type": "bakery.count", "ref": fmt.Sprintf("%d-%d-c", i, r), "date": date, "kind": "rtu", "item_id": b, "delta": -1})
					}
				}()
			}
			wg.Wait()
			want[a] = len(devices) * rounds
			want[b] = len(devices) * rounds
			total := len(devices) * rounds * 3
			for _, d := range devices {
				d.wait("every count", func(d *device) bool { return d.events >= total && d.acks == rounds*3 })
			}
			var sheet struct {
				Lines []struct {
					ItemID int64 `json:"item_id"`
					Count  int   `json:"count"`
				} `json:"lines"`
			}
			n.do("GET", "/api/v1/bakery/sheets/"+date+"/rtu", f.Employee, nil, &sheet)
			stored := map[int64]int{}
			for _, l := range sheet.Lines {
				stored[l.ItemID] = l.Count
			}
			for i, d := range devices {
				d.mu.Lock()
				for _, it := range []int64{a, b} {
					if d.counts[it] != want[it] || stored[it] != want[it] {
						t.Errorf("device %d item %d: sees %d, stored %d, want %d", i, it, d.counts[it], stored[it], want[it])
					}
				}
				if len(d.errors) > 0 {
					t.Errorf("device %d errors: %+v", i, d.errors)
				}
				d.mu.Unlock()
			}

			// Invalid counts are answered with a clear error on the socket.
			d0 := devices[0]
			d0.send(map[string]any{"type": "bakery.count", "date": date, "kind": "rtu", "item_id": a, "delta": -1000})
			d0.send(map[string]any{"type": "bakery.count", "date": date, "kind": "rtu", "item_id": a, "delta": 1, "bogus": true})
			d0.wait("two errors", func(d *device) bool { return len(d.errors) >= 2 })
			d0.mu.Lock()
			if e := d0.errors[0]; e.For != "bakery.count" || e.Error.Code != "validation_failed" || !strings.Contains(e.Error.Fields["delta"], "never negative") {
				t.Errorf("negative: %+v", e)
			}
			if e := d0.errors[1]; e.Error.Code != "bad_request" {
				t.Errorf("unknown field: %+v", e)
			}
			d0.errors = nil
			d0.mu.Unlock()

			// Finalize (REST) reaches every phone; later socket counts are 409.
			if code := n.do("POST", "/api/v1/bakery/sheets/"+date+"/rtu/finalize", f.Manager, nil, nil); code != 200 {
				t.Fatalf("finalize: %d", code)
			}
			for _, d := range devices {
				d.wait("bakery.finalized", func(d *device) bool { return d.final })
			}
			devices[2].send(map[string]any{"type": "bakery.count", "date": date, "kind": "rtu", "item_id": a, "delta": 1})
			devices[2].wait("a conflict", func(d *device) bool { return len(d.errors) == 1 })
			devices[2].mu.Lock()
			if e := devices[2].errors[0]; e.Error.Code != "conflict" || !strings.Contains(e.Error.Message, "finalized") {
				t.Errorf("after finalize: %+v", e)
			}
			devices[2].mu.Unlock()
			n.do("GET", "/api/v1/bakery/sheets/"+date+"/rtu", f.Employee, nil, &sheet)
			for _, l := range sheet.Lines {
				if l.ItemID == a && l.Count != want[a] {
					t.Errorf("count after finalize: %d, want %d", l.Count, want[a])
				}
			}
		})
	}
}

func mustLoc(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Halifax")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
