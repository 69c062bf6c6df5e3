package ops_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/crumbcommander/crumb/internal/cloud/sns"
)

// FuzzSNSHook hands the hook any body, and any message inside a correctly
// signed notification: no panic, and an error is always one the API renders
// in its shape with a status other than 500 (bad_request or forbidden for
// what SNS would never send, unavailable when SNS should deliver again).
func FuzzSNSHook(f *testing.F) {
	for _, s := range []struct{ raw, msg string }{
		{`{}`, alarmBody("crumb-db-cpu", "ALARM")},
		{`not json`, alarmBody("crumb-db-cpu", "OK")},
		{`{"Type":"Notification","Message":"x","Signature":"AAAA"}`, alarmBodyAt("crumb-db-cpu", "ALARM", "yesterday")},
		{`{"Type":"SubscriptionConfirmation","SubscribeURL":"https://evil.example"}`,
			`{"LifecycleTransition":"autoscaling:EC2_INSTANCE_TERMINATING","EC2InstanceId":"i-1","LifecycleHookName":"h","AutoScalingGroupName":"g","LifecycleActionToken":"t"}`},
		{`[]`, `{"AlarmName":5}`},
		{`null`, `{"AlarmName":"","NewStateValue":"","StateChangeTime":""}`},
		{`{"SigningCertURL":"http://127.0.0.1/cert.pem","SignatureVersion":"1"}`, `{"LifecycleTransition":"x"}`},
	} {
		f.Add(s.raw, s.msg)
	}
	e := newHookEnv(f)
	f.Fuzz(func(t *testing.T, raw, msg string) {
		if st := e.post(raw); st == http.StatusInternalServerError {
			t.Fatalf("raw body %q: 500", raw)
		}
		signed := e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: "m-" + msg, Message: msg})
		err := e.hook.Handle(context.Background(), []byte(signed))
		if st := status(err); st == http.StatusInternalServerError {
			t.Fatalf("signed message %q: %v", msg, err)
		}
	})
}
