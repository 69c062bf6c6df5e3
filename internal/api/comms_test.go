package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/comms"
)

func countRows(t *testing.T, s *apptest.Server, table string) int {
	t.Helper()
	var n int
	if err := s.App.DB.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Bad announcements and acknowledgement links get the error shape and
// write nothing; a publish through the API asks its people to acknowledge.
func TestCommsBadInputAndPublishAcks(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		dept := s.CreateDepartment(admin, "Bakery")
		mgr := s.CreatePerson(admin, "manager", dept)
		emp := s.CreatePerson(admin, "employee", dept)
		post := func(body any) apptest.Response {
			return s.Do("POST", "/api/v1/announcements", mgr.Token, body)
		}
		cases := []struct {
			desc   string
			body   any
			status int
			code   string
		}{
			{"over 4,000 characters", map[string]any{"title": "t", "body": strings.Repeat("a", comms.MaxBody+1), "department_ids": []int64{dept}}, 422, "validation_failed"},
			{"unknown department", map[string]any{"title": "t", "body": "b", "department_ids": []int64{dept + 1000}}, 403, "forbidden"},
			{"NUL in the title", map[string]any{"title": "a\u0000", "body": "b", "department_ids": []int64{dept}}, 422, "validation_failed"},
			{"unknown field", map[string]any{"title": "t", "body": "b", "department_ids": []int64{dept}, "html": true}, 400, "bad_request"},
			{"not an object", []int{1}, 400, "bad_request"},
			{"over the body limit", map[string]any{"title": "t", "body": strings.Repeat("a", 1<<20), "department_ids": []int64{dept}}, 413, "too_large"},
		}
		for _, c := range cases {
			r := post(c.body)
			if r.Status != c.status || r.ErrorCode() != c.code {
				t.Errorf("%s: %d %s, want %d %s", c.desc, r.Status, r.ErrorCode(), c.status, c.code)
			}
		}
		// An admin may name any department; an unknown one is a field error.
		r := s.Do("POST", "/api/v1/announcements", admin, map[string]any{"title": "t", "body": "b", "department_ids": []int64{dept, dept + 1000}})
		if r.Status != 422 || !strings.Contains(string(r.Body), "department_ids[1]") {
			t.Errorf("admin, unknown department: %d %s", r.Status, r.Body)
		}
		if n := countRows(t, s, "announcements"); n != 0 {
			t.Fatalf("refused posts wrote %d announcements", n)
		}
		s.Must(http.StatusCreated, "POST", "/api/v1/announcements", mgr.Token, map[string]any{"title": "Hi", "body": "b", "department_ids": []int64{dept}})

		// Links: unknown 404, malformed 404, missing 404.
		for _, tok := range []string{"crumbl_unknown", "nope", ""} {
			r := s.Do("POST", "/api/v1/links/schedule-ack", "", map[string]any{"token": tok})
			if r.Status != 404 || r.ErrorCode() != "not_found" {
				t.Errorf("link %q: %d %s", tok, r.Status, r.Body)
			}
		}

		// A publish asks the person with shifts to acknowledge the week.
		week := "2026-12-07"
		s.Must(http.StatusCreated, "POST", "/api/v1/shifts", mgr.Token, map[string]any{"department_id": dept, "employee_id": emp.ID,
			"starts_at": "2026-12-08T13:00:00Z", "ends_at": "2026-12-08T21:00:00Z", "position": "Bench"})
		s.Must(http.StatusOK, "POST", "/api/v1/schedules/publish", mgr.Token, map[string]any{"department_id": dept, "week_start": week})
		var acks []comms.WeekAck
		s.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/schedules/acks?department_id=%d&week_start=%s", dept, week), mgr.Token, nil).JSON(t, &acks)
		if len(acks) != 1 || acks[0].UserID != emp.ID || acks[0].Status != "not_yet" {
			t.Fatalf("acks after publish %+v", acks)
		}
		var mine []comms.WeekAck
		s.Must(http.StatusOK, "GET", "/api/v1/me/schedule-acks", emp.Token, nil).JSON(t, &mine)
		if len(mine) != 1 || mine[0].WeekStart != acks[0].WeekStart {
			t.Fatalf("employee's pending weeks %+v", mine)
		}
		in := map[string]any{"department_id": dept, "week_start": mine[0].WeekStart}
		var a comms.WeekAck
		s.Must(http.StatusOK, "POST", "/api/v1/me/schedule-acks/ack", emp.Token, in).JSON(t, &a)
		if a.Status != "acknowledged" {
			t.Errorf("ack %+v", a)
		}
		if r := s.Do("POST", "/api/v1/me/schedule-acks/ack", emp.Token, map[string]any{"department_id": dept, "week_start": "07/12/2026"}); r.Status != 422 {
			t.Errorf("bad week: %d %s", r.Status, r.Body)
		}
	})
}
