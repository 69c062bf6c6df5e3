package labor_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
)

type queue struct{ ids []int64 }

func (q *queue) EnqueueExport(_ context.Context, id int64) error {
	q.ids = append(q.ids, id)
	return nil
}

// lockPeriod closes the open punch, approves everyone and locks the period.
func (e *env) lockPeriod(t testing.TB) {
	t.Helper()
	out := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	if _, err := e.att.Correct(ctx, e.manager, e.open, attendance.Correction{ClockOutAt: &out, Reason: "forgot to clock out"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Approve(ctx, e.manager, labor.ApproveInput{PeriodStart: period, DepartmentID: e.dept}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Lock(ctx, e.manager, period, labor.LockInput{}); err != nil {
		t.Fatal(err)
	}
}

// export runs one payroll report through the reports service (as the
// worker does) and returns the file.
func (e *env) export(t testing.TB, rep *reports.Service, q *queue, root, kind, format string) []byte {
	t.Helper()
	r, err := rep.Create(ctx, e.admin, reports.Request{Kind: kind, Format: format, From: period, To: "2026-11-22"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.ppl.GetStore(ctx)
	if err := rep.Export(ctx, q.ids[len(q.ids)-1], st); err != nil {
		t.Fatal(err)
	}
	got, err := rep.Get(ctx, e.admin, r.ID)
	if err != nil || got.Status != reports.StatusReady {
		t.Fatalf("%s %s: %+v, %v", kind, format, got, err)
	}
	b, err := os.ReadFile(filepath.Join(root, got.Object().Key))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func atoi(t testing.TB, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not an integer", s)
	}
	return n
}

// cents reads "1234.50" as 123450.
func cents(t testing.TB, s string) int64 {
	t.Helper()
	whole, frac, _ := bytes.Cut([]byte(s), []byte("."))
	return atoi(t, string(whole))*100 + atoi(t, string(frac))
}

// TestPayrollExport: 30 people's approved, locked period exported as the
// generic CSV, the XLSX (pay and punches sheets) and PaymentEvolution's
// CSV; each read back (encoding/csv, excelize) and reconciled to the
// database: every punch's paid minutes recomputed from its stored times
// and breaks, every person's pay to their punches' cost to the cent.
func TestPayrollExport(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, 30)
		root := t.TempDir()
		q := &queue{}
		rep := &reports.Service{W: e.w, Queue: q, Blob: &blob.Dir{Root: root, BaseURL: "http://crumb.test", Key: make([]byte, 32), Clock: e.clock.Now},
			Sources: e.svc.PayrollSources()}
		// Not locked yet: refused, nothing queued. A period that does not align: 422.
		_, err := rep.Create(ctx, e.admin, reports.Request{Kind: reports.KindPayroll, Format: "csv", From: period, To: "2026-11-22"})
		wantCode(t, err, apperr.Conflict)
		_, err = rep.Create(ctx, e.admin, reports.Request{Kind: reports.KindPayroll, Format: "csv", From: "2026-11-10", To: "2026-11-22"})
		wantCode(t, err, apperr.ValidationFailed)
		if len(q.ids) != 0 {
			t.Fatalf("queued %v", q.ids)
		}
		e.lockPeriod(t)

		// The database's own view: paid minutes per record from the raw rows.
		paid := map[int64]int{}
		owner := map[int64]int64{}
		rows, err := d.QueryContext(ctx, `SELECT r.id, r.employee_id, r.clock_in_at, r.clock_out_at, b.starts_at, b.ends_at FROM attendance_records r
			LEFT JOIN attendance_breaks b ON b.record_id = r.id ORDER BY r.id`)
		if err != nil {
			t.Fatal(err)
		}
		type raw struct {
			in, out time.Time
			breaks  []attendance.Interval
		}
		recs := map[int64]*raw{}
		for rows.Next() {
			var id, emp int64
			var in, out time.Time
			var bs, be sql.NullTime
			if err := rows.Scan(&id, &emp, &in, &out, &bs, &be); err != nil {
				t.Fatal(err)
			}
			r := recs[id]
			if r == nil {
				r = &raw{in: in, out: out}
				recs[id] = r
			}
			owner[id] = emp
			if bs.Valid {
				r.breaks = append(r.breaks, attendance.Interval{Start: bs.Time, End: be.Time})
			}
		}
		rows.Close()
		for id, r := range recs {
			paid[id] = labor.PaidMinutes(r.in, r.out, r.breaks)
		}

		// Generic CSV.
		gen, err := csv.NewReader(bytes.NewReader(e.export(t, rep, q, root, reports.KindPayroll, "csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range gen[0] {
			col[c] = i
		}
		gross := map[int64]int64{}
		minutes := map[int64]int64{}
		var total int64
		for _, r := range gen[1:] {
			emp := atoi(t, r[col["employee_id"]])
			g := atoi(t, r[col["gross_cents"]])
			if cents(t, r[col["gross"]]) != g || cents(t, r[col["regular_pay"]])+cents(t, r[col["overtime_pay"]]) != g {
				t.Fatalf("row %v does not add up", r)
			}
			gross[emp] += g
			minutes[emp] += atoi(t, r[col["regular_minutes"]]) + atoi(t, r[col["overtime_minutes"]])
			total += g
		}
		if len(gross) != 30 || len(gen) < 32 { // the raised person has two rates
			t.Fatalf("%d people in %d rows", len(gross), len(gen)-1)
		}

		// XLSX: the same pay sheet and every punch.
		f, err := excelize.OpenReader(bytes.NewReader(e.export(t, rep, q, root, reports.KindPayroll, "xlsx")))
		if err != nil {
			t.Fatal(err)
		}
		pay, err := f.GetRows("Sheet1")
		if err != nil || len(pay) != len(gen) {
			t.Fatalf("xlsx pay sheet: %d rows, csv %d, %v", len(pay), len(gen), err)
		}
		punches, err := f.GetRows("Punches")
		if err != nil {
			t.Fatal(err)
		}
		pc := map[string]int{}
		for i, c := range punches[0] {
			pc[c] = i
		}
		punchCost := map[int64]int64{}
		seen := 0
		for _, r := range punches[1:] {
			rec, emp := atoi(t, r[pc["record_id"]]), atoi(t, r[pc["employee_id"]])
			if owner[rec] != emp || int(atoi(t, r[pc["worked_minutes"]])) != paid[rec] {
				t.Fatalf("punch %d: %v, database says person %d, %d minutes", rec, r, owner[rec], paid[rec])
			}
			if atoi(t, r[pc["regular_minutes"]])+atoi(t, r[pc["overtime_minutes"]]) != int64(paid[rec]) {
				t.Fatalf("punch %d split does not add up: %v", rec, r)
			}
			punchCost[emp] += atoi(t, r[pc["cost_cents"]])
			minutes[emp] -= int64(paid[rec])
			seen++
		}
		if seen != len(recs) {
			t.Fatalf("%d punches exported, %d in the database", seen, len(recs))
		}
		for emp, g := range gross {
			if punchCost[emp] != g || minutes[emp] != 0 {
				t.Fatalf("person %d: pay %d, punches %d, minutes off by %d", emp, g, punchCost[emp], minutes[emp])
			}
		}
		sheets, _ := e.svc.ListTimesheets(ctx, e.admin, labor.TimesheetFilter{PeriodStart: period})
		if sheets.CostCents != total {
			t.Fatalf("export %d, timesheets %d", total, sheets.CostCents)
		}

		// PaymentEvolution: no header, twelve fields, totals add up.
		pe, err := csv.NewReader(bytes.NewReader(e.export(t, rep, q, root, reports.KindPayrollPE, "csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var peTotal int64
		for _, r := range pe {
			if len(r) != 12 || len(r[1]) != 6 || (r[2] != "R" && r[2] != "O") || r[7] != "09/11/2026" || r[8] != "22/11/2026" || r[11] != "Y" {
				t.Fatalf("PaymentEvolution line %q", r)
			}
			peTotal += cents(t, r[6])
		}
		if peTotal != total {
			t.Fatalf("PaymentEvolution totals %d, payroll %d", peTotal, total)
		}
	})
}
