package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/db"
)

// The fuzz targets below run their seeds (f.Add and testdata/fuzz/<name>)
// with every go test; `go test -fuzz=^FuzzX$ ./internal/api/` explores
// further. Each asserts what every answer of the API promises: no panic, no
// 500 for anything a client sends, and errors in the API error shape.

// checkAnswer fails unless r is a success or an error in the API shape
// (never a 500).
func checkAnswer(t *testing.T, what string, r apptest.Response) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%s: %d %s", what, r.Status, r.Body)
	}
	if r.Status < 400 {
		return
	}
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s: %d is not in the error shape: %q", what, r.Status, r.Body)
	}
}

// on is s reporting to t: a fuzz function must not use its *testing.F.
func on(s *apptest.Server, t *testing.T) *apptest.Server {
	c := *s
	c.T = t
	return &c
}

// bodyTargets are representative JSON writes: a login, creating a
// department, a person, a shift and a report, and the store settings.
var bodyTargets = []struct{ method, path string }{
	{"POST", "/api/v1/auth/login"},
	{"POST", "/api/v1/departments"},
	{"POST", "/api/v1/employees"},
	{"PATCH", "/api/v1/store"},
	{"POST", "/api/v1/shifts"},
	{"POST", "/api/v1/reports"},
	{"POST", "/api/v1/time-off"},
}

func FuzzJSONBodies(f *testing.F) {
	seeds := []string{
		`{"email":"a@example.com","password":"correct-horse"}`,
		`{"name":"Bakery","color":"#aa3300"}`,
		`{"name":"Bak\u0000ery"}`,
		`{"first_name":"Ada","last_name":"\u202eecalov","email":"ada@example.com","role":"employee"}`,
		`{"timezone":"Europe/Berlin","week_starts_on":1}`,
		`{"department_id":1,"starts_at":"2026-12-01T08:00:00Z","ends_at":"2026-12-01T16:00:00Z","notes":"x"}`,
		`{"kind":"hours","format":"csv","from":"2026-11-30","to":"2026-12-06"}`,
		`{"starts_on":"2026-12-24","ends_on":"2026-12-26","reason":"family"}`,
		`{"name": 5}`, `[]`, `null`, `{"name":"A"} {}`, ``, `{"a":{"b":[1,2,{"c":null}]}}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	s := apptest.Start(f, db.SQLite, apptest.Options{})
	admin := s.AdminToken()
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		tg := bodyTargets[int(target)%len(bodyTargets)]
		r := on(s, t).Do(tg.method, tg.path, admin, body)
		checkAnswer(t, tg.method+" "+tg.path+" "+strconv.Quote(body), r)
	})
}

// FuzzSince sends since (the WebSocket's resume point) and limit: a value
// that is not plain decimal digits is a 400 in the error shape, like an id.
func FuzzSince(f *testing.F) {
	for _, v := range []string{"0", "1", "42", "+1", "01", "-0", "-1", " 1", "1e3", "9223372036854775807", "9223372036854775808", "0x10", "١"} {
		f.Add(v)
	}
	s := apptest.Start(f, db.SQLite, apptest.Options{})
	admin := s.AdminToken()
	f.Fuzz(func(t *testing.T, v string) {
		q := url.Values{"since": {v}}.Encode()
		s := on(s, t)
		r := s.Do("GET", "/api/v1/ws?"+q, admin, nil)
		if r.Status >= 500 {
			t.Fatalf("since=%q: %d %s", v, r.Status, r.Body)
		}
		// A valid since reaches the upgrade, which this plain GET fails
		// in the WebSocket library's words; an invalid one is ours.
		n, err := strconv.ParseInt(v, 10, 64)
		plain := v == "" || (err == nil && n >= 0 && strconv.FormatInt(n, 10) == v) // "" is no since at all
		if !plain {
			if r.ErrorCode() != "bad_request" {
				t.Fatalf("since=%q: %d %s, want bad_request", v, r.Status, r.Body)
			}
			checkAnswer(t, "since="+v, r)
		}
		r = s.Do("GET", "/api/v1/employees?"+url.Values{"limit": {v}}.Encode(), admin, nil)
		checkAnswer(t, "limit="+v, r)
		if !plain && r.Status != http.StatusBadRequest {
			t.Fatalf("limit=%q: %d, want 400", v, r.Status)
		}
	})
}

// FuzzICalToken requests the public calendar feed with any token: a 404
// in the error shape unless it is a live token.
func FuzzICalToken(f *testing.F) {
	for _, v := range []string{"", "x", "abc.ics", "crumb_ical_0000.ics", ".ics", "%00.ics", "../../etc/passwd.ics", "\u202e.ics"} {
		f.Add(v)
	}
	s := apptest.Start(f, db.SQLite, apptest.Options{})
	admin := s.AdminToken()
	var tok struct {
		URL string `json:"url"`
	}
	s.Must(http.StatusCreated, "POST", "/api/v1/me/ical-token", admin, nil).JSON(f, &tok)
	if u, err := url.Parse(tok.URL); err == nil {
		f.Add(u.Path[len("/api/v1/ical/"):])
	}
	f.Fuzz(func(t *testing.T, file string) {
		r := on(s, t).Do("GET", "/api/v1/ical/"+url.PathEscape(file), "", nil)
		checkAnswer(t, "ical "+strconv.Quote(file), r)
	})
}
