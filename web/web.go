// Package web embeds the browser app (templates and static assets) and serves
// it. No build step is needed: plain JavaScript modules and CSS.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// shellCacheName is the placeholder in sw.js that names the cache of the
// app's files; it is replaced by a name carrying a hash of those files, so
// that a release with changed JS or CSS installs a new service worker and
// its clients get the new files instead of the cached ones.
const shellCacheName = "crumb-shell-v1"

// ShellVersion is the hash of the app's files that names the service
// worker's file cache.
func ShellVersion() string {
	h := sha256.New()
	fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "static/sw.js" {
			return err
		}
		b, err := static.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Handler serves the app's files; unknown paths get the app shell so that
// client-side routes survive a reload.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	sw, err := static.ReadFile("static/sw.js")
	if err != nil {
		panic(err)
	}
	sw = bytes.Replace(sw, []byte(`"`+shellCacheName+`"`), []byte(`"crumb-shell-`+ShellVersion()+`"`), 1)
	started := time.Now()
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sw.js" {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			http.ServeContent(w, r, "sw.js", started, strings.NewReader(string(sw)))
			return
		}
		if r.URL.Path != "/" {
			if f, err := sub.Open(r.URL.Path[1:]); err == nil {
				f.Close()
				files.ServeHTTP(w, r)
				return
			}
		}
		http.ServeFileFS(w, r, sub, "index.html")
	})
}
