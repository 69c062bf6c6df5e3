package ops_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/cloud/scaling"
	"github.com/crumbcommander/crumb/internal/cloud/sns"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/ops"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

const topic = "arn:aws:sns:us-east-1:123456789012:crumb-ops"

type signer struct {
	key     *rsa.PrivateKey
	certPEM []byte
}

func newSigner(t testing.TB) *signer {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (s *signer) body(t testing.TB, m sns.Message) string {
	m.SignatureVersion, m.SigningCertURL, m.TopicArn = "2", "https://sns.us-east-1.amazonaws.com/cert.pem", topic
	if m.Timestamp == "" {
		m.Timestamp = "2026-11-26T12:00:00.000Z"
	}
	canon, err := sns.Canonical(&m)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte(canon))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, d[:])
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	b, _ := json.Marshal(m)
	return string(b)
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type hookEnv struct {
	hook    *ops.Hook
	d       *db.DB
	insp    *asynq.Inspector
	visited []string
	mu      sync.Mutex
	signer  *signer
}

func newHookEnv(t testing.TB) *hookEnv {
	d := testutil.NewDB(t, db.SQLite)
	rc, n := testutil.Redis(t)
	opt := asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}
	client, insp := asynq.NewClient(opt), asynq.NewInspector(opt)
	t.Cleanup(func() { client.Close(); insp.Close() })
	// The reports queue exists once a task was enqueued there.
	client.Enqueue(asynq.NewTask("noop", nil), asynq.Queue(worker.QueueReports))
	e := &hookEnv{d: d, insp: insp, signer: newSigner(t)}
	httpc := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		e.mu.Lock()
		e.visited = append(e.visited, r.URL.String())
		e.mu.Unlock()
		return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(e.signer.certPEM)), Header: http.Header{}}, nil
	})}
	e.hook = &ops.Hook{Verifier: &sns.Verifier{Region: "us-east-1", HTTP: httpc}, TopicARN: topic, PauseAlarms: []string{"crumb-db-cpu"},
		Queues: insp, Tasks: client, Writer: outbox.NewWriter(d, nil), Redis: rc,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: time.Now}
	return e
}

// post hands body to the hook and returns the status the API renders.
func (e *hookEnv) post(body string) int {
	return status(e.hook.Handle(context.Background(), []byte(body)))
}

// status is the HTTP status the API's error renderer gives err.
func status(err error) int {
	if err == nil {
		return http.StatusNoContent
	}
	if ae, ok := apperr.As(err); ok {
		return ae.Status()
	}
	return http.StatusInternalServerError
}

func alarmBody(name, state string) string {
	return alarmBodyAt(name, state, "2026-11-26T12:00:00.000+0000")
}

func alarmBodyAt(name, state, at string) string {
	b, _ := json.Marshal(map[string]string{"AlarmName": name, "NewStateValue": state, "NewStateReason": "Threshold Crossed",
		"StateChangeTime": at})
	return string(b)
}

func TestHookAlarmPausesReportsOnce(t *testing.T) {
	e := newHookEnv(t)
	paused := func() bool {
		info, err := e.insp.GetQueueInfo(worker.QueueReports)
		if err != nil {
			t.Fatal(err)
		}
		return info.Paused
	}
	alarm := e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: "m-1", Subject: "ALARM", Message: alarmBody("crumb-db-cpu", "ALARM")})
	tampered := strings.Replace(alarm, `\"ALARM\"`, `\"OK\"`, 1)
	tests := []struct {
		desc       string
		body       string
		wantCode   int
		wantPaused bool
		wantEvents int
	}{
		{"tampered is refused", tampered, 403, false, 0},
		{"alarm pauses the reports queue", alarm, 204, true, 1},
		{"SNS redelivery: no second event", alarm, 204, true, 1},
		{"other alarm: event only", e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: "m-2", Message: alarmBody("crumb-5xx", "ALARM")}), 204, true, 2},
		{"OK resumes", e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: "m-3", Message: alarmBody("crumb-db-cpu", "OK")}), 204, false, 3},
		{"OK again is fine", e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: "m-4", Message: alarmBody("crumb-db-cpu", "OK")}), 204, false, 4},
	}
	for _, tc := range tests {
		if code := e.post(tc.body); code != tc.wantCode {
			t.Errorf("%s: status %d, want %d", tc.desc, code, tc.wantCode)
		}
		if paused() != tc.wantPaused {
			t.Errorf("%s: paused = %v", tc.desc, !tc.wantPaused)
		}
		evs, _ := outbox.Reader{DB: e.d}.After(context.Background(), 0, []string{outbox.TopicStore}, 100)
		if len(evs) != tc.wantEvents {
			t.Errorf("%s: %d ops.alarm events, want %d", tc.desc, len(evs), tc.wantEvents)
		}
	}
	if _, err := e.insp.GetTaskInfo(worker.QueueCritical, "alarm:m-1"); err != nil {
		t.Errorf("admin e-mail task: %v", err)
	}
	evs, _ := outbox.Reader{DB: e.d}.After(context.Background(), 0, []string{outbox.TopicStore}, 1)
	if evs[0].Type != "ops.alarm" || !strings.Contains(string(evs[0].Data), `"state":"ALARM"`) {
		t.Errorf("event %s %s", evs[0].Type, evs[0].Data)
	}
}

