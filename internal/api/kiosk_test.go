package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestKioskJourneyOverREST walks a kiosk through a shift: the picker lists
// only names of active people with a PIN, the PIN (or badge) answers the
// person's state with the actions that apply, and each action moves it.
func TestKioskJourneyOverREST(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		s := apptest.Start(t, d.Dialect, apptest.Options{})
		admin := s.AdminToken()
		dept := s.CreateDepartment(admin, "Front End")
		cashier := s.CreatePerson(admin, "employee", dept)
		s.CreatePerson(admin, "employee", dept) // no PIN: not listed
		kiosk := s.CreatePerson(admin, "kiosk")
		s.Must(204, "PUT", fmt.Sprintf("/api/v1/employees/%d/pin", cashier.ID), admin, map[string]any{"pin": "2580", "badge": "B-17"})

		var people struct {
			Items []map[string]any `json:"items"`
		}
		s.Must(200, "GET", "/api/v1/attendance/kiosk/people", kiosk.Token, nil).JSON(t, &people)
		if len(people.Items) != 1 || people.Items[0]["id"] != float64(cashier.ID) || len(people.Items[0]) != 2 {
			t.Fatalf("kiosk people: %+v", people.Items)
		}
		if r := s.Do("GET", "/api/v1/attendance/kiosk/people", cashier.Token, nil); r.Status != http.StatusForbidden {
			t.Errorf("employee lists kiosk people: %d", r.Status)
		}
		if r := s.Do("POST", "/api/v1/attendance/kiosk-state", kiosk.Token, map[string]any{"employee_id": cashier.ID, "pin": "9713"}); r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "validation_failed" {
			t.Errorf("wrong pin: %d %s", r.Status, r.Body)
		}
		if r := s.Do("POST", "/api/v1/attendance/kiosk-state", kiosk.Token, map[string]any{"pin": "2580"}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("nobody: %d %s", r.Status, r.Body)
		}
		steps := []struct {
			desc   string
			action attendance.Action
			state  string
			next   []attendance.Action
		}{
			{desc: "before", state: attendance.StateOut, next: []attendance.Action{attendance.ActClockIn}},
			{desc: "clock in", action: attendance.ActClockIn, state: attendance.StateIn, next: []attendance.Action{attendance.ActBreakStart, attendance.ActClockOut}},
			{desc: "break", action: attendance.ActBreakStart, state: attendance.StateBreak, next: []attendance.Action{attendance.ActBreakEnd, attendance.ActClockOut}},
			{desc: "back", action: attendance.ActBreakEnd, state: attendance.StateIn, next: []attendance.Action{attendance.ActBreakStart, attendance.ActClockOut}},
			{desc: "clock out", action: attendance.ActClockOut, state: attendance.StateOut, next: []attendance.Action{attendance.ActClockIn}},
		}
		for _, st := range steps {
			if st.action != "" {
				s.Must(200, "POST", "/api/v1/attendance/kiosk/"+string(st.action), kiosk.Token, map[string]any{"badge": "B-17", "pin": "2580"})
			}
			var got attendance.ClockState
			s.Must(200, "POST", "/api/v1/attendance/kiosk-state", kiosk.Token, map[string]any{"badge": "B-17", "pin": "2580"}).JSON(t, &got)
			var mine attendance.ClockState
			s.Must(200, "GET", "/api/v1/attendance/me", cashier.Token, nil).JSON(t, &mine)
			for _, g := range []attendance.ClockState{got, mine} {
				if g.EmployeeID != cashier.ID || g.State != st.state || fmt.Sprint(g.Actions) != fmt.Sprint(st.next) || (g.Since == nil) != (st.state == attendance.StateOut) {
					t.Errorf("%s: %+v", st.desc, g)
				}
			}
		}
		if r := s.Do("GET", "/api/v1/attendance/me", kiosk.Token, nil); r.Status != http.StatusForbidden {
			t.Errorf("kiosk's own state: %d", r.Status)
		}
	})
}
