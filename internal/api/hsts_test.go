package api_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/crumbcommander/crumb/internal/api"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/push"
)

// Behind TLS (an https base URL) every response carries HSTS; over plain
// http it must not, or a local install would lock browsers out.
func TestHSTSOnlyBehindTLS(t *testing.T) {
	for _, tc := range []struct {
		desc, base string
		want       bool
	}{
		{desc: "https", base: "https://crumb.example.com", want: true},
		{desc: "http", base: "http://localhost:8080", want: false},
	} {
		u, _ := url.Parse(tc.base)
		r, _ := api.NewRouter(api.Deps{BaseURL: u, SecureCookies: u.Scheme == "https",
			Bakery: &bakery.Service{}, Attendance: &attendance.Service{}, Push: &push.Service{}})
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != tc.want {
			t.Errorf("%s: HSTS present = %v, want %v", tc.desc, got, tc.want)
		}
	}
}
