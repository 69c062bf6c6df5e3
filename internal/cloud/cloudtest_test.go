package cloud_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/cloud/metrics"
	"github.com/crumbcommander/crumb/internal/cloud/scaling"
	"github.com/crumbcommander/crumb/internal/cloud/secrets"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// recorder is an httptest AWS endpoint: it records requests and answers
// with the handler's response.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Path, Target, ContentType, Auth string
	Body                            []byte
}

func (r *recorder) server(t *testing.T, answer func(w http.ResponseWriter, req recorded)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		rec := recorded{Path: req.URL.Path, Target: req.Header.Get("X-Amz-Target"), ContentType: req.Header.Get("Content-Type"),
			Auth: req.Header.Get("Authorization"), Body: b}
		r.mu.Lock()
		r.reqs = append(r.reqs, rec)
		r.mu.Unlock()
		answer(w, rec)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func awsConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "test-secret-not-real", "")}
}

// countingProxy forwards to the emulator and counts the requests, for the
// tests of what the adapters cache.
type countingProxy struct {
	mu sync.Mutex
	n  int
}

func (c *countingProxy) start(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (c *countingProxy) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// newSecret creates a secret in the emulator and returns its client.
func newSecret(t *testing.T, value string) (*secretsmanager.Client, string) {
	t.Helper()
	sm := secretsmanager.NewFromConfig(testutil.AWSConfig(t))
	name := testutil.UniqueName("crumb/test")
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
	return sm, name
}

// rotate stores a new current version, as a rotation does.
func rotate(t *testing.T, sm *secretsmanager.Client, id, value string) {
	t.Helper()
	if _, err := sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
}

func TestSecretsDBCredentialsRefresh(t *testing.T) {
	sm, id := newSecret(t, `{"username":"crumb","password":"first-pass","engine":"mysql"}`)
	var proxy countingProxy
	cfg := testutil.AWSConfig(t)
	cfg.BaseEndpoint = aws.String(proxy.start(t, testutil.AWSEndpoint(t)))
	s := &secrets.Secret{API: secretsmanager.NewFromConfig(cfg), ID: id}
	creds := secrets.DBCredentials(s)
	ctx := context.Background()
	tests := []struct {
		desc     string
		rotate   string
		refresh  bool
		wantPass string
		wantReqs int
	}{
		{"first use fetches", "", false, "first-pass", 1},
		{"cached afterwards, even after a rotation", `{"username":"crumb","password":"rotated-pass"}`, false, "first-pass", 1},
		{"refresh after auth failure fetches the rotated secret", "", true, "rotated-pass", 2},
		{"rotated value cached", "", false, "rotated-pass", 2},
	}
	for _, tc := range tests {
		if tc.rotate != "" {
			rotate(t, sm, id, tc.rotate)
		}
		user, pass, err := creds(ctx, tc.refresh)
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if user != "crumb" || pass != tc.wantPass || proxy.count() != tc.wantReqs {
			t.Errorf("%s: got %s/%s after %d requests, want crumb/%s after %d", tc.desc, user, pass, proxy.count(), tc.wantPass, tc.wantReqs)
		}
	}
}

// TestSecretsRefreshOnce: after a rotation many connections are refused
// with the same stale value; one fetch serves them all, and a value that a
// refresh just fetched is not fetched again at once.
func TestSecretsRefreshOnce(t *testing.T) {
	sm, id := newSecret(t, "tok-1")
	var proxy countingProxy
	cfg := testutil.AWSConfig(t)
	cfg.BaseEndpoint = aws.String(proxy.start(t, testutil.AWSEndpoint(t)))
	s := &secrets.Secret{API: secretsmanager.NewFromConfig(cfg), ID: id}
	ctx := context.Background()
	tests := []struct {
		desc, stale, want string
		wantReqs          int
	}{
		{"refused stale value fetches", "tok-1", "tok-2", 2},
		{"another refusal of the same stale value uses the new one", "tok-1", "tok-2", 2},
		{"the refreshed value refused at once is not fetched again", "tok-2", "tok-2", 2},
	}
	if v, err := s.Value(ctx, false); err != nil || v != "tok-1" {
		t.Fatalf("first value %q, %v", v, err)
	}
	rotate(t, sm, id, "tok-2")
	for _, tc := range tests {
		got, err := s.Refresh(ctx, tc.stale)
		if err != nil || got != tc.want || proxy.count() != tc.wantReqs {
			t.Errorf("%s: got %q, %v after %d requests, want %q after %d", tc.desc, got, err, proxy.count(), tc.want, tc.wantReqs)
		}
	}
}

func TestSecretsPasswordFormats(t *testing.T) {
	tests := []struct{ desc, secret, want string }{
		{"plain string", "tok-123", "tok-123"},
		{"json password", `{"password":"tok-456"}`, "tok-456"},
		{"json auth_token", `{"auth_token":"tok-789"}`, "tok-789"},
	}
	for _, tc := range tests {
		sm, id := newSecret(t, tc.secret)
		got, err := secrets.Password(context.Background(), &secrets.Secret{API: sm, ID: id})
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v", tc.desc, got, err)
		}
	}
}

