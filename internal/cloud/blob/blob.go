// Package blob stores report files: in S3 (server-side encrypted, uploaded in
// parts, presigned download links) or in a local folder served through
// signed, expiring links (embedded mode).
package blob

import (
	"context"
	"io"
	"time"
)

// Object describes a file to store.
type Object struct {
	Key         string // deterministic per report, e.g. reports/17/attendance.csv
	ContentType string
	Filename    string // the name a browser saves it under
}

// Store is implemented by S3 and Dir.
type Store interface {
	// Put stores everything r yields under obj.Key, replacing an earlier
	// copy: a retried export overwrites its own object.
	Put(ctx context.Context, obj Object, r io.Reader) (int64, error)
	// URL returns a download link valid for ttl.
	URL(ctx context.Context, obj Object, ttl time.Duration) (string, error)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
