package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// motoSMS returns the text messages the emulator recorded, by phone number.
func motoSMS(t *testing.T, endpoint string) map[string][]string {
	t.Helper()
	resp, err := http.Get(endpoint + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var data struct {
		SNS struct {
			SMS []struct {
				PhoneNumber string `json:"phone_number"`
				Message     string `json:"message"`
			} `json:"SMS"`
		} `json:"sns"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range data.SNS.SMS {
		out[m.PhoneNumber] = append(out[m.PhoneNumber], m.Message)
	}
	return out
}

// TestSNSPublishToPhone sends through the emulated SNS, with an
// origination number, and finds the text among the SMS it recorded.
func TestSNSPublishToPhone(t *testing.T) {
	endpoint := testutil.PrivateAWSEndpoint(t)
	cfg := testutil.AWSConfig(t)
	cfg.BaseEndpoint = aws.String(endpoint)
	api := awssns.NewFromConfig(cfg)
	s := &sms.SNS{API: api, OriginationNumber: "+18005550100"}
	phone := "+1902555" + time.Now().Format("0405")
	body := "CrumbCommander: New shift: Mon Dec 7 09:00–17:00."
	if err := s.Send(context.Background(), phone, body); err != nil {
		t.Fatal(err)
	}
	got := motoSMS(t, endpoint)[phone]
	if len(got) != 1 || got[0] != body {
		t.Errorf("the emulator recorded %q for %s", got, phone)
	}
}

type countingSender struct {
	sent []string
	fail bool
}

func (c *countingSender) Send(_ context.Context, to, body string) error {
	if c.fail {
		return errors.New("sns: throttled")
	}
	c.sent = append(c.sent, to+" "+body)
	return nil
}

// TestMeteredSpendLimit: the month's counter refuses the message that would
// pass the limit, gives back the cost of a failed send, and starts again
// next month.
func TestMeteredSpendLimit(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testutil.NewClock(time.Date(2026, 12, 30, 12, 0, 0, 0, time.UTC))
		next := &countingSender{}
		m := &sms.Metered{Next: next, DB: d, Clock: clock.Now, LimitMicroUSD: 20_000, PriceMicroUSD: 7_500}
		for i := 0; i < 2; i++ {
			if err := m.Send(ctx, "+19025550101", "hello"); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Send(ctx, "+19025550101", "hello"); !errors.Is(err, sms.ErrSpendLimit) {
			t.Errorf("third message: %v, want ErrSpendLimit", err)
		}
		n, spent, err := sms.Spent(ctx, d, "2026-12")
		if err != nil || n != 2 || spent != 15_000 {
			t.Errorf("spent %d messages, %d µ$, %v", n, spent, err)
		}
		clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		next.fail = true
		if err := m.Send(ctx, "+19025550101", "hello"); err == nil || errors.Is(err, sms.ErrSpendLimit) {
			t.Errorf("failed send: %v", err)
		}
		if n, spent, _ := sms.Spent(ctx, d, "2027-01"); n != 0 || spent != 0 {
			t.Errorf("a failed send was charged: %d, %d", n, spent)
		}
		next.fail = false
		if err := m.Send(ctx, "+19025550101", "hello"); err != nil {
			t.Errorf("new month: %v", err)
		}
		if len(next.sent) != 3 {
			t.Errorf("sent %v", next.sent)
		}
	})
}

func TestSegments(t *testing.T) {
	tests := []struct {
		desc string
		body string
		want int
	}{
		{"short", "hi", 1},
		{"160 letters", repeat("a", 160), 1},
		{"160 NULs are UCS-2", string(make([]byte, 160)), 3},
		{"161 letters", repeat("a", 161), 2},
		{"dash makes UCS-2", repeat("a", 70) + "–", 2},
	}
	for _, tc := range tests {
		if got := sms.Segments(tc.body); got != tc.want {
			t.Errorf("%s: %d segments, want %d", tc.desc, got, tc.want)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
