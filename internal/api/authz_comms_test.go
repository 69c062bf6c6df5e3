package api_test

import (
	"encoding/json"
	"fmt"
)

// Rows of announcements and schedule acknowledgements.
func init() {
	post := func(f *fixture, sc scope, needsAck bool) int64 {
		r := f.s.Do("POST", "/api/v1/announcements", f.admin, map[string]any{"title": "Note", "body": "Hello",
			"department_ids": []int64{f.dept(sc)}, "needs_ack": needsAck})
		var out struct{ ID int64 }
		json.Unmarshal(r.Body, &out)
		return out.ID
	}
	everyone := func(code int) map[string][2]int {
		return map[string][2]int{"admin": same(code), "manager": same(code), "employee": same(code)}
	}
	week := func(f *fixture, sc scope) any {
		return map[string]any{"department_id": f.dept(sc), "week_start": "2026-12-07"}
	}
	rows := map[string]matrixRow{
		"POST /api/v1/announcements": {path: staticPath("/api/v1/announcements"),
			body: func(f *fixture, sc scope) any {
				return map[string]any{"title": "Note", "body": "Hello", "department_ids": []int64{f.dept(sc)}}
			},
			want: map[string][2]int{"admin": same(201), "manager": {201, 403}, "employee": same(403)}},
		"GET /api/v1/announcements": {path: staticPath("/api/v1/announcements"), want: everyone(200)},
		"GET /api/v1/announcements/:id": {
			path: func(f *fixture, sc scope) string { return fmt.Sprintf("/api/v1/announcements/%d", post(f, sc, false)) },
			want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": {200, 404}}},
		"GET /api/v1/announcements/:id/reads": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/announcements/%d/reads", post(f, sc, false))
			},
			want: map[string][2]int{"admin": same(200), "manager": {200, 404}, "employee": {403, 404}}},
		// The store's admin works in no department: nothing is addressed to them.
		"POST /api/v1/announcements/:id/ack": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/announcements/%d/ack", post(f, sc, true))
			},
			want: map[string][2]int{"admin": same(403), "manager": {200, 404}, "employee": {200, 404}}},
		// Posts not addressed to the caller are skipped, not refused.
		"POST /api/v1/announcements/seen": {path: staticPath("/api/v1/announcements/seen"),
			body: func(f *fixture, sc scope) any { return map[string]any{"ids": []int64{post(f, sc, false)}} },
			want: everyone(200)},
		"GET /api/v1/schedules/acks": {
			path: func(f *fixture, sc scope) string {
				return fmt.Sprintf("/api/v1/schedules/acks?department_id=%d&week_start=2026-12-07", f.dept(sc))
			},
			want: map[string][2]int{"admin": same(200), "manager": {200, 403}, "employee": same(403)}},
		"GET /api/v1/me/schedule-acks": {path: staticPath("/api/v1/me/schedule-acks"), want: everyone(200)},
		// Nobody was asked to acknowledge this week: 404 for everyone.
		"POST /api/v1/me/schedule-acks/seen": {path: staticPath("/api/v1/me/schedule-acks/seen"), body: week, want: everyone(404)},
		"POST /api/v1/me/schedule-acks/ack":  {path: staticPath("/api/v1/me/schedule-acks/ack"), body: week, want: everyone(404)},
	}
	for k, v := range rows {
		matrix[k] = v
	}
	// The acknowledgement link's token is its own authorization (single
	// purpose, once, expiring), tested in internal/comms and below.
	public["POST /api/v1/links/schedule-ack"] = true
}
