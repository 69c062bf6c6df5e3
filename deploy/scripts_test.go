package deploy

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptsParse: the shell scripts are valid bash.
func TestScriptsParse(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	for _, s := range []string{"install-tools.sh", "release.sh"} {
		if out, err := exec.Command(bash, "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
	}
}

// TestReleaseArchive: release.sh packs what the user data unpacks: an
// executable crumb at the top and the serve, worker and migrate units under
// systemd/.
func TestReleaseArchive(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "crumb-stub")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "release.sh", "v0.0.0-test")
	cmd.Env = append(os.Environ(), "CRUMB_BINARY="+stub, "CRUMB_DIST="+dir, "GOARCH=arm64")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("release.sh: %v", err)
	}
	archive := strings.TrimSpace(string(out))
	if filepath.Base(archive) != "crumb-v0.0.0-test-linux-arm64.tar.gz" {
		t.Fatalf("release.sh printed %q", archive)
	}
	got := map[string]int64{} // name -> mode
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h.Mode
	}
	if got["crumb"]&0o111 == 0 {
		t.Errorf("no executable crumb in the archive: %v", got)
	}
	for _, u := range []string{"crumb-serve.service", "crumb-worker.service", "crumb-migrate.service"} {
		if _, ok := got["systemd/"+u]; !ok {
			t.Errorf("systemd/%s missing from the archive: %v", u, got)
		}
	}
}
