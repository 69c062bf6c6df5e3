package blob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Dir stores objects in a local folder and signs download links with an
// HMAC key: GET {BaseURL}/files/{key}?name=&exp=&sig=.
type Dir struct {
	Root    string
	BaseURL string // e.g. http://localhost:8080
	Key     []byte // HMAC key, at least 32 random bytes
	Clock   func() time.Time
}

var _ Store = (*Dir)(nil)

// FilesPath is the route prefix Dir's links point at.
const FilesPath = "/files/"

func (d *Dir) now() time.Time {
	if d.Clock == nil {
		return time.Now()
	}
	return d.Clock()
}

func (d *Dir) path(key string) (string, error) {
	clean := path.Clean("/" + key)
	if clean == "/" || strings.Contains(key, "..") {
		return "", fmt.Errorf("blob: bad key %q", key)
	}
	return filepath.Join(d.Root, filepath.FromSlash(clean)), nil
}

// Put writes r to a temporary file, flushes it to disk and renames it into
// place, so a reader never sees half a file (nor, after a crash of the
// machine, an empty one under the final name) and a retry simply replaces
// it. A write that fails removes its temporary file.
func (d *Dir) Put(ctx context.Context, obj Object, r io.Reader) (int64, error) {
	p, err := d.path(obj.Key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return 0, fmt.Errorf("blob: mkdir: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), uploadPrefix+"*")
	if err != nil {
		return 0, fmt.Errorf("blob: create: %w", err)
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("blob: write %s: %w", obj.Key, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return 0, fmt.Errorf("blob: rename: %w", err)
	}
	if d, err := os.Open(filepath.Dir(p)); err == nil { // make the rename itself durable
		d.Sync()
		d.Close()
	}
	return n, nil
}

// uploadPrefix names Put's temporary files.
const uploadPrefix = ".upload-"

// StaleUploadAge is how long a temporary upload file may sit untouched
// before RemoveStaleUploads takes it for the leftover of a killed process.
// A live export writes to its file all along, so its modification time
// stays far younger than this.
const StaleUploadAge = time.Hour

// RemoveStaleUploads deletes the temporary files of uploads that a killed
// process left under Root (a kill -9 skips Put's own clean-up) and that
// have not been written to for olderThan. It returns how many it removed.
// File times are the operating system's, so ages are measured on its
// clock, not on d.Clock. A missing Root has nothing to clean.
func (d *Dir) RemoveStaleUploads(olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	err := filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || !strings.HasPrefix(e.Name(), uploadPrefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // finished or removed meanwhile
				return nil
			}
			return err
		}
		if info.ModTime().After(cutoff) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("blob: remove stale uploads: %w", err)
	}
	return removed, nil
}

// URL returns a signed link valid for ttl.
func (d *Dir) URL(_ context.Context, obj Object, ttl time.Duration) (string, error) {
	exp := strconv.FormatInt(d.now().Add(ttl).Unix(), 10)
	q := url.Values{"name": {obj.Filename}, "exp": {exp}, "sig": {d.sign(obj.Key, obj.Filename, exp)}}
	return strings.TrimSuffix(d.BaseURL, "/") + FilesPath + obj.Key + "?" + q.Encode(), nil
}

func (d *Dir) sign(key, name, exp string) string {
	m := hmac.New(sha256.New, d.Key)
	fmt.Fprintf(m, "%s\n%s\n%s", key, name, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// ServeHTTP serves GET /files/{key} when the signature matches and the link
// has not expired; anything else is 404 (a bad link reveals nothing).
func (d *Dir) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, FilesPath)
	q := r.URL.Query()
	name, exp, sig := q.Get("name"), q.Get("exp"), q.Get("sig")
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	want := d.sign(key, name, exp)
	if err != nil || !hmac.Equal([]byte(sig), []byte(want)) || d.now().Unix() > expUnix {
		http.NotFound(w, r)
		return
	}
	p, err := d.path(key)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
