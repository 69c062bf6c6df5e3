package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/web"
)

// HEAD of an app page answers like GET without a body; HEAD of an unknown
// API path is still the JSON 404.
func TestHeadServesAppPages(t *testing.T) {
	r, _ := NewRouter(Deps{Web: web.Handler(),
		Bakery: &bakery.Service{}, Attendance: &attendance.Service{}, Push: &push.Service{}})
	for _, p := range []string{"/", "/login", "/week", "/home", "/sw.js"} {
		get := httptest.NewRecorder()
		r.ServeHTTP(get, httptest.NewRequest(http.MethodGet, p, nil))
		head := httptest.NewRecorder()
		r.ServeHTTP(head, httptest.NewRequest(http.MethodHead, p, nil))
		if get.Code != http.StatusOK || head.Code != http.StatusOK {
			t.Errorf("%s: GET %d, HEAD %d; want 200 for both", p, get.Code, head.Code)
			continue
		}
		if head.Body.Len() != 0 {
			t.Errorf("HEAD %s wrote a body of %d bytes", p, head.Body.Len())
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Last-Modified", "X-Content-Type-Options"} {
			if g, hd := get.Header().Get(h), head.Header().Get(h); g != hd {
				t.Errorf("%s %s: GET %q, HEAD %q", p, h, g, hd)
			}
		}
	}
	res := httptest.NewRecorder()
	r.ServeHTTP(res, httptest.NewRequest(http.MethodHead, "/api/v1/no-such-thing", nil))
	if res.Code != http.StatusNotFound {
		t.Fatalf("HEAD unknown API path: %d, want 404", res.Code)
	}
	if ct := res.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("HEAD unknown API path Content-Type %q", ct)
	}
	get := httptest.NewRecorder()
	r.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/api/v1/no-such-thing", nil))
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(get.Body.Bytes(), &body); err != nil || body.Error.Code == "" {
		t.Errorf("GET unknown API path: %d %q", get.Code, get.Body.String())
	}
}
