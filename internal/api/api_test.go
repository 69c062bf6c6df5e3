package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// forEachApp runs fn against the real app on SQLite and on MariaDB.
func forEachApp(t *testing.T, fn func(t *testing.T, s *apptest.Server)) {
	for _, d := range testutil.Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, apptest.Start(t, d, apptest.Options{})) })
	}
}

func TestLoginAndSession(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		me := s.Must(http.StatusOK, "GET", "/api/v1/me", admin, nil)
		var u struct {
			Email   string `json:"email"`
			Role    string `json:"role"`
			PayRate *int64 `json:"pay_rate_cents"`
		}
		me.JSON(t, &u)
		if u.Email != apptest.AdminEmail || u.Role != "admin" {
			t.Fatalf("me = %+v", u)
		}

		// Same 401 message for an unknown e-mail and a wrong password.
		a := s.Must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@test.example.com", "password": "whatever-long"})
		b := s.Must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": "wrong-password"})
		if msg(a) != msg(b) || a.ErrorCode() != "unauthenticated" {
			t.Fatalf("login errors differ: %s vs %s", a.Body, b.Body)
		}
		s.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/auth/login", "", map[string]string{"email": "", "password": ""})

		// Logout revokes the token.
		s.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", admin, nil)
		r := s.Must(http.StatusUnauthorized, "GET", "/api/v1/me", admin, nil)
		if r.ErrorCode() != "unauthenticated" {
			t.Fatalf("code %q", r.ErrorCode())
		}
		s.Must(http.StatusUnauthorized, "GET", "/api/v1/me", "", nil)
		s.Must(http.StatusUnauthorized, "GET", "/api/v1/me", "crumb_not-a-real-token", nil)
	})
}

func msg(r apptest.Response) string {
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	_ = jsonUnmarshal(r.Body, &e)
	return e.Error.Message
}

func TestLoginThrottling(t *testing.T) {
	s := apptest.Start(t, db.SQLite, apptest.Options{Env: map[string]string{"CRUMB_TRUSTED_PROXIES": "127.0.0.1/32"}})
	admin := s.AdminToken()
	dept := s.CreateDepartment(admin, "Deli")
	victim := s.CreatePerson(admin, "employee", dept)
	login := func(ip, password string, hdr ...string) apptest.Response {
		return s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": victim.Email, "password": password},
			append([]string{"X-Forwarded-For", ip}, hdr...)...)
	}

	// The victim signs in once from their browser: that device is known.
	var device string
	for _, c := range login("10.0.0.1", victim.Password).Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "crumb_device=") {
			device = strings.SplitN(strings.TrimPrefix(c, "crumb_device="), ";", 2)[0]
		}
	}
	if device == "" {
		t.Fatal("no device cookie")
	}
	// An attacker at one address is stopped after a few guesses.
	var last apptest.Response
	for i := 0; i < 6; i++ {
		last = login("10.6.6.6", "guess-"+strconv.Itoa(i))
	}
	if last.Status != http.StatusTooManyRequests || last.ErrorCode() != "rate_limited" || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after guessing: %d %s (Retry-After %q)", last.Status, last.Body, last.Header.Get("Retry-After"))
	}
	if r := login("10.6.6.6", victim.Password); r.Status != http.StatusTooManyRequests {
		t.Fatalf("right password from the attacking address: %d", r.Status)
	}
	// A botnet spreads its guesses over many addresses: the account closes
	// to unknown browsers...
	for i := 0; i < 30; i++ {
		login(fmt.Sprintf("10.7.%d.1", i), "guess-"+strconv.Itoa(i))
	}
	if r := login("10.8.0.1", victim.Password); r.Status != http.StatusTooManyRequests {
		t.Fatalf("unknown browser during attack: %d", r.Status)
	}
	// ...but the owner, on their known device, is not locked out.
	if r := login("10.9.0.1", victim.Password, "Cookie", "crumb_device="+device); r.Status != http.StatusOK {
		t.Fatalf("owner locked out: %d %s", r.Status, r.Body)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		dept := s.CreateDepartment(admin, "Produce")
		p := s.CreatePerson(admin, "employee", dept)
		other := s.Login(p.Email, p.Password)
		s.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/me/password", p.Token, map[string]string{"current": "wrong-one-here", "new": "a-new-password-1"})
		s.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/me/password", p.Token, map[string]string{"current": p.Password, "new": "short"})
		s.Must(http.StatusNoContent, "POST", "/api/v1/me/password", p.Token, map[string]string{"current": p.Password, "new": "a-new-password-1"})
		s.Must(http.StatusOK, "GET", "/api/v1/me", p.Token, nil)
		s.Must(http.StatusUnauthorized, "GET", "/api/v1/me", other, nil)
		s.Must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": p.Password})
		s.Login(p.Email, "a-new-password-1")
	})
}

