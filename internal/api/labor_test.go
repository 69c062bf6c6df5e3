package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
)

type weekCostBody struct {
	Currency         string `json:"currency"`
	ScheduledMinutes int    `json:"scheduled_minutes"`
	OvertimeMinutes  int    `json:"overtime_minutes"`
	CostCents        int64  `json:"cost_cents"`
	OpenShiftMinutes int    `json:"open_shift_minutes"`
	OverBudget       bool   `json:"over_budget"`
	Days             []struct {
		Date      string `json:"date"`
		CostCents int64  `json:"cost_cents"`
	} `json:"days"`
	People []struct {
		EmployeeID      int64 `json:"employee_id"`
		OvertimeMinutes int   `json:"overtime_minutes"`
		CostCents       int64 `json:"cost_cents"`
	} `json:"people"`
}

// shiftAt makes a draft shift in the store's zone (Halifax, -04:00 in
// November 2026).
func shiftAt(s *apptest.Server, tok string, dept, emp int64, day string, from, to int, position string) int64 {
	s.T.Helper()
	var sh struct {
		ID int64 `json:"id"`
	}
	body := map[string]any{"department_id": dept, "starts_at": fmt.Sprintf("%sT%02d:00:00-04:00", day, from),
		"ends_at": fmt.Sprintf("%sT%02d:00:00-04:00", day, to), "position": position}
	if emp != 0 {
		body["employee_id"] = emp
	}
	s.Must(201, "POST", "/api/v1/shifts", tok, body).JSON(s.T, &sh)
	return sh.ID
}

