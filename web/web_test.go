package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/web"
)

// The service worker names its file cache after a hash of the app's files,
// so a release that changes them reaches installed clients.
func TestServiceWorkerCacheFollowsTheFiles(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/sw.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	v := web.ShellVersion()
	if len(v) != 12 {
		t.Fatalf("shell version %q", v)
	}
	if !strings.Contains(string(body), `const SHELL = "crumb-shell-`+v+`"`) || strings.Contains(string(body), "crumb-shell-v1") {
		t.Errorf("sw.js does not name its cache after the files' hash %s:\n%.300s", v, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q", ct)
	}
}
