package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func TestBakeryOverREST(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		s := apptest.Start(t, d.Dialect, apptest.Options{})
		admin := s.AdminToken()
		none := s.Do("GET", "/api/v1/bakery/items", admin, nil)
		if none.Status != http.StatusConflict || !strings.Contains(string(none.Body), "bakery department") {
			t.Fatalf("without a bakery: %d %s", none.Status, none.Body)
		}
		dept := s.CreateDepartment(admin, "Bakery")
		bakers := make([]apptest.Person, 4)
		for i := range bakers {
			bakers[i] = s.CreatePerson(admin, "employee", dept)
		}
		var items struct {
			Items []struct {
				ID         int64 `json:"id"`
				UpperLimit int   `json:"upper_limit"`
			} `json:"items"`
		}
		s.Must(200, "GET", "/api/v1/bakery/items?kind=trayup", bakers[0].Token, nil).JSON(t, &items)
		if len(items.Items) < 18 {
			t.Fatalf("%d tray-up items", len(items.Items))
		}
		item := items.Items[0]
		sheet := "/api/v1/bakery/sheets/" + today(0) + "/trayup"

		// Invalid counts: 422 with the field at fault.
		for _, tc := range []struct {
			desc  string
			body  any
			field string
		}{
			{"below zero", map[string]any{"item_id": item.ID, "delta": -1}, "delta"},
			{"above the limit", map[string]any{"item_id": item.ID, "count": item.UpperLimit + 1}, "count"},
			{"unknown item", map[string]any{"item_id": 99999, "delta": 1}, "item_id"},
		} {
			r := s.Do("POST", sheet+"/counts", bakers[0].Token, tc.body)
			if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "validation_failed" || !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
				t.Errorf("%s: %d %s", tc.desc, r.Status, r.Body)
			}
		}
		if r := s.Do("POST", sheet+"/counts", bakers[0].Token, `{"item_id": 1, "delta": 1, "extra": true}`); r.Status != http.StatusBadRequest {
			t.Errorf("unknown field: %d", r.Status)
		}

		// Four phones count at once: the total is every accepted +1.
		const each = 6
		var wg sync.WaitGroup
		for _, b := range bakers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					if r := s.Do("POST", sheet+"/counts", b.Token, map[string]any{"item_id": item.ID, "delta": 1}); r.Status != 200 {
						t.Errorf("count: %d %s", r.Status, r.Body)
					}
				}
			}()
		}
		wg.Wait()
		var sh struct {
			Total  int    `json:"total"`
			Status string `json:"status"`
		}
		s.Must(200, "GET", sheet, bakers[1].Token, nil).JSON(t, &sh)
		if sh.Total != len(bakers)*each {
			t.Errorf("total %d, want %d", sh.Total, len(bakers)*each)
		}

		s.Must(200, "POST", sheet+"/finalize", bakers[2].Token, nil)
		r := s.Do("POST", sheet+"/counts", bakers[3].Token, map[string]any{"item_id": item.ID, "delta": 1})
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "finalized") {
			t.Errorf("count after finalize: %d %s", r.Status, r.Body)
		}
		if r := s.Do("POST", sheet+"/reset", bakers[3].Token, nil); r.Status != http.StatusConflict {
			t.Errorf("reset after finalize: %d", r.Status)
		}

		csv := s.Must(200, "GET", sheet+".csv", bakers[0].Token, nil)
		if ct := csv.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") ||
			!strings.Contains(string(csv.Body), fmt.Sprintf("%s,trayup,finalized,%d,", today(0), item.ID)) {
			t.Errorf("csv: %s %.200s", ct, csv.Body)
		}
		if alt := s.Must(200, "GET", sheet+"?format=csv", bakers[0].Token, nil); string(alt.Body) != string(csv.Body) {
			t.Error("?format=csv differs from .csv")
		}
		var hist struct {
			Items []struct {
				Kind   string `json:"kind"`
				Status string `json:"status"`
				Total  int    `json:"total"`
			} `json:"items"`
		}
		s.Must(200, "GET", "/api/v1/bakery/sheets?kind=trayup", bakers[0].Token, nil).JSON(t, &hist)
		if len(hist.Items) != 1 || hist.Items[0].Status != "finalized" || hist.Items[0].Total != len(bakers)*each {
			t.Errorf("history: %+v", hist)
		}
	})
}

func TestKioskPINGuessingIsThrottled(t *testing.T) {
	s := apptest.Start(t, db.SQLite, apptest.Options{})
	admin := s.AdminToken()
	dept := s.CreateDepartment(admin, "Front End")
	cashier := s.CreatePerson(admin, "employee", dept)
	kiosk := s.CreatePerson(admin, "kiosk")
	s.Must(204, "PUT", "/api/v1/me/pin", cashier.Token, map[string]any{"pin": "2580"})
	if r := s.Do("PUT", "/api/v1/me/pin", cashier.Token, map[string]any{"pin": "1234"}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("weak pin: %d", r.Status)
	}
	path := "/api/v1/attendance/kiosk/clock-in"
	for i := range attendance.PINLimitPerPerson {
		r := s.Do("POST", path, kiosk.Token, map[string]any{"employee_id": cashier.ID, "pin": "97" + strconv.Itoa(10+i)})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := s.Do("POST", path, kiosk.Token, map[string]any{"employee_id": cashier.ID, "pin": "2580"})
	if r.Status != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" {
		t.Fatalf("after guesses: %d %s", r.Status, r.Body)
	}
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > int(attendance.PINWindow.Seconds()) {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Another kiosk session is a different device; the person is still locked.
	kiosk2 := s.Login(kiosk.Email, kiosk.Password)
	if r := s.Do("POST", path, kiosk2, map[string]any{"employee_id": cashier.ID, "pin": "2580"}); r.Status != http.StatusTooManyRequests {
		t.Errorf("other device, same person: %d", r.Status)
	}
	// The cashier can still clock in on their own phone.
	s.Must(200, "POST", "/api/v1/attendance/clock-in", cashier.Token, nil)
	if r := s.Do("POST", "/api/v1/attendance/clock-in", cashier.Token, nil); r.Status != http.StatusConflict {
		t.Errorf("double clock-in: %d", r.Status)
	}
}
