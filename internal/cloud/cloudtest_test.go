package cloud_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/cloud/metrics"
	"github.com/crumbcommander/crumb/internal/cloud/scaling"
	"github.com/crumbcommander/crumb/internal/cloud/secrets"
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

func TestSecretsDBCredentialsRefresh(t *testing.T) {
	var rec recorder
	passwords := []string{"first-pass", "rotated-pass"}
	srv := rec.server(t, func(w http.ResponseWriter, req recorded) {
		n := len(rec.all()) - 1
		pw := passwords[min(n, len(passwords)-1)]
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"ARN": "arn:aws:secretsmanager:us-east-1:1:secret:db", "Name": "db",
			"SecretString": `{"username":"crumb","password":"` + pw + `","engine":"mysql"}`})
	})
	s := &secrets.Secret{API: secretsmanager.NewFromConfig(awsConfig(srv.URL)), ID: "crumb/db"}
	creds := secrets.DBCredentials(s)
	ctx := context.Background()
	tests := []struct {
		desc     string
		refresh  bool
		wantPass string
		wantReqs int
	}{
		{"first use fetches", false, "first-pass", 1},
		{"cached afterwards", false, "first-pass", 1},
		{"refresh after auth failure fetches the rotated secret", true, "rotated-pass", 2},
		{"rotated value cached", false, "rotated-pass", 2},
	}
	for _, tc := range tests {
		user, pass, err := creds(ctx, tc.refresh)
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if user != "crumb" || pass != tc.wantPass || len(rec.all()) != tc.wantReqs {
			t.Errorf("%s: got %s/%s after %d requests, want crumb/%s after %d", tc.desc, user, pass, len(rec.all()), tc.wantPass, tc.wantReqs)
		}
	}
	r := rec.all()[0]
	if r.Target != "secretsmanager.GetSecretValue" || !strings.Contains(string(r.Body), `"SecretId":"crumb/db"`) || !strings.HasPrefix(r.Auth, "AWS4-HMAC-SHA256") {
		t.Errorf("request = %+v", r)
	}
}

// TestSecretsRefreshOnce: after a rotation many connections are refused
// with the same stale value; one fetch serves them all, and a value that a
// refresh just fetched is not fetched again at once.
func TestSecretsRefreshOnce(t *testing.T) {
	var rec recorder
	values := []string{"tok-1", "tok-2"}
	srv := rec.server(t, func(w http.ResponseWriter, req recorded) {
		json.NewEncoder(w).Encode(map[string]any{"SecretString": values[min(len(rec.all())-1, len(values)-1)]})
	})
	s := &secrets.Secret{API: secretsmanager.NewFromConfig(awsConfig(srv.URL)), ID: "redis"}
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
	for _, tc := range tests {
		got, err := s.Refresh(ctx, tc.stale)
		if err != nil || got != tc.want || len(rec.all()) != tc.wantReqs {
			t.Errorf("%s: got %q, %v after %d requests, want %q after %d", tc.desc, got, err, len(rec.all()), tc.want, tc.wantReqs)
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
		var rec recorder
		srv := rec.server(t, func(w http.ResponseWriter, req recorded) {
			json.NewEncoder(w).Encode(map[string]any{"SecretString": tc.secret})
		})
		got, err := secrets.Password(context.Background(), &secrets.Secret{API: secretsmanager.NewFromConfig(awsConfig(srv.URL)), ID: "redis"})
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v", tc.desc, got, err)
		}
	}
}

func TestSESSend(t *testing.T) {
	var rec recorder
	srv := rec.server(t, func(w http.ResponseWriter, req recorded) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"MessageId":"0100-test"}`)
	})
	s := &mail.SES{API: sesv2.NewFromConfig(awsConfig(srv.URL)), From: "CrumbCommander <no-reply@example.com>"}
	if err := s.Send(context.Background(), mail.Message{To: "ann@example.com", Subject: "Your week", Text: "plain", HTML: "<p>html</p>"}); err != nil {
		t.Fatal(err)
	}
	r := rec.all()[0]
	var body struct {
		FromEmailAddress string
		Destination      struct{ ToAddresses []string }
		Content          struct {
			Simple struct {
				Subject struct{ Data string }
				Body    struct{ Text, Html struct{ Data string } }
			}
		}
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if r.Path != "/v2/email/outbound-emails" || body.Destination.ToAddresses[0] != "ann@example.com" || body.Content.Simple.Subject.Data != "Your week" ||
		body.Content.Simple.Body.Html.Data != "<p>html</p>" || body.Content.Simple.Body.Text.Data != "plain" {
		t.Errorf("request %s %s", r.Path, r.Body)
	}
}

func TestCloudWatchPublish(t *testing.T) {
	var rec recorder
	srv := rec.server(t, func(w http.ResponseWriter, req recorded) {
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		w.Write(cbor.Encode(cbor.Map{}))
	})
	p := metrics.Publisher{API: cloudwatch.NewFromConfig(awsConfig(srv.URL))}
	ds := make([]metrics.Datum, 0, 1001)
	ds = append(ds, metrics.Datum{Name: "QueueLatencySeconds", Value: 0.25, Unit: "Seconds", Dimensions: map[string]string{"Queue": "reports"}})
	for i := 0; i < 1000; i++ {
		ds = append(ds, metrics.Datum{Name: "ConnectedSockets", Value: float64(i), Dimensions: map[string]string{"Node": "i-1"}})
	}
	if err := p.Publish(context.Background(), time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), ds); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (1000 data points per call)", len(reqs))
	}
	// The SDK gzips large PutMetricData bodies; CBOR text strings are their
	// UTF-8 bytes, so the names are plainly in the unzipped body.
	raw := reqs[0].Body
	if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
		raw, _ = io.ReadAll(zr)
	}
	body := string(raw)
	for _, want := range []string{"Namespace", metrics.Namespace, "QueueLatencySeconds", "Queue", "reports", "Seconds"} {
		if !strings.Contains(body, want) {
			t.Errorf("PutMetricData body lacks %q", want)
		}
	}
	if !strings.HasSuffix(reqs[0].Path, "/operation/PutMetricData") {
		t.Errorf("path %s", reqs[0].Path)
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