func TestHookSubscriptionAndLifecycle(t *testing.T) {
	e := newHookEnv(t)
	confirm := "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=tok"
	if code := e.post(e.signer.body(t, sns.Message{Type: sns.TypeSubscriptionConfirmation, MessageID: "s-1", Token: "tok",
		Message: "You have chosen to subscribe", SubscribeURL: confirm})); code != 204 {
		t.Fatalf("confirmation: %d", code)
	}
	e.mu.Lock()
	if e.visited[len(e.visited)-1] != confirm {
		t.Errorf("visited %v", e.visited)
	}
	e.mu.Unlock()
	evil := e.signer.body(t, sns.Message{Type: sns.TypeSubscriptionConfirmation, MessageID: "s-2", Token: "tok", Message: "x",
		SubscribeURL: "https://evil.example/confirm"})
	if code := e.post(evil); code == 204 {
		t.Error("confirmed a subscription off the SNS host")
	}

	notice, _ := json.Marshal(map[string]string{"Service": "AWS Auto Scaling", "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
		"AutoScalingGroupName": "crumb-workers", "LifecycleHookName": "drain", "LifecycleActionToken": "tok-9", "EC2InstanceId": "i-0abc"})
	if code := e.post(e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: "l-1", Message: string(notice)})); code != 204 {
		t.Fatalf("lifecycle notice: %d", code)
	}
	var order []string
	var completed scaling.Action
	done := false
	l := &ops.Lifecycle{Redis: e.hook.Redis, InstanceID: "i-0abc", DrainTimeout: time.Second, Log: e.hook.Log,
		Drainers:  []ops.Drainer{drainFunc(func() { order = append(order, "hub") }), drainFunc(func() { order = append(order, "worker") })},
		Completer: completeFunc(func(a scaling.Action) { order = append(order, "complete"); completed = a }),
		Done:      func() { done = true }}
	other := *l
	other.InstanceID = "i-other"
	if handled, err := other.Check(context.Background()); handled || err != nil {
		t.Errorf("another instance handled the notice: %v %v", handled, err)
	}
	if handled, err := l.Check(context.Background()); !handled || err != nil {
		t.Fatalf("check: %v %v", handled, err)
	}
	if strings.Join(order, ",") != "hub,worker,complete" || completed.Token != "tok-9" || completed.Group != "crumb-workers" || !done {
		t.Errorf("order %v, completed %+v, done %v", order, completed, done)
	}
	if handled, _ := l.Check(context.Background()); handled {
		t.Error("the notice was handled twice")
	}
}

type drainFunc func()

func (f drainFunc) Drain(context.Context) error { f(); return nil }

type completeFunc func(scaling.Action)

func (f completeFunc) Complete(_ context.Context, a scaling.Action) error { f(a); return nil }

// TestHookStaleAlarmAfterOK: SNS does not order deliveries; an ALARM that
// happened before the OK already applied must not pause reports again.
func TestHookStaleAlarmAfterOK(t *testing.T) {
	e := newHookEnv(t)
	paused := func() bool {
		info, err := e.insp.GetQueueInfo(worker.QueueReports)
		if err != nil {
			t.Fatal(err)
		}
		return info.Paused
	}
	note := func(id, state, at string) string {
		return e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: id, Message: alarmBodyAt("crumb-db-cpu", state, at)})
	}
	tests := []struct {
		desc       string
		body       string
		wantPaused bool
	}{
		{"alarm at 12:00 pauses", note("a-1", "ALARM", "2026-11-26T12:00:00.000+0000"), true},
		{"OK at 12:10 resumes", note("a-2", "OK", "2026-11-26T12:10:00.000+0000"), false},
		{"a late ALARM from 12:05 does not pause again", note("a-3", "ALARM", "2026-11-26T12:05:00.000+0000"), false},
		{"the OK redelivered still holds", note("a-2", "OK", "2026-11-26T12:10:00.000+0000"), false},
		{"a new ALARM at 12:20 pauses", note("a-4", "ALARM", "2026-11-26T12:20:00.000+0000"), true},
		{"a late OK from 12:15 does not resume", note("a-5", "OK", "2026-11-26T12:15:00.000+0000"), true},
	}
	for _, tc := range tests {
		if code := e.post(tc.body); code != http.StatusNoContent {
			t.Errorf("%s: status %d", tc.desc, code)
		}
		if paused() != tc.wantPaused {
			t.Errorf("%s: paused = %v, want %v", tc.desc, !tc.wantPaused, tc.wantPaused)
		}
	}
}

// TestHookCertificateFetch: a genuine message whose certificate cannot be
// fetched right now is answered 503, so SNS delivers it again; a certificate
// URL that does not exist is the message's fault (403).
func TestHookCertificateFetch(t *testing.T) {
	tests := []struct {
		desc     string
		fetch    func() (*http.Response, error)
		wantCode int
	}{
		{"DNS failure", func() (*http.Response, error) {
			return nil, &net.DNSError{Err: "no such host", Name: "sns.us-east-1.amazonaws.com", IsTemporary: true}
		}, http.StatusServiceUnavailable},
		{"timeout", func() (*http.Response, error) { return nil, context.DeadlineExceeded }, http.StatusServiceUnavailable},
		{"SNS 502", func() (*http.Response, error) {
			return &http.Response{StatusCode: 502, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
		}, http.StatusServiceUnavailable},
		{"no such certificate", func() (*http.Response, error) {
			return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
		}, http.StatusForbidden},
	}
	for _, tc := range tests {
		e := newHookEnv(t)
		e.hook.Verifier.HTTP = &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) { return tc.fetch() })}
		body := e.signer.body(t, sns.Message{Type: sns.TypeNotification, MessageID: "c-1", Message: alarmBody("crumb-db-cpu", "ALARM")})
		if code := e.post(body); code != tc.wantCode {
			t.Errorf("%s: status %d, want %d", tc.desc, code, tc.wantCode)
		}
	}
	e := newHookEnv(t)
	if code := e.post("not json"); code != http.StatusBadRequest {
		t.Errorf("not JSON: status %d", code)
	}
}
