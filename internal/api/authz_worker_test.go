package api_test

import (
	"encoding/json"
	"fmt"
)

// Rows of the worker fleet's routes.
func init() {
	reportBody := func(f *fixture, sc scope) any {
		return map[string]any{"kind": "hours", "format": "csv", "from": "2026-11-30", "to": "2026-12-06", "department_id": f.dept(sc)}
	}
	adminsOnly := func(code int) map[string][2]int {
		return map[string][2]int{"admin": same(code), "manager": same(403), "employee": same(403)}
	}
	rows := map[string]matrixRow{
		"GET /api/v1/admin/queues":                         {path: staticPath("/api/v1/admin/queues"), want: adminsOnly(200)},
		"GET /api/v1/admin/queues/:queue/tasks":            {path: staticPath("/api/v1/admin/queues/reports/tasks?state=archived"), want: adminsOnly(200)},
		"POST /api/v1/admin/queues/:queue/tasks/:task/run": {path: staticPath("/api/v1/admin/queues/reports/tasks/no-such-task/run"), want: adminsOnly(404)},
		"GET /api/v1/admin/mailbox":                        {path: staticPath("/api/v1/admin/mailbox"), want: adminsOnly(200)},
		"GET /api/v1/me/preferences": {path: staticPath("/api/v1/me/preferences"),
			want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)}},
		"PATCH /api/v1/me/preferences": {path: staticPath("/api/v1/me/preferences"),
			body: func(*fixture, scope) any { return map[string]any{"email_enabled": true} },
			want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)}},
		// Everyone manages their own phone; these bodies are refused alike.
		"POST /api/v1/me/phone": {path: staticPath("/api/v1/me/phone"),
			body: func(*fixture, scope) any { return map[string]any{"phone": "555-0123"} },
			want: map[string][2]int{"admin": same(422), "manager": same(422), "employee": same(422)}},
		"POST /api/v1/me/phone/verify": {path: staticPath("/api/v1/me/phone/verify"),
			body: func(*fixture, scope) any { return map[string]any{"code": "123456"} },
			want: map[string][2]int{"admin": same(404), "manager": same(404), "employee": same(404)}},
		"DELETE /api/v1/me/phone": {path: staticPath("/api/v1/me/phone"),
			want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)}},
		"GET /api/v1/admin/deliveries": {path: staticPath("/api/v1/admin/deliveries"), want: adminsOnly(200)},
		"POST /api/v1/reports": {path: staticPath("/api/v1/reports"), body: reportBody,
			want: map[string][2]int{"admin": same(202), "manager": {202, 403}, "employee": same(403)}},
		// Everyone lists their own reports (an employee has none) and reads the kinds.
		"GET /api/v1/reports": {path: staticPath("/api/v1/reports"),
			want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)}},
		"GET /api/v1/reports/kinds": {path: staticPath("/api/v1/reports/kinds"),
			want: map[string][2]int{"admin": same(200), "manager": same(200), "employee": same(200)}},
		// A report the admin asked for: only the requester (and admins) see it.
		"GET /api/v1/reports/:report_id": {
			path: func(f *fixture, sc scope) string {
				r := f.s.Do("POST", "/api/v1/reports", f.admin, reportBody(f, sc))
				var out struct{ ID int64 }
				json.Unmarshal(r.Body, &out)
				return fmt.Sprintf("/api/v1/reports/%d", out.ID)
			},
			want: map[string][2]int{"admin": same(200), "manager": same(404), "employee": same(404)},
		},
	}
	for k, v := range rows {
		matrix[k] = v
	}
	// Signed links carry their own authorization (HMAC + expiry), tested in
	// cloud/blob; the SNS hook verifies message signatures (cloud/sns, ops).
	public["GET /files/*key"] = true
	public["POST /hooks/sns"] = true
	// The unsubscribe link's token is its authorization (internal/auth links).
	public["POST /api/v1/unsubscribe"] = true
}
