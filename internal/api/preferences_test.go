package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
)

// TestPreferencesBadInput: malformed preferences, phones, codes and
// unsubscribe tokens are answered in the error shape with the right status
// and write nothing; a good unsubscribe link works signed out.
func TestPreferencesBadInput(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, db.SQLite, apptest.Options{})
	admin := s.AdminToken()
	emp := s.CreatePerson(admin, "employee", s.CreateDepartment(admin, "Bakery"))
	tests := []struct {
		desc   string
		method string
		path   string
		token  string
		body   any
		status int
		code   string
	}{
		{"unknown kind", "PATCH", "/api/v1/me/preferences", emp.Token, `{"choices":{"gossip":{"email":true}}}`, 422, "validation_failed"},
		{"unknown channel", "PATCH", "/api/v1/me/preferences", emp.Token, `{"choices":{"shift":{"fax":true}}}`, 422, "validation_failed"},
		{"choice not a boolean", "PATCH", "/api/v1/me/preferences", emp.Token, `{"choices":{"shift":{"email":"no"}}}`, 400, "bad_request"},
		{"quiet hours out of range", "PATCH", "/api/v1/me/preferences", emp.Token, `{"quiet_hours":{"start":"24:00","end":"06:00"}}`, 422, "validation_failed"},
		{"unknown field", "PATCH", "/api/v1/me/preferences", emp.Token, `{"sms_enabled":true}`, 400, "bad_request"},
		{"not JSON", "PATCH", "/api/v1/me/preferences", emp.Token, `choices=all`, 400, "bad_request"},
		{"local phone number", "POST", "/api/v1/me/phone", emp.Token, `{"phone":"902 555 0123"}`, 422, "validation_failed"},
		{"letters in a phone", "POST", "/api/v1/me/phone", emp.Token, `{"phone":"+1902CALLNOW"}`, 422, "validation_failed"},
		{"oversized phone", "POST", "/api/v1/me/phone", emp.Token, map[string]string{"phone": "+1" + strings.Repeat("9", 5000)}, 422, "validation_failed"},
		{"no code waiting", "POST", "/api/v1/me/phone/verify", emp.Token, `{"code":"123456"}`, 404, "not_found"},
		{"code not six digits", "POST", "/api/v1/me/phone/verify", emp.Token, `{"code":"12"}`, 422, "validation_failed"},
		{"unknown unsubscribe token", "POST", "/api/v1/unsubscribe", "", `{"token":"crumbl_nothing"}`, 404, "not_found"},
		{"unsubscribe without a token", "POST", "/api/v1/unsubscribe", "", `{}`, 404, "not_found"},
		{"deliveries with a bad status", "GET", "/api/v1/admin/deliveries?status=lost", admin, nil, 422, "validation_failed"},
	}
	for _, tc := range tests {
		r := s.Do(tc.method, tc.path, tc.token, tc.body)
		if r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.desc, r.Status, r.Body, tc.status, tc.code)
		}
	}
	var p notify.Preferences
	s.Must(http.StatusOK, "GET", "/api/v1/me/preferences", emp.Token, nil).JSON(t, &p)
	if p.Phone != "" || p.QuietHours != nil || !p.Choices["shift"]["email"] {
		t.Errorf("refused requests changed the preferences: %+v", p)
	}

	tok, err := s.App.Fleet.Notify.IssueUnsubscribe(context.Background(), emp.ID, notify.KindReminder)
	if err != nil {
		t.Fatal(err)
	}
	var out notify.Unsubscribed
	s.Must(http.StatusOK, "POST", "/api/v1/unsubscribe", "", map[string]string{"token": tok}).JSON(t, &out)
	if out.Kind != notify.KindReminder {
		t.Errorf("unsubscribed %+v", out)
	}
	s.Must(http.StatusOK, "GET", "/api/v1/me/preferences", emp.Token, nil).JSON(t, &p)
	if p.Choices["reminder"]["email"] || !p.Choices["reminder"]["push"] {
		t.Errorf("after the link: %+v", p.Choices["reminder"])
	}
}
