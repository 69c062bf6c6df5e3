package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/bench"
	"github.com/crumbcommander/crumb/internal/db"
)

// BenchmarkRosterHTTP measures creates, week reads and publishes on MariaDB through
// the real HTTP stack (httptest server on TCP, Go client in the same
// process, 16 concurrent connections), with 10,000 shifts already stored:
// shift creates with their conflict check, reading one department's week,
// publishing a 40-shift week. It prints the numbers; run it with
//
//	go test -run '^$' -bench RosterHTTP -benchtime 1x ./internal/api/
func BenchmarkRosterHTTP(b *testing.B) {
	e := newEnvTB(b, db.MySQL)
	ctx := context.Background()
	const depts, perDept, days = 20, 10, 50 // 10,000 stored shifts
	deptIDs, people := benchSeed(b, e, depts, perDept, days)
	_, admin := e.personTB(b, "admin")
	base := e.srv.URL + "/api/v1"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	conc := envInt(b, "CRUMB_BENCH_CONNS", 16)
	loc, _ := time.LoadLocation("America/Halifax")
	day0 := time.Date(2027, 1, 4, 0, 0, 0, 0, loc) // after the seeded range

	// 0. Baseline on this machine: the cheapest authenticated read (session
	// lookup + one-row select), to put the numbers below in proportion.
	lat := run(b, conc, 10000, func(w, i int) int { return call(b, client, base, "GET", "/store", admin, nil, nil) }, http.StatusOK)
	report(b, "baseline GET /store", 10000, lat)

	// 1. Creates: each worker owns people and books them one shift per day.
	creates := envInt(b, "CRUMB_BENCH_CREATES", 4000)
	var next atomic.Int64
	lat = run(b, conc, creates, func(w, i int) int {
		n := int(next.Add(1)) - 1
		p := people[n%len(people)]
		start := time.Date(2027, 1, 4+n/len(people), 9, 0, 0, 0, loc)
		body := map[string]any{"department_id": p.dept, "employee_id": p.id, "starts_at": start.Format(time.RFC3339),
			"ends_at": start.Add(8 * time.Hour).Format(time.RFC3339)}
		return call(b, client, base, "POST", "/shifts", admin, body, nil)
	}, http.StatusCreated)
	report(b, "create", creates, lat)
	// CRUMB_BENCH_ONLY_CREATES=1 stops here, to profile the write path alone.
	if os.Getenv("CRUMB_BENCH_ONLY_CREATES") != "" {
		return
	}

	// 2. Reads: one department's week (50 shifts), as its manager would.
	weekFrom := day0.Format("2006-01-02")
	weekTo := day0.AddDate(0, 0, 7).Format("2006-01-02")
	const reads = 20000
	lat = run(b, conc, reads, func(w, i int) int {
		path := fmt.Sprintf("/shifts?department_id=%d&from=%s&to=%s", deptIDs[i%len(deptIDs)], weekFrom, weekTo)
		return call(b, client, base, "GET", path, admin, nil, nil)
	}, http.StatusOK)
	report(b, "read week", reads, lat)

	// 3. Publish: the new shifts are drafts; each department's week holds
	// 10 people x 4 days = 40 drafts after trimming to four days.
	if _, err := e.a.DB.ExecContext(ctx, "DELETE FROM shifts WHERE status = 'draft' AND starts_at >= ?", day0.AddDate(0, 0, 4).UTC()); err != nil {
		b.Fatal(err)
	}
	var pubs []time.Duration
	for _, d := range deptIDs {
		var out struct {
			ShiftCount int `json:"shift_count"`
		}
		start := time.Now()
		code := call(b, client, base, "POST", "/schedules/publish", admin, map[string]any{"department_id": d, "week_start": weekFrom}, &out)
		pubs = append(pubs, time.Since(start))
		if code != 200 || out.ShiftCount != 40 {
			b.Fatalf("publish: %d, %d shifts", code, out.ShiftCount)
		}
	}
	sort.Slice(pubs, func(i, j int) bool { return pubs[i] < pubs[j] })
	b.Logf("publish 40-shift week: median %s, max %s (%d weeks)", pubs[len(pubs)/2].Round(time.Microsecond), pubs[len(pubs)-1].Round(time.Microsecond), len(pubs))
	b.ReportMetric(float64(pubs[len(pubs)/2].Microseconds())/1000, "publish-ms")
}

