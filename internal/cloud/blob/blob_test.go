package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// fakeS3 runs gofakes3 in-process and records what the client sent.
type fakeS3 struct {
	mu        sync.Mutex
	parts     int
	sseHeader []string
}

func (f *fakeS3) start(t *testing.T) (*s3.Client, string) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("crumb-reports"); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(be)
	inner := faker.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if r.URL.Query().Has("partNumber") {
			f.parts++
		}
		if r.Method == http.MethodPut || (r.Method == http.MethodPost && r.URL.Query().Has("uploads")) {
			if !r.URL.Query().Has("partNumber") {
				f.sseHeader = append(f.sseHeader, r.Header.Get("X-Amz-Server-Side-Encryption"))
			}
		}
		f.mu.Unlock()
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "test-secret-not-real", "")},
		func(o *s3.Options) { o.UsePathStyle = true })
	return c, srv.URL
}

func TestS3PutMultipartAndPresign(t *testing.T) {
	var f fakeS3
	client, _ := f.start(t)
	store := blob.NewS3(client, "crumb-reports", "reports/")
	tests := []struct {
		desc      string
		size      int
		wantParts bool
	}{
		{"small file, one PUT", 1000, false},
		{"20 MiB in parts", 20 << 20, true},
	}
	for _, tc := range tests {
		f.mu.Lock()
		f.parts, f.sseHeader = 0, nil
		f.mu.Unlock()
		data := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16)
		obj := blob.Object{Key: "7/attendance-2026-11-01-2026-11-07.csv", ContentType: "text/csv", Filename: "attendance.csv"}
		n, err := store.Put(context.Background(), obj, bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: put %d, %v", tc.desc, n, err)
		}
		f.mu.Lock()
		if (f.parts > 1) != tc.wantParts {
			t.Errorf("%s: %d parts", tc.desc, f.parts)
		}
		if len(f.sseHeader) != 1 || f.sseHeader[0] != "AES256" {
			t.Errorf("%s: server-side encryption headers %v", tc.desc, f.sseHeader)
		}
		f.mu.Unlock()
		link, err := store.URL(context.Background(), obj, 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		if u.Path != "/crumb-reports/reports/7/attendance-2026-11-01-2026-11-07.csv" || u.Query().Get("X-Amz-Expires") != "900" ||
			!strings.Contains(u.Query().Get("response-content-disposition"), "attendance.csv") {
			t.Errorf("%s: presigned %s", tc.desc, link)
		}
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("%s: downloaded %d bytes differ from the %d uploaded", tc.desc, len(got), len(data))
		}
	}
}

func TestDirSignedLinks(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	d := &blob.Dir{Root: t.TempDir(), BaseURL: "http://crumb.test", Key: bytes.Repeat([]byte{7}, 32), Clock: clock.Now}
	obj := blob.Object{Key: "9/schedule-2026-11-30-2026-12-06.pdf", ContentType: "application/pdf", Filename: "schedule.pdf"}
	if _, err := d.Put(context.Background(), obj, strings.NewReader("%PDF-1.3 test")); err != nil {
		t.Fatal(err)
	}
	link, err := d.URL(context.Background(), obj, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	get := func(raw string) *httptest.ResponseRecorder {
		u, _ := url.Parse(raw)
		w := httptest.NewRecorder()
		d.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
		return w
	}
	tests := []struct {
		desc    string
		link    string
		advance time.Duration
		want    int
	}{
		{"valid", link, 0, 200},
		{"tampered key", strings.Replace(link, "/9/", "/8/", 1), 0, 404},
		{"tampered name", strings.Replace(link, "name=schedule.pdf", "name=x.pdf", 1), 0, 404},
		{"traversal", strings.Replace(link, "9/schedule", "../9/schedule", 1), 0, 404},
		{"expired", link, 11 * time.Minute, 404},
	}
	for _, tc := range tests {
		clock.Advance(tc.advance)
		w := get(tc.link)
		if w.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.desc, w.Code, tc.want)
		}
		if tc.want == 200 && (w.Body.String() != "%PDF-1.3 test" || !strings.Contains(w.Header().Get("Content-Disposition"), "schedule.pdf")) {
			t.Errorf("%s: body %q headers %v", tc.desc, w.Body.String(), w.Header())
		}
	}
}
