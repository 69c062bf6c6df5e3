package ops_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/crumbcommander/crumb/internal/cloud/sns"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// TestHookFromEmulatedSNS publishes a CloudWatch alarm to a topic in the
// AWS emulator, which signs it and POSTs it to a subscribed endpoint running
// the hook; the hook fetches the signing certificate from the emulator
// (Verifier.Endpoint, as CRUMB_AWS_ENDPOINT_URL sets it), verifies it and
// pauses the reports queue.
func TestHookFromEmulatedSNS(t *testing.T) {
	e := newHookEnv(t)
	publish := emulatedTopic(t, e)
	// No Subject: moto 5 leaves it out of the string it signs, unlike SNS.
	if code := publish(alarmBody("crumb-db-cpu", "ALARM")); code != http.StatusNoContent {
		t.Fatalf("hook answered %d to the emulator's delivery", code)
	}
	info, err := e.insp.GetQueueInfo(worker.QueueReports)
	if err != nil || !info.Paused {
		t.Errorf("reports queue paused = %v, %v", info != nil && info.Paused, err)
	}
}

// emulatedTopic makes a topic in the AWS emulator, subscribes an endpoint
// running e's hook to it (which fetches the signing certificate from the
// emulator, as CRUMB_AWS_ENDPOINT_URL sets it) and returns a function that
// publishes a message and returns the hook's answer to its delivery.
func emulatedTopic(t *testing.T, e *hookEnv) func(msg string) int {
	t.Helper()
	endpoint := testutil.AWSEndpoint(t)
	ctx := context.Background()
	api := awssns.NewFromConfig(testutil.AWSConfig(t))
	topic, err := api.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(testutil.UniqueName("crumb-ops"))})
	if err != nil {
		t.Fatal(err)
	}
	e.hook.TopicARN = aws.ToString(topic.TopicArn)
	e.hook.Verifier = &sns.Verifier{Region: "us-east-1", Endpoint: endpoint}
	codes := make(chan int, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		code := status(e.hook.Handle(r.Context(), body))
		w.WriteHeader(code)
		codes <- code
	}))
	t.Cleanup(srv.Close)
	if _, err := api.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(srv.URL)}); err != nil {
		t.Fatal(err)
	}
	return func(msg string) int {
		t.Helper()
		if _, err := api.Publish(ctx, &awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(msg)}); err != nil {
			t.Fatal(err)
		}
		select {
		case code := <-codes:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("the emulator delivered nothing")
			return 0
		}
	}
}
