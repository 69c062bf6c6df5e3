package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
)

// TestKioskAndPushOwnership: a kiosk may only clock people: creating a
// feed token or a push subscription is 403. A push endpoint another person
// registered is 409 and stays theirs; its owner renews it.
func TestKioskAndPushOwnership(t *testing.T) {
	forEachApp(t, func(t *testing.T, s *apptest.Server) {
		admin := s.AdminToken()
		kiosk := s.CreatePerson(admin, "kiosk")
		dept := s.CreateDepartment(admin, "Front")
		alice, bob := s.CreatePerson(admin, "employee", dept), s.CreatePerson(admin, "employee", dept)
		sub := map[string]any{"endpoint": "https://push.example.com/alice-phone",
			"keys": map[string]string{"p256dh": strings.Repeat("B", 87), "auth": strings.Repeat("A", 22)}}
		for _, tc := range []struct {
			desc, method, path, token string
			body                      any
			want                      int
			code                      string
		}{
			{"kiosk feed token", "POST", "/api/v1/me/ical-token", kiosk.Token, nil, http.StatusForbidden, "forbidden"},
			{"kiosk push subscription", "POST", "/api/v1/me/push-subscriptions", kiosk.Token, sub, http.StatusForbidden, "forbidden"},
			{"alice subscribes", "POST", "/api/v1/me/push-subscriptions", alice.Token, sub, http.StatusCreated, ""},
			{"bob takes alice's endpoint", "POST", "/api/v1/me/push-subscriptions", bob.Token, sub, http.StatusConflict, "conflict"},
			{"alice renews it", "POST", "/api/v1/me/push-subscriptions", alice.Token, sub, http.StatusCreated, ""},
			{"bob's unsubscribe leaves it", "DELETE", "/api/v1/me/push-subscriptions?endpoint=https://push.example.com/alice-phone", bob.Token, nil, http.StatusNoContent, ""},
			{"still alice's", "POST", "/api/v1/me/push-subscriptions", bob.Token, sub, http.StatusConflict, "conflict"},
		} {
			r := s.Do(tc.method, tc.path, tc.token, tc.body)
			if r.Status != tc.want || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s, want %d %q", tc.desc, r.Status, r.Body, tc.want, tc.code)
			}
		}
	})
}