func TestMalformedRequests(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		tests := []struct {
			desc   string
			method string
			path   string
			body   any
			hdr    []string
			status int
			code   string
		}{
			{desc: "broken JSON", method: "POST", path: "/api/v1/departments", body: `{"name": `, status: 400, code: "bad_request"},
			{desc: "unknown field", method: "POST", path: "/api/v1/departments", body: `{"name":"A","colour":"#000000"}`, status: 400, code: "bad_request"},
			{desc: "wrong type", method: "POST", path: "/api/v1/departments", body: `{"name": 5}`, status: 400, code: "bad_request"},
			{desc: "trailing data", method: "POST", path: "/api/v1/departments", body: `{"name":"A"} {}`, status: 400, code: "bad_request"},
			{desc: "empty body", method: "POST", path: "/api/v1/departments", body: ``, status: 400, code: "bad_request"},
			{desc: "not JSON content type", method: "POST", path: "/api/v1/departments", body: `{"name":"A"}`, hdr: []string{"Content-Type", "text/plain"}, status: 400, code: "bad_request"},
			{desc: "oversized", method: "POST", path: "/api/v1/departments", body: `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, status: 413, code: "too_large"},
			{desc: "bad limit", method: "GET", path: "/api/v1/employees?limit=9999", status: 400, code: "bad_request"},
			{desc: "bad cursor", method: "GET", path: "/api/v1/employees?cursor=not*base64!", status: 400, code: "bad_request"},
			{desc: "bad id", method: "GET", path: "/api/v1/departments/abc", status: 400, code: "bad_request"},
			{desc: "signed id", method: "GET", path: "/api/v1/departments/+1", status: 400, code: "bad_request"},
			{desc: "zero-padded id", method: "GET", path: "/api/v1/departments/01", status: 400, code: "bad_request"},
			{desc: "zero id", method: "GET", path: "/api/v1/departments/0", status: 400, code: "bad_request"},
			{desc: "zero-padded query id", method: "GET", path: "/api/v1/employees?department_id=01", status: 400, code: "bad_request"},
			{desc: "bad If-Match", method: "PATCH", path: "/api/v1/store", body: `{}`, hdr: []string{"If-Match", "nope"}, status: 400, code: "bad_request"},
			{desc: "signed If-Match", method: "PATCH", path: "/api/v1/store", body: `{}`, hdr: []string{"If-Match", "+1"}, status: 400, code: "bad_request"},
			{desc: "zero-padded If-Match", method: "PATCH", path: "/api/v1/store", body: `{}`, hdr: []string{"If-Match", `"01"`}, status: 400, code: "bad_request"},
			{desc: "signed limit", method: "GET", path: "/api/v1/employees?limit=+1", status: 400, code: "bad_request"},
			{desc: "zero-padded limit", method: "GET", path: "/api/v1/employees?limit=01", status: 400, code: "bad_request"},
			{desc: "negative zero limit", method: "GET", path: "/api/v1/employees?limit=-0", status: 400, code: "bad_request"},
			{desc: "signed since", method: "GET", path: "/api/v1/ws?since=+1", status: 400, code: "bad_request"},
			{desc: "zero-padded since", method: "GET", path: "/api/v1/ws?since=01", status: 400, code: "bad_request"},
			{desc: "negative zero since", method: "GET", path: "/api/v1/ws?since=-0", status: 400, code: "bad_request"},
			{desc: "NUL in a name", method: "POST", path: "/api/v1/departments", body: `{"name":"Bak\u0000ery"}`, status: 422, code: "validation_failed"},
			{desc: "bidi override in a name", method: "POST", path: "/api/v1/departments", body: `{"name":"Bakery \u202egnp.exe"}`, status: 422, code: "validation_failed"},
			{desc: "bidi isolate in a name", method: "POST", path: "/api/v1/departments", body: "{\"name\":\"Deli \u2067x\"}", status: 422, code: "validation_failed"},
			{desc: "bidi override in a person's name", method: "POST", path: "/api/v1/employees", body: `{"first_name":"A\u202dB","last_name":"C","email":"c@example.com","role":"employee"}`, status: 422, code: "validation_failed"},
			{desc: "unknown route", method: "GET", path: "/api/v1/nope", status: 404, code: "not_found"},
			{desc: "invalid values", method: "POST", path: "/api/v1/departments", body: `{"name":"","color":"red"}`, status: 422, code: "validation_failed"},
			{desc: "bad store zone", method: "PATCH", path: "/api/v1/store", body: `{"timezone":"Mars/Olympus"}`, status: 422, code: "validation_failed"},
			{desc: "bad role filter", method: "GET", path: "/api/v1/employees?role=king", status: 400, code: "bad_request"},
			{desc: "bad audit date", method: "GET", path: "/api/v1/audit?from=yesterday", status: 400, code: "bad_request"},
		}
		for _, tc := range tests {
			r := s.Do(tc.method, tc.path, admin, tc.body, tc.hdr...)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s, want %d %s", tc.desc, r.Status, trunc(r.Body), tc.status, tc.code)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Errorf("%s: no request id", tc.desc)
			}
			if strings.Contains(string(r.Body), "goroutine") || strings.Contains(strings.ToLower(string(r.Body)), "sql") {
				t.Errorf("%s: body leaks internals: %s", tc.desc, trunc(r.Body))
			}
		}
		// Nothing was written by any of them.
		var page struct{ Items []any }
		s.Must(200, "GET", "/api/v1/departments", admin, nil).JSON(t, &page)
		if len(page.Items) != 0 {
			t.Fatalf("bad requests wrote %d departments", len(page.Items))
		}
	})
}

func trunc(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

func TestSecurityHeadersAndCSRF(t *testing.T) {
	s := apptest.Start(t, db.SQLite, apptest.Options{})
	r := s.Must(200, "GET", "/healthz", "", nil)
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
		if r.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP %q", r.Header.Get("Content-Security-Policy"))
	}
	// A browser on another site cannot use the session cookie for writes.
	login := s.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": apptest.AdminPassword})
	var cookie string
	for _, c := range login.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "crumb_session=") {
			cookie = strings.SplitN(c, ";", 2)[0]
			if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
				t.Errorf("session cookie flags: %s", c)
			}
		}
	}
	body := map[string]string{"name": "Evil"}
	bad := s.Do("POST", "/api/v1/departments", "", body, "Cookie", cookie, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if bad.Status != 403 || bad.ErrorCode() != "forbidden" {
		t.Fatalf("cross-site write: %d %s", bad.Status, bad.Body)
	}
	s.Must(201, "POST", "/api/v1/departments", "", body, "Cookie", cookie, "Origin", s.URL, "Sec-Fetch-Site", "same-origin")
	// Reads with the cookie work.
	s.Must(200, "GET", "/api/v1/me", "", nil, "Cookie", cookie)
}

func TestOperations(t *testing.T) {
	s := apptest.Start(t, db.SQLite, apptest.Options{})
	s.Must(200, "GET", "/healthz", "", nil)
	s.Must(200, "GET", "/readyz", "", nil)
	s.AdminToken()
	m := s.Must(200, "GET", "/metrics", "", nil)
	for _, want := range []string{"crumb_http_request_duration_seconds", "go_sql_open_connections"} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// With the database gone, readyz says so (503) without details.
	s.App.DB.Close()
	r := s.Must(503, "GET", "/readyz", "", nil)
	if r.ErrorCode() != "unavailable" {
		t.Fatalf("readyz: %s", r.Body)
	}
}

func TestIdempotencyKey(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		first := s.Must(201, "POST", "/api/v1/departments", admin, map[string]string{"name": "Bakery"}, "Idempotency-Key", "k-1")
		again := s.Must(201, "POST", "/api/v1/departments", admin, map[string]string{"name": "Bakery"}, "Idempotency-Key", "k-1")
		if string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs: %s vs %s", first.Body, again.Body)
		}
		r := s.Must(422, "POST", "/api/v1/departments", admin, map[string]string{"name": "Deli"}, "Idempotency-Key", "k-1")
		if r.ErrorCode() != "validation_failed" {
			t.Fatalf("reused key: %s", r.Body)
		}
		s.Must(400, "POST", "/api/v1/departments", admin, map[string]string{"name": "Deli"}, "Idempotency-Key", strings.Repeat("k", 256))
		var page struct{ Items []any }
		s.Must(200, "GET", "/api/v1/departments", admin, nil).JSON(t, &page)
		if len(page.Items) != 1 {
			t.Fatalf("%d departments, want 1", len(page.Items))
		}
	})
}

func TestDepartmentsLifecycle(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		var d struct {
			ID      int64  `json:"id"`
			Name    string `json:"name"`
			Color   string `json:"color"`
			Version int64  `json:"version"`
		}
		s.Must(201, "POST", "/api/v1/departments", admin, map[string]string{"name": "Deli", "color": "#dc2626"}).JSON(t, &d)
		s.Must(422, "POST", "/api/v1/departments", admin, map[string]string{"name": "deli"}) // names are unique, case-insensitively
		path := fmt.Sprintf("/api/v1/departments/%d", d.ID)
		s.Must(200, "PATCH", path, admin, map[string]any{"name": "Deli & Cheese", "version": d.Version}).JSON(t, &d)
		if d.Version != 2 || d.Name != "Deli & Cheese" {
			t.Fatalf("after patch: %+v", d)
		}
		r := s.Must(409, "PATCH", path, admin, map[string]any{"name": "Old"}, "If-Match", "1")
		if r.ErrorCode() != "stale_version" {
			t.Fatalf("stale: %s", r.Body)
		}
		p := s.CreatePerson(admin, "employee", d.ID)
		r = s.Must(409, "DELETE", path, admin, nil)
		if r.ErrorCode() != "in_use" {
			t.Fatalf("delete in use: %s", r.Body)
		}
		s.Must(200, "PATCH", fmt.Sprintf("/api/v1/employees/%d", p.ID), admin, map[string]any{"department_ids": []int64{}, "role": "kiosk"})
		s.Must(204, "DELETE", path, admin, nil)
		s.Must(404, "GET", path, admin, nil)
		s.Must(404, "DELETE", path, admin, nil)
	})
}

func TestEmployeesLifecycle(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		deli := s.CreateDepartment(admin, "Deli")
		bakery := s.CreateDepartment(admin, "Bakery")
		mgr := s.CreatePerson(admin, "manager", deli)
		emp := s.CreatePerson(admin, "employee", deli)
		baker := s.CreatePerson(admin, "employee", bakery)

		s.Must(422, "POST", "/api/v1/employees", admin, map[string]any{"first_name": "A", "last_name": "B", "email": "bad", "password": "x", "role": "chef"})
		r := s.Must(422, "POST", "/api/v1/employees", admin, map[string]any{"first_name": "A", "last_name": "B", "email": emp.Email, "password": "long-enough-pw", "role": "employee", "department_ids": []int64{deli}})
		if !strings.Contains(string(r.Body), "email") {
			t.Fatalf("duplicate email: %s", r.Body)
		}
		s.Must(422, "POST", "/api/v1/employees", admin, map[string]any{"first_name": "A", "last_name": "B", "email": "x@test.example.com", "password": "long-enough-pw", "role": "employee", "department_ids": []int64{9999}})

		// pay_rate_cents (integer cents) for admins, the person's managers
		// and the person; never for a colleague. Floats and absurd rates
		// are refused.
		path := fmt.Sprintf("/api/v1/employees/%d", emp.ID)
		s.Must(200, "PATCH", path, admin, map[string]any{"pay_rate_cents": 1825})
		s.Must(400, "PATCH", path, admin, map[string]any{"pay_rate_cents": 18.25})
		s.Must(422, "PATCH", path, admin, map[string]any{"pay_rate_cents": -1})
		s.Must(422, "PATCH", path, admin, map[string]any{"pay_rate_cents": 100001})
		for who, tok := range map[string]string{"admin": admin, "manager": mgr.Token, "the person": emp.Token} {
			if b := s.Must(200, "GET", path, tok, nil).Body; !strings.Contains(string(b), `"pay_rate_cents":1825`) {
				t.Fatalf("%s view: %s", who, b)
			}
		}
		colleague := s.CreatePerson(admin, "manager", bakery)
		if b := s.Do("GET", path, colleague.Token, nil).Body; strings.Contains(string(b), "pay_rate") {
			t.Fatalf("a manager of another department sees pay: %s", b)
		}
		if b := s.Do("GET", fmt.Sprintf("/api/v1/employees/%d", baker.ID), emp.Token, nil).Body; strings.Contains(string(b), "pay_rate") {
			t.Fatalf("a colleague sees pay: %s", b)
		}
		// Managers see their department, not others; employees only themselves.
		var page struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		s.Must(200, "GET", "/api/v1/employees", mgr.Token, nil).JSON(t, &page)
		if ids := idsOf(page.Items); !contains(ids, emp.ID) || contains(ids, baker.ID) {
			t.Fatalf("manager list: %v", ids)
		}
		s.Must(200, "GET", "/api/v1/employees", emp.Token, nil).JSON(t, &page)
		if ids := idsOf(page.Items); len(ids) != 1 || ids[0] != emp.ID {
			t.Fatalf("employee list: %v", ids)
		}
		// Cursor pagination walks everyone exactly once.
		seen := map[int64]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			s.Must(200, "GET", "/api/v1/employees?limit=2&cursor="+cursor, admin, nil).JSON(t, &page)
			for _, it := range page.Items {
				if seen[it.ID] {
					t.Fatalf("id %d twice", it.ID)
				}
				seen[it.ID] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
			page.NextCursor = ""
		}
		if len(seen) != 5 {
			t.Fatalf("paged %d people, want 5", len(seen))
		}
		// Deactivating ends the person's sessions.
		s.Must(204, "DELETE", path, admin, nil)
		s.Must(401, "GET", "/api/v1/me", emp.Token, nil)
		s.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"email": emp.Email, "password": emp.Password})
		// The last admin cannot be demoted or deactivated.
		var me struct {
			ID int64 `json:"id"`
		}
		s.Must(200, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
		r = s.Must(409, "PATCH", fmt.Sprintf("/api/v1/employees/%d", me.ID), admin, map[string]any{"role": "employee", "department_ids": []int64{deli}})
		if r.ErrorCode() != "conflict" {
			t.Fatalf("last admin: %s", r.Body)
		}
		// Every write is audited.
		var audit struct {
			Items []struct {
				Action string `json:"action"`
			} `json:"items"`
		}
		s.Must(200, "GET", "/api/v1/audit?entity=employee", admin, nil).JSON(t, &audit)
		actions := map[string]bool{}
		for _, a := range audit.Items {
			actions[a.Action] = true
		}
		for _, want := range []string{"employee.create", "employee.update", "employee.deactivate"} {
			if !actions[want] {
				t.Errorf("audit lacks %s: %v", want, actions)
			}
		}
	})
}

func TestStoreSettings(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		dept := s.CreateDepartment(admin, "Deli")
		emp := s.CreatePerson(admin, "employee", dept)
		var st struct {
			Timezone     string `json:"timezone"`
			MinRestHours int    `json:"min_rest_hours"`
			Version      int64  `json:"version"`
		}
		s.Must(200, "GET", "/api/v1/store", emp.Token, nil).JSON(t, &st)
		if st.MinRestHours != 10 || st.Timezone == "" {
			t.Fatalf("defaults: %+v", st)
		}
		s.Must(403, "PATCH", "/api/v1/store", emp.Token, map[string]any{"min_rest_hours": 8})
		s.Must(200, "PATCH", "/api/v1/store", admin, map[string]any{"min_rest_hours": 8, "timezone": "America/Toronto", "version": st.Version}).JSON(t, &st)
		if st.MinRestHours != 8 || st.Timezone != "America/Toronto" {
			t.Fatalf("after patch: %+v", st)
		}
		s.Must(409, "PATCH", "/api/v1/store", admin, map[string]any{"min_rest_hours": 9, "version": 1})
	})
}

func idsOf(items []struct {
	ID int64 `json:"id"`
}) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