// TestWeekCost: wages with effective dates and per position, the break
// rule, weekly overtime, an open shift and a money budget, priced the way
// the pay rules say; bad input is refused with nothing written.
func TestWeekCost(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		deli := s.CreateDepartment(admin, "Deli")
		mgr := s.CreatePerson(admin, "manager", deli)
		a := s.CreatePerson(admin, "employee", deli)
		b := s.CreatePerson(admin, "employee", deli)
		s.Must(200, "PATCH", fmt.Sprintf("/api/v1/employees/%d", a.ID), admin, map[string]any{"pay_rate_cents": 2000})
		s.Must(200, "PATCH", fmt.Sprintf("/api/v1/employees/%d", b.ID), admin, map[string]any{"pay_rate_cents": 2500})
		s.Must(201, "POST", fmt.Sprintf("/api/v1/employees/%d/wages", b.ID), admin, map[string]any{"rate_cents": 3000, "effective_on": "2026-11-01", "position": "Cashier"})
		s.Must(200, "PATCH", "/api/v1/labor/settings", admin, map[string]any{"break_after_minutes": 300, "break_minutes": 30})

		// Bad input: nothing written.
		s.Must(422, "POST", fmt.Sprintf("/api/v1/employees/%d/wages", b.ID), admin, map[string]any{"rate_cents": -5, "effective_on": "2026-11-01"})
		s.Must(422, "POST", fmt.Sprintf("/api/v1/employees/%d/wages", b.ID), admin, map[string]any{"rate_cents": 100001, "effective_on": "2026-11-01"})
		s.Must(400, "POST", fmt.Sprintf("/api/v1/employees/%d/wages", b.ID), admin, map[string]any{"rate_cents": 17.5, "effective_on": "2026-11-01"})
		s.Must(422, "POST", fmt.Sprintf("/api/v1/employees/%d/wages", b.ID), admin, map[string]any{"rate_cents": 1700, "effective_on": "Nov 1"})
		s.Must(409, "POST", fmt.Sprintf("/api/v1/employees/%d/wages", b.ID), admin, map[string]any{"rate_cents": 3100, "effective_on": "2026-11-01", "position": "cashier"})
		s.Must(422, "PATCH", "/api/v1/labor/settings", admin, map[string]any{"pay_period_anchor": "2026-01-06"}) // a Tuesday
		s.Must(422, "PATCH", "/api/v1/labor/settings", admin, map[string]any{"overtime_multiplier_percent": 1000, "currency": "dollars"})
		s.Must(422, "PATCH", "/api/v1/labor/settings", admin, map[string]any{"break_minutes": 0})
		var wl struct {
			Items []map[string]any `json:"items"`
		}
		s.Must(200, "GET", fmt.Sprintf("/api/v1/employees/%d/wages", b.ID), b.Token, nil).JSON(t, &wl)
		if len(wl.Items) != 1 {
			t.Fatalf("wages after refused writes: %v", wl.Items)
		}

		for _, d := range []string{"2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"} {
			shiftAt(s, mgr.Token, deli, a.ID, d, 8, 17, "")
		}
		// The fifth 9-hour shift takes the person over 40 h: the write warns
		// of the overtime it adds and what it costs.
		var fifth struct {
			Warnings []struct {
				Kind            string `json:"kind"`
				Message         string `json:"message"`
				OvertimeMinutes int    `json:"overtime_minutes"`
				CostCents       int64  `json:"cost_cents"`
			} `json:"warnings"`
		}
		s.Must(201, "POST", "/api/v1/shifts", mgr.Token, map[string]any{"department_id": deli, "employee_id": a.ID,
			"starts_at": "2026-11-06T08:00:00-04:00", "ends_at": "2026-11-06T17:00:00-04:00"}).JSON(t, &fifth)
		ot := fifth.Warnings[len(fifth.Warnings)-1] // after max_hours (45 h over the person's 40)
		if ot.Kind != "overtime" || ot.OvertimeMinutes != 150 || ot.CostCents != 7500 || !strings.Contains(ot.Message, "CAD 75.00") {
			t.Fatalf("fifth shift's warnings: %+v", fifth.Warnings)
		}
		shiftAt(s, mgr.Token, deli, b.ID, "2026-11-07", 9, 17, "Cashier")
		shiftAt(s, mgr.Token, deli, 0, "2026-11-08", 9, 13, "")
		s.Must(422, "PUT", fmt.Sprintf("/api/v1/departments/%d/budget", deli), mgr.Token, map[string]any{"week_start": "2026-11-02", "kind": "money", "minutes": 10})
		s.Must(422, "PUT", fmt.Sprintf("/api/v1/departments/%d/budget", deli), mgr.Token, map[string]any{"week_start": "2026-11-02", "kind": "money", "cents": -1})
		s.Must(200, "PUT", fmt.Sprintf("/api/v1/departments/%d/budget", deli), mgr.Token, map[string]any{"week_start": "2026-11-04", "kind": "money", "cents": 100000})

		var wc weekCostBody
		s.Must(200, "GET", fmt.Sprintf("/api/v1/labor/week-cost?department_id=%d&week_start=2026-11-05", deli), mgr.Token, nil).JSON(t, &wc)
		// a: 5 × (9 h - 30 min) = 42.5 h: 40 h × $20 + 2.5 h × $30 = $875.
		// b: 8 h - 30 min as Cashier at $30 = $225. The open shift: 4 h, no cost.
		if wc.Currency != "CAD" || wc.ScheduledMinutes != 50*60 || wc.OvertimeMinutes != 150 || wc.CostCents != 110000 ||
			wc.OpenShiftMinutes != 240 || !wc.OverBudget || len(wc.Days) != 7 {
			t.Fatalf("week cost = %+v", wc)
		}
		// Friday: the last 6 h of the 40 and 2.5 h over: $120 + $75.
		if wc.Days[4].CostCents != 19500 || wc.Days[5].CostCents != 22500 || wc.Days[0].CostCents != 17000 {
			t.Errorf("days = %+v", wc.Days)
		}
		var dayTotal int64
		for _, d := range wc.Days {
			dayTotal += d.CostCents
		}
		if dayTotal != wc.CostCents {
			t.Errorf("days add up to %d, week %d", dayTotal, wc.CostCents)
		}
		s.Must(422, "GET", fmt.Sprintf("/api/v1/labor/week-cost?department_id=%d&week_start=tomorrow", deli), mgr.Token, nil)

		// A sales forecast: by hand and by CSV; labor % of sales per day and week.
		s.Must(422, "PUT", fmt.Sprintf("/api/v1/departments/%d/sales", deli), mgr.Token, map[string]any{"csv": "date,amount\n2026-11-02,-3\n"})
		s.Must(422, "PUT", fmt.Sprintf("/api/v1/departments/%d/sales", deli), mgr.Token, map[string]any{"days": []map[string]any{{"date": "2026-11-02", "cents": -1}}})
		s.Must(200, "PUT", fmt.Sprintf("/api/v1/departments/%d/sales", deli), mgr.Token, map[string]any{"days": []map[string]any{{"date": "2026-11-02", "cents": 100000}}})
		s.Must(200, "PUT", fmt.Sprintf("/api/v1/departments/%d/sales", deli), mgr.Token, map[string]any{"csv": "date,amount\n2026-11-03,\"1,000.00\"\n"})
		var ws struct {
			SalesCents       *int64 `json:"sales_cents"`
			LaborBasisPoints *int64 `json:"labor_basis_points"`
			Days             []struct {
				LaborBasisPoints *int64 `json:"labor_basis_points"`
			} `json:"days"`
		}
		s.Must(200, "GET", fmt.Sprintf("/api/v1/labor/week-cost?department_id=%d&week_start=2026-11-02", deli), mgr.Token, nil).JSON(t, &ws)
		// Monday and Tuesday: $170 each against $1,000 of sales: 17 %.
		if ws.SalesCents == nil || *ws.SalesCents != 200000 || ws.LaborBasisPoints == nil || *ws.LaborBasisPoints != 1700 ||
			ws.Days[0].LaborBasisPoints == nil || *ws.Days[0].LaborBasisPoints != 1700 || ws.Days[2].LaborBasisPoints != nil {
			t.Fatalf("sales: %+v", ws)
		}
	})
}