func TestSecretsMissing(t *testing.T) {
	s := &secrets.Secret{API: secretsmanager.NewFromConfig(testutil.AWSConfig(t)), ID: testutil.UniqueName("crumb/absent")}
	if _, err := s.Value(context.Background(), false); err == nil || !strings.Contains(err.Error(), s.ID) {
		t.Errorf("missing secret: %v", err)
	}
}

// motoData reads the emulator's model dump (/moto-api/data.json).
func motoData(t *testing.T) map[string]map[string][]map[string]any {
	t.Helper()
	resp, err := http.Get(testutil.AWSEndpoint(t) + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]map[string][]map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSESSend(t *testing.T) {
	ctx := context.Background()
	api := sesv2.NewFromConfig(testutil.AWSConfig(t))
	if _, err := api.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
		t.Fatal(err)
	}
	s := &mail.SES{API: api, From: "CrumbCommander <no-reply@example.com>"}
	subject := testutil.UniqueName("Your week")
	if err := s.Send(ctx, mail.Message{To: "ann@example.com", Subject: subject, Text: "plain", HTML: "<p>html</p>"}); err != nil {
		t.Fatal(err)
	}
	var found int
	for _, m := range motoData(t)["ses"]["Message"] {
		if m["subject"] != subject {
			continue
		}
		found++
		to, _ := json.Marshal(m["destinations"])
		if m["source"] != s.From || string(to) != `{"ToAddresses":["ann@example.com"]}` || m["body"] != "<p>html</p>" {
			t.Errorf("stored message %v", m)
		}
	}
	if found != 1 {
		t.Errorf("emulator holds %d messages with the subject, want 1", found)
	}

	unverified := &mail.SES{API: api, From: "no-reply@" + testutil.UniqueName("unverified") + ".example"}
	if err := unverified.Send(ctx, mail.Message{To: "ann@example.com", Subject: "x", Text: "x", HTML: "x"}); err == nil {
		t.Error("sending from an unverified identity succeeded")
	}
}

func TestCloudWatchPublish(t *testing.T) {
	var proxy countingProxy
	cfg := testutil.AWSConfig(t)
	cfg.BaseEndpoint = aws.String(cborBridge(t, proxy.start(t, testutil.AWSEndpoint(t))))
	api := cloudwatch.NewFromConfig(cfg)
	p := metrics.Publisher{API: api}
	queue := testutil.UniqueName("reports")
	node := testutil.UniqueName("i")
	at := time.Now().UTC().Truncate(time.Minute)
	ds := make([]metrics.Datum, 0, 1001)
	ds = append(ds, metrics.Datum{Name: "QueueLatencySeconds", Value: 0.25, Unit: "Seconds", Dimensions: map[string]string{"Queue": queue}})
	for i := 0; i < 1000; i++ {
		ds = append(ds, metrics.Datum{Name: "ConnectedSockets", Value: float64(i), Dimensions: map[string]string{"Node": node}})
	}
	ctx := context.Background()
	if err := p.Publish(ctx, at, ds); err != nil {
		t.Fatal(err)
	}
	if proxy.count() != 2 {
		t.Fatalf("%d requests, want 2 (1000 data points per call)", proxy.count())
	}
	list, err := api.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(metrics.Namespace), MetricName: aws.String("QueueLatencySeconds"),
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("Queue"), Value: aws.String(queue)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Metrics) != 1 {
		t.Fatalf("ListMetrics: %d metrics, want 1", len(list.Metrics))
	}
	stat := func(id, name, dim, val, s string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Stat: aws.String(s), Period: aws.Int32(60),
			Metric: &cwtypes.Metric{Namespace: aws.String(metrics.Namespace), MetricName: aws.String(name),
				Dimensions: []cwtypes.Dimension{{Name: aws.String(dim), Value: aws.String(val)}}}}}
	}
	out, err := api.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(at.Add(-time.Minute)), EndTime: aws.Time(at.Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{stat("latency", "QueueLatencySeconds", "Queue", queue, "Maximum"), stat("sockets", "ConnectedSockets", "Node", node, "SampleCount")}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		got[aws.ToString(r.Id)] = r.Values
	}
	if len(got["latency"]) != 1 || got["latency"][0] != 0.25 || len(got["sockets"]) != 1 || got["sockets"][0] != 1000 {
		t.Errorf("GetMetricData = %v, want latency [0.25] and 1000 socket samples", got)
	}
}

func TestAutoScalingComplete(t *testing.T) {
	var rec recorder
	srv := rec.server(t, func(w http.ResponseWriter, req recorded) {
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<CompleteLifecycleActionResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><CompleteLifecycleActionResult/><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>`)
	})
	c := scaling.Completer{API: autoscaling.NewFromConfig(awsConfig(srv.URL))}
	err := c.Complete(context.Background(), scaling.Action{Group: "crumb-workers", Hook: "drain", Token: "tok-1", InstanceID: "i-0abc"})
	if err != nil {
		t.Fatal(err)
	}
	body := string(rec.all()[0].Body)
	for _, want := range []string{"Action=CompleteLifecycleAction", "AutoScalingGroupName=crumb-workers", "LifecycleActionResult=CONTINUE",
		"LifecycleActionToken=tok-1", "InstanceId=i-0abc", "LifecycleHookName=drain"} {
		if !strings.Contains(body, want) {
			t.Errorf("body %q lacks %q", body, want)
		}
	}
}
