package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// newBucket creates a bucket in the AWS emulator.
func newBucket(t *testing.T) (*s3.Client, string) {
	t.Helper()
	c := s3.NewFromConfig(testutil.AWSConfig(t), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := testutil.UniqueName("crumb-reports")
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return c, bucket
}

func TestS3PutMultipartAndPresign(t *testing.T) {
	client, bucket := newBucket(t)
	store := blob.NewS3(client, bucket, "reports/")
	tests := []struct {
		desc      string
		size      int
		wantParts string // the ETag suffix S3 gives multipart objects
	}{
		{"small file, one PUT", 1000, ""},
		{"20 MiB in parts", 20 << 20, "-3"},
	}
	for _, tc := range tests {
		data := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16)
		obj := blob.Object{Key: "7/attendance-2026-11-01-2026-11-07.csv", ContentType: "text/csv", Filename: "attendance.csv"}
		ctx := context.Background()
		n, err := store.Put(ctx, obj, bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: put %d, %v", tc.desc, n, err)
		}
		head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("reports/" + obj.Key)})
		if err != nil {
			t.Fatal(err)
		}
		etag := strings.Trim(aws.ToString(head.ETag), `"`)
		if tc.wantParts == "" && strings.Contains(etag, "-") || tc.wantParts != "" && !strings.HasSuffix(etag, tc.wantParts) {
			t.Errorf("%s: ETag %s, want parts %q", tc.desc, etag, tc.wantParts)
		}
		if head.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToString(head.ContentType) != "text/csv" {
			t.Errorf("%s: encryption %q, type %q", tc.desc, head.ServerSideEncryption, aws.ToString(head.ContentType))
		}
		link, err := store.URL(ctx, obj, 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		if u.Path != "/"+bucket+"/reports/7/attendance-2026-11-01-2026-11-07.csv" || u.Query().Get("X-Amz-Expires") != "900" ||
			!strings.Contains(u.Query().Get("response-content-disposition"), "attendance.csv") {
			t.Errorf("%s: presigned %s", tc.desc, link)
		}
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("%s: download %s, %d bytes differ from the %d uploaded", tc.desc, resp.Status, len(got), len(data))
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

// failingReader yields some bytes, then fails: an export that broke off.
type failingReader struct{ sent bool }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.sent {
		return 0, io.ErrUnexpectedEOF
	}
	r.sent = true
	return copy(p, "n,name\n1,row 1\n"), nil
}

// A write that fails part-way leaves nothing in the folder: no file under
// the key (not even an empty one) and no temporary file. One that failed
// after an earlier success leaves the earlier file as it was.
func TestDirFailedPutLeavesNoFile(t *testing.T) {
	root := t.TempDir()
	d := &blob.Dir{Root: root, Key: bytes.Repeat([]byte{7}, 32)}
	obj := blob.Object{Key: "12/hours-2026-11-30-2026-12-06.csv"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		desc string
		ctx  context.Context
		r    io.Reader
	}{
		{"reader fails", context.Background(), &failingReader{}},
		{"cancelled", ctx, strings.NewReader("n,name\n")},
	}
	for _, tc := range tests {
		if _, err := d.Put(tc.ctx, obj, tc.r); err == nil {
			t.Fatalf("%s: Put succeeded", tc.desc)
		}
		if entries, _ := os.ReadDir(filepath.Join(root, "12")); len(entries) != 0 {
			t.Errorf("%s: left %v", tc.desc, entries)
		}
	}
	if _, err := d.Put(context.Background(), obj, strings.NewReader("n\n1\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(context.Background(), obj, &failingReader{}); err == nil {
		t.Fatal("Put succeeded")
	}
	entries, _ := os.ReadDir(filepath.Join(root, "12"))
	b, _ := os.ReadFile(filepath.Join(root, "12", "hours-2026-11-30-2026-12-06.csv"))
	if len(entries) != 1 || string(b) != "n\n1\n" {
		t.Errorf("after a failed rewrite: %v, %q", entries, b)
	}
}

// The temporary file of an upload whose process was killed (Put never got
// to remove it) is removed once it has sat untouched for the age given; a
// younger one (an upload under way) and every stored object stay.
func TestDirRemoveStaleUploads(t *testing.T) {
	root := t.TempDir()
	d := &blob.Dir{Root: root, Key: bytes.Repeat([]byte{7}, 32)}
	obj := blob.Object{Key: "12/hours-2026-11-30-2026-12-06.csv"}
	if _, err := d.Put(context.Background(), obj, strings.NewReader("n\n1\n")); err != nil {
		t.Fatal(err)
	}
	write := func(rel string, age time.Duration) string {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := []string{write("12/.upload-1234", 2*time.Hour), write("7/.upload-99", 3*time.Hour)}
	keep := []string{write("12/.upload-5678", time.Minute), write("12/old-report.csv", 48*time.Hour),
		filepath.Join(root, "12", "hours-2026-11-30-2026-12-06.csv")}

	n, err := d.RemoveStaleUploads(time.Hour)
	if err != nil || n != len(stale) {
		t.Fatalf("removed %d (%v), want %d", n, err, len(stale))
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if n, err := (&blob.Dir{Root: filepath.Join(root, "missing")}).RemoveStaleUploads(time.Hour); n != 0 || err != nil {
		t.Errorf("a missing root: %d, %v", n, err)
	}
}