type benchPerson struct{ id, dept int64 }

// benchSeed stores depts x perDept people and one published 8-hour shift per
// person per day for days days (from 2026-11-02), with multi-row inserts.
func benchSeed(b *testing.B, e *env, depts, perDept, days int) ([]int64, []benchPerson) {
	ctx := context.Background()
	now := time.Now().UTC()
	var deptIDs []int64
	var people []benchPerson
	for d := 0; d < depts; d++ {
		res, err := e.a.DB.ExecContext(ctx, "INSERT INTO departments (name, color, version, created_at, updated_at) VALUES (?, '#000000', 1, ?, ?)",
			fmt.Sprintf("Bench %d", d), now, now)
		if err != nil {
			b.Fatal(err)
		}
		dept, _ := res.LastInsertId()
		deptIDs = append(deptIDs, dept)
		for p := 0; p < perDept; p++ {
			res, err := e.a.DB.ExecContext(ctx, `INSERT INTO users (email, password_hash, first_name, last_name, role, max_hours_per_week, version, created_at, updated_at)
				VALUES (?, 'x', 'B', 'P', 'employee', 40, 1, ?, ?)`, fmt.Sprintf("b%d-%d@example.com", d, p), now, now)
			if err != nil {
				b.Fatal(err)
			}
			id, _ := res.LastInsertId()
			if _, err := e.a.DB.ExecContext(ctx, "INSERT INTO user_departments (user_id, department_id) VALUES (?, ?)", id, dept); err != nil {
				b.Fatal(err)
			}
			people = append(people, benchPerson{id: id, dept: dept})
		}
	}
	loc, _ := time.LoadLocation("America/Halifax")
	for day := 0; day < days; day++ {
		var sb strings.Builder
		var args []any
		sb.WriteString("INSERT INTO shifts (department_id, employee_id, starts_at, ends_at, position, notes, status, version, created_at, updated_at) VALUES ")
		for i, p := range people {
			if i > 0 {
				sb.WriteString(", ")
			}
			start := time.Date(2026, 11, 2+day, 9, 0, 0, 0, loc).UTC()
			sb.WriteString("(?, ?, ?, ?, '', '', 'published', 1, ?, ?)")
			args = append(args, p.dept, p.id, start, start.Add(8*time.Hour), now, now)
		}
		if _, err := e.a.DB.ExecContext(ctx, sb.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	return deptIDs, people
}

// envInt reads a positive whole number from the environment, or def.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

// cpuTimes is the CPU time used so far by this process (server and load
// generator together) and by the local MariaDB server, when it can be
// found in /proc (zero otherwise).
type cpuTimes struct{ self, db time.Duration }

func cpuNow() cpuTimes {
	c := cpuTimes{self: bench.ProcCPU(os.Getpid())}
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, f := range comms {
		name, _ := os.ReadFile(f)
		if n := strings.TrimSpace(string(name)); n == "mariadbd" || n == "mysqld" {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
				c.db += bench.ProcCPU(pid)
			}
		}
	}
	return c
}

// run sends total requests from conc workers and returns each latency; any
// status other than want fails.
func run(b *testing.B, conc, total int, do func(worker, i int) int, want int) []time.Duration {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	var next atomic.Int64
	cpu0 := cpuNow()
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					break
				}
				t0 := time.Now()
				if code := do(w, i); code != want {
					b.Errorf("request %d: status %d", i, code)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1 := cpuNow()
	b.Logf("  cpu over %d requests: this process %s/request, database %s/request (%.2f of 2 cores busy)", total,
		(cpu1.self-cpu0.self)/time.Duration(total), (cpu1.db-cpu0.db)/time.Duration(total),
		float64(cpu1.self-cpu0.self+cpu1.db-cpu0.db)/float64(wall))
	lat = append(lat, wall) // last element: wall time
	return lat
}

func report(b *testing.B, what string, n int, lat []time.Duration) {
	wall := lat[len(lat)-1]
	lat = lat[:len(lat)-1]
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rate := float64(n) / wall.Seconds()
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	b.Logf("%s: %d requests in %s = %.0f/s, p50 %s, p99 %s", what, n, wall.Round(time.Millisecond), rate, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
	key := strings.ReplaceAll(what, " ", "-")
	b.ReportMetric(rate, key+"/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, key+"-p99-ms")
}
