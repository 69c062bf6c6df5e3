package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/api"
	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/push"
)

// hookFunc is an SNS hook answering with a fixed result.
type hookFunc func([]byte) error

func (f hookFunc) Handle(_ context.Context, body []byte) error { return f(body) }

// TestSNSHookErrorShape: the webhook's refusals and retry requests use the
// error shape of every other route.
func TestSNSHookErrorShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc     string
		err      error
		wantCode int
		wantErr  string
	}{
		{"applied", nil, http.StatusNoContent, ""},
		{"refused", apperr.New(apperr.Forbidden, "not accepted"), http.StatusForbidden, "forbidden"},
		{"retry later", &apperr.Error{Code: apperr.Unavailable, Message: "later"}, http.StatusServiceUnavailable, "unavailable"},
	}
	for _, tc := range tests {
		var got string
		eng, _ := api.NewRouter(api.Deps{Bakery: &bakery.Service{}, Attendance: &attendance.Service{}, Push: &push.Service{},
			SNSHook: hookFunc(func(b []byte) error { got = string(b); return tc.err })})
		w := httptest.NewRecorder()
		eng.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hooks/sns", strings.NewReader(`{"Type":"Notification"}`)))
		if w.Code != tc.wantCode || got != `{"Type":"Notification"}` {
			t.Errorf("%s: status %d, hook got %q", tc.desc, w.Code, got)
		}
		if tc.wantErr == "" {
			continue
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tc.wantErr || body.Error.Message == "" {
			t.Errorf("%s: body %s", tc.desc, w.Body.String())
		}
	}
}
