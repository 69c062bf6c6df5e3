package labor_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// benchDialects: SQLite always; MariaDB too with CRUMB_BENCH_MYSQL=1.
func benchDialects() []db.Dialect {
	if os.Getenv("CRUMB_BENCH_MYSQL") == "1" {
		return []db.Dialect{db.SQLite, db.MySQL}
	}
	return []db.Dialect{db.SQLite}
}

// seedPeople inserts n employees of one department with rates, straight
// into the tables (the benchmark measures reads, not sign-up).
func seedPeople(b *testing.B, d *db.DB, n int) (dept int64, ids []int64) {
	b.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := d.ExecContext(ctx, "INSERT INTO departments (name, color, version, created_at, updated_at) VALUES ('Grocery', '#336699', 1, ?, ?)", now, now)
	if err != nil {
		b.Fatal(err)
	}
	dept, _ = res.LastInsertId()
	for i := 0; i < n; i++ {
		res, err := d.ExecContext(ctx, `INSERT INTO users (email, password_hash, first_name, last_name, role, active, max_hours_per_week, pay_rate_cents, version, created_at, updated_at)
			VALUES (?, 'x', ?, 'Bench', 'employee', ?, 48, ?, 1, ?, ?)`, fmt.Sprintf("b%d@example.com", i), fmt.Sprintf("B%04d", i), true, 1600+i%900, now, now)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := res.LastInsertId()
		if _, err := d.ExecContext(ctx, "INSERT INTO user_departments (user_id, department_id) VALUES (?, ?)", id, dept); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	return dept, ids
}

func benchService(b *testing.B, d *db.DB) *labor.Service {
	clock := testutil.NewClock(time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	ppl := &people.Service{W: w}
	if err := ppl.EnsureStore(ctx, "Bench", "America/Halifax"); err != nil {
		b.Fatal(err)
	}
	return &labor.Service{W: w, People: ppl}
}

// BenchmarkWeekCost: a department of 40 people with 5 shifts each; every
// iteration moves one shift (an UPDATE, as a PATCH would) and recomputes
// the week's cost, as the week builder does after the event. Reports p50
// and p99 of the recompute alone.
func BenchmarkWeekCost(b *testing.B) {
	for _, dialect := range benchDialects() {
		b.Run(string(dialect), func(b *testing.B) {
			d := testutil.NewDB(b, dialect)
			svc := benchService(b, d)
			dept, ids := seedPeople(b, d, 40)
			loc, _ := time.LoadLocation("America/Halifax")
			var shifts []int64
			for i, id := range ids {
				for day := 0; day < 5; day++ {
					st := time.Date(2026, 11, 9+day, 7+i%5, 0, 0, 0, loc)
					res, err := d.ExecContext(ctx, `INSERT INTO shifts (department_id, employee_id, starts_at, ends_at, position, notes, status, version, created_at, updated_at)
						VALUES (?, ?, ?, ?, '', '', 'draft', 1, ?, ?)`, dept, id, st.UTC(), st.Add(9*time.Hour).UTC(), st.UTC(), st.UTC())
					if err != nil {
						b.Fatal(err)
					}
					sid, _ := res.LastInsertId()
					shifts = append(shifts, sid)
				}
			}
			admin := auth.Principal{UserID: 1, Role: auth.RoleAdmin}
			if _, err := svc.WeekCost(ctx, admin, dept, "2026-11-09"); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sid := shifts[i%len(shifts)]
				if _, err := d.ExecContext(ctx, "UPDATE shifts SET ends_at = ends_at, version = version + 1 WHERE id = ?", sid); err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				wc, err := svc.WeekCost(ctx, admin, dept, "2026-11-09")
				lat = append(lat, time.Since(t0))
				if err != nil || len(wc.People) != 40 {
					b.Fatalf("%d people, %v", len(wc.People), err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkPayrollExport: 500 people, a locked bi-weekly period of 10,000
// punches with breaks, exported as XLSX (pay and punches sheets) and CSV by
// the reports service. Reports the time per export and the peak heap seen
// while it ran (sampled every millisecond), against 2 s and 64 MiB.
func BenchmarkPayrollExport(b *testing.B) {
	for _, dialect := range benchDialects() {
		b.Run(string(dialect), func(b *testing.B) {
			d := testutil.NewDB(b, dialect)
			svc := benchService(b, d)
			_, ids := seedPeople(b, d, 500)
			loc, _ := time.LoadLocation("America/Halifax")
			var recs, brks []string
			var rargs, bargs []any
			flush := func() {
				if len(recs) > 0 {
					if _, err := d.ExecContext(ctx, `INSERT INTO attendance_records (employee_id, department_id, shift_id, clock_in_at, clock_out_at, source, version, created_at, updated_at) VALUES `+
						strings.Join(recs, ","), rargs...); err != nil {
						b.Fatal(err)
					}
				}
				recs, rargs = nil, nil
			}
			for i, id := range ids {
				for k := 0; k < 20; k++ {
					day := k % 14
					in := time.Date(2026, 11, 9+day, 6+i%6, (i*7+k)%60, 0, 0, loc)
					if k >= 14 {
						in = in.Add(10 * time.Hour) // a second punch that day
					}
					out := in.Add(time.Duration(240+(i*13+k*29)%300) * time.Minute)
					recs = append(recs, "(?, NULL, NULL, ?, ?, 'self', 1, ?, ?)")
					rargs = append(rargs, id, in.UTC(), out.UTC(), in.UTC(), in.UTC())
				}
				if len(recs) >= 200 {
					flush()
				}
			}
			flush()
			rows, err := d.QueryContext(ctx, "SELECT id, clock_in_at FROM attendance_records")
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var id int64
				var in time.Time
				if err := rows.Scan(&id, &in); err != nil {
					b.Fatal(err)
				}
				if id%2 == 0 {
					brks = append(brks, "(?, ?, ?)")
					bargs = append(bargs, id, in.Add(2*time.Hour), in.Add(2*time.Hour+30*time.Minute))
				}
			}
			rows.Close()
			for len(brks) > 0 {
				n := min(300, len(brks))
				if _, err := d.ExecContext(ctx, "INSERT INTO attendance_breaks (record_id, starts_at, ends_at) VALUES "+strings.Join(brks[:n], ","), bargs[:3*n]...); err != nil {
					b.Fatal(err)
				}
				brks, bargs = brks[n:], bargs[3*n:]
			}
			start, end := time.Date(2026, 11, 9, 0, 0, 0, 0, loc), time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
			if _, err := d.ExecContext(ctx, "INSERT INTO pay_periods (starts_on, ends_on, starts_at, ends_at, status, version, updated_at) VALUES ('2026-11-09', '2026-11-22', ?, ?, 'locked', 1, ?)",
				start.UTC(), end.UTC(), start.UTC()); err != nil {
				b.Fatal(err)
			}
			var n int
			if err := d.QueryRowContext(ctx, "SELECT COUNT(*) FROM attendance_records").Scan(&n); err != nil || n != 10000 {
				b.Fatalf("%d punches, %v", n, err)
			}
			admin := auth.Principal{UserID: ids[0], Role: auth.RoleAdmin}
			root := b.TempDir()
			q := &queue{}
			rep := &reports.Service{W: svc.W, Queue: q, Blob: &blob.Dir{Root: root, BaseURL: "http://crumb.test", Key: make([]byte, 32), Clock: time.Now},
				Sources: svc.PayrollSources()}
			st, _ := svc.People.GetStore(ctx)
			for _, format := range []string{"xlsx", "csv"} {
				b.Run(format, func(b *testing.B) {
					var peak atomic.Uint64
					stop := make(chan struct{})
					done := make(chan struct{})
					runtime.GC()
					var base runtime.MemStats
					runtime.ReadMemStats(&base)
					go func() {
						defer close(done)
						t := time.NewTicker(time.Millisecond)
						defer t.Stop()
						var m runtime.MemStats
						for {
							select {
							case <-stop:
								return
							case <-t.C:
								runtime.ReadMemStats(&m)
								if m.HeapAlloc > peak.Load() {
									peak.Store(m.HeapAlloc)
								}
							}
						}
					}()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						r, err := rep.Create(ctx, admin, reports.Request{Kind: reports.KindPayroll, Format: format, From: "2026-11-09", To: "2026-11-22"})
						if err != nil {
							b.Fatal(err)
						}
						if err := rep.Export(ctx, q.ids[len(q.ids)-1], st); err != nil {
							b.Fatal(err)
						}
						got, err := rep.Get(ctx, admin, r.ID)
						if err != nil || got.Status != reports.StatusReady {
							b.Fatalf("%+v %v", got, err)
						}
						if fi, err := os.Stat(filepath.Join(root, got.Object().Key)); err != nil || fi.Size() == 0 {
							b.Fatalf("export file: %v", err)
						}
					}
					b.StopTimer()
					close(stop)
					<-done
					b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapAlloc))/(1<<20), "peak-heap-MiB")
				})
			}
		})
	}
}
