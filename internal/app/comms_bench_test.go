package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// BenchmarkAnnouncementTo2000 serves the embedded app (SQLite, in-process
// Redis, the worker running) with 2,000 employees of one department, each
// with an open socket, and prints:
//   - the delay from an admin's POST /announcements to the
//     announcement.posted frame on every socket (p50, p99, max over 5 posts);
//   - how fast 2,000 people's read receipts (POST /announcements/seen, 64 at
//     a time) are recorded;
//   - shift creates per second (one writer) alone, and while the receipts
//     are being recorded.
func BenchmarkAnnouncementTo2000(b *testing.B) {
	const people, posts, parallel = 2000, 5, 64
	n := startNode(b, nodeOpts{})
	ctx := context.Background()
	admin := n.login(testAdminEmail, testAdminPassword)
	var dept struct{ ID int64 }
	if code := n.do("POST", "/api/v1/departments", admin, map[string]any{"name": "Bench", "color": "#aa5500"}, &dept); code != 201 {
		b.Fatalf("department: %d", code)
	}
	tokens := make([]string, 0, people)
	hash := auth.DummyHash()
	err := n.App.Writer.Do(ctx, func(tx *outbox.Tx) error {
		for i := range people {
			res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, first_name, last_name, role, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("u%d@bench.test", i), hash, "U", "Bench", string(auth.RoleEmployee), tx.Now(), tx.Now())
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			if _, err := tx.ExecContext(ctx, "INSERT INTO user_departments (user_id, department_id) VALUES (?, ?)", id, dept.ID); err != nil {
				return err
			}
			tok, err := n.App.Sessions.Create(ctx, tx, id, "127.0.0.1", "bench")
			if err != nil {
				return err
			}
			tokens = append(tokens, tok)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}

	// Sockets: each reader records the delay of every announcement.posted.
	var start atomic.Int64 // UnixNano of the POST in flight
	var mu sync.Mutex
	var lat []time.Duration
	var got atomic.Int64
	readCtx, stopReading := context.WithCancel(ctx)
	var readers sync.WaitGroup
	for _, tok := range tokens {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ws, _, err := dialWS(dctx, n.URL, tok, "")
		cancel()
		if err != nil {
			b.Fatalf("dial: %v", err)
		}
		ws.SetReadLimit(1 << 20)
		readers.Add(1)
		go func() {
			defer readers.Done()
			defer ws.CloseNow()
			for {
				_, msg, err := ws.Read(readCtx)
				if err != nil {
					return
				}
				var f frame
				if json.Unmarshal(msg, &f) == nil && f.Event == "announcement.posted" {
					d := time.Since(time.Unix(0, start.Load()))
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
					got.Add(1)
				}
			}
		}()
	}
	b.Cleanup(func() { stopReading(); readers.Wait() })

	post := func(k int) int64 {
		var a struct{ ID int64 }
		start.Store(time.Now().UnixNano())
		if code := n.do("POST", "/api/v1/announcements", admin, map[string]any{"title": fmt.Sprintf("Post %d", k),
			"body": "Bench body https://example.com", "department_ids": []int64{dept.ID}, "needs_ack": true}, &a); code != 201 {
			b.Fatalf("post: %d", code)
		}
		return a.ID
	}
	b.ResetTimer()
	var last int64
	for k := range posts {
		want := got.Load() + people
		last = post(k)
		deadline := time.Now().Add(30 * time.Second)
		for got.Load() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got.Load() < want {
			b.Fatalf("post %d reached %d of %d sockets", k, got.Load()-want+people, people)
		}
	}
	b.StopTimer()
	mu.Lock()
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.Logf("announcement to %d open sockets (%d posts): p50 %v, p99 %v, max %v", people, posts, q(.5), q(.99), lat[len(lat)-1])
	b.ReportMetric(float64(q(.99).Microseconds())/1000, "fanout-p99-ms")
	mu.Unlock()

	// Shift writes alone, then beside the read receipts.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel + 4}}
	call := func(token, path string, body any) int {
		bb, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", n.URL+path, bytes.NewReader(bb))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	shiftAt := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	var shiftN atomic.Int64
	shifts := func(stop <-chan struct{}) (int, time.Duration) {
		t0, done := time.Now(), 0
		for {
			select {
			case <-stop:
				return done, time.Since(t0)
			default:
			}
			s := shiftAt.Add(time.Duration(shiftN.Add(1)) * time.Minute)
			if code := call(admin, "/api/v1/shifts", map[string]any{"department_id": dept.ID, "starts_at": s, "ends_at": s.Add(4 * time.Hour), "position": "Bench"}); code != 201 {
				b.Fatalf("shift create: %d", code)
			}
			done++
		}
	}
	stop := make(chan struct{})
	time.AfterFunc(3*time.Second, func() { close(stop) })
	aloneN, aloneD := shifts(stop)
	alone := float64(aloneN) / aloneD.Seconds()

	stop = make(chan struct{})
	shiftDone := make(chan float64)
	go func() { k, d := shifts(stop); shiftDone <- float64(k) / d.Seconds() }()
	work := make(chan string)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tok := range work {
				if code := call(tok, "/api/v1/announcements/seen", map[string]any{"ids": []int64{last}}); code != 200 {
					b.Errorf("seen: %d", code)
				}
			}
		}()
	}
	for _, tok := range tokens {
		work <- tok
	}
	close(work)
	wg.Wait()
	receipts := time.Since(t0)
	close(stop)
	beside := <-shiftDone
	var recorded int
	n.App.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM announcement_reads WHERE announcement_id = ?", last).Scan(&recorded)
	b.Logf("read receipts: %d recorded in %v (%.0f/s, %d at a time)", recorded, receipts.Round(time.Millisecond), float64(recorded)/receipts.Seconds(), parallel)
	b.Logf("shift creates: %.0f/s alone, %.0f/s beside the receipts (%.0f%% slower)", alone, beside, 100*(1-beside/alone))
	b.ReportMetric(float64(recorded)/receipts.Seconds(), "receipts/s")
	b.ReportMetric(100*(1-beside/alone), "shift-slowdown-%")
}
