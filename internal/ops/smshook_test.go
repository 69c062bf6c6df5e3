package ops_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/notify"
)

func inboundBody(t *testing.T, from, text string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"originationNumber": from, "destinationNumber": "+18005550100",
		"messageKeyword": "KEYWORD_123456789012", "messageBody": text, "inboundMessageId": "in-" + text})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHookTwoWaySMS: a STOP texted to our number reaches the hook through
// the emulated SNS topic and stops SMS to that number (with an audit row);
// HELP is answered; START resumes.
func TestHookTwoWaySMS(t *testing.T) {
	e := newHookEnv(t)
	ctx := context.Background()
	box := &sms.DevBox{DB: e.d}
	store := &notify.Store{DB: e.d, Writer: e.hook.Writer, SMS: box, BaseURL: "http://crumb.test"}
	e.hook.SMS = store
	publish := emulatedTopic(t, e)
	const phone = "+19025550142"
	for _, text := range []string{"stop", "STOP"} { // a repeat changes nothing
		if code := publish(inboundBody(t, phone, text)); code != http.StatusNoContent {
			t.Fatalf("%s: hook answered %d", text, code)
		}
	}
	if stopped, err := store.Stopped(ctx, phone); err != nil || !stopped {
		t.Fatalf("stopped = %v, %v", stopped, err)
	}
	var audits int
	if err := e.d.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'sms.stop'").Scan(&audits); err != nil || audits != 1 {
		t.Errorf("%d sms.stop audit rows, %v", audits, err)
	}
	if code := publish(inboundBody(t, phone, "HELP")); code != http.StatusNoContent {
		t.Fatalf("HELP: hook answered %d", code)
	}
	msgs, err := (&mail.DevBox{DB: e.d}).List(ctx, phone, 0, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Subject != sms.DevSubject {
		t.Fatalf("HELP answer: %+v, %v", msgs, err)
	}
	if code := publish(inboundBody(t, phone, "START")); code != http.StatusNoContent {
		t.Fatalf("START: hook answered %d", code)
	}
	if stopped, _ := store.Stopped(ctx, phone); stopped {
		t.Error("START did not resume SMS")
	}
}
