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
	for _, s := range []string{"install-tools.sh", "release.sh", "deploy.sh"} {
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

// TestDeployDryRun: deploy.sh --dry-run prints, in order, the release build
// and upload, the packaging, the stack deploy with the capabilities the
// nested stacks need and the parameters from CRUMB_PARAMS_FILE, and the
// smoke test (readyz over HTTPS, a WebSocket handshake, the SNS
// subscription); and it runs none of them (no aws or curl on PATH).
func TestDeployDryRun(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq not installed")
	}
	dir := t.TempDir()
	params := filepath.Join(dir, "prod.params")
	if err := os.WriteFile(params, []byte("# first deploy\nDomainName=crumb.example.com\nAdminEmail=owner@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Only what the script itself needs; aws, curl and go are missing, so
	// running any of them would fail the script.
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"dirname", "mktemp", "rm", "head", "base64", "jq"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not installed", tool)
		}
		if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bash, "deploy.sh", "--dry-run", "prod", "v1.4.0")
	cmd.Env = []string{"PATH=" + bin, "CRUMB_DEPLOY_BUCKET=crumb-artifacts", "CRUMB_PARAMS_FILE=" + params}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("deploy.sh --dry-run: %v\n%s", err, out)
	}
	var cmds []string
	for _, line := range strings.Split(string(out), "\n") {
		if c, ok := strings.CutPrefix(line, "+ "); ok {
			cmds = append(cmds, c)
		}
	}
	want := []string{
		"release.sh v1.4.0 s3://crumb-artifacts/releases",
		"aws cloudformation package --template-file ",
		"aws cloudformation deploy --template-file ",
		"curl -fsS -o /dev/null",
		"aws secretsmanager get-secret-value --secret-id @AdminPasswordSecretArn@",
		"/api/v1/auth/login",
		"Upgrade:\\ websocket",
		"aws sns list-subscriptions-by-topic --topic-arn @AlertTopicArn@",
	}
	i := 0
	for _, c := range cmds {
		if i < len(want) && strings.Contains(c, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("dry run lacks (in order) %q; printed:\n%s", want[i], out)
	}
	joined := strings.Join(cmds, "\n")
	for _, w := range []string{"--stack-name crumb-prod", "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND",
		"Environment=prod ReleaseBucket=crumb-artifacts DomainName=crumb.example.com AdminEmail=owner@example.com ReleaseKey=releases/crumb-v1.4.0-linux-arm64.tar.gz",
		"@Url@/readyz", "@Url@/api/v1/ws"} {
		if !strings.Contains(joined, w) {
			t.Errorf("dry run does not say %q; printed:\n%s", w, out)
		}
	}
	if !strings.Contains(string(out), "nothing was built, uploaded or deployed") {
		t.Errorf("dry run does not say that it deployed nothing:\n%s", out)
	}

	cmd = exec.Command(bash, "deploy.sh", "--dry-run", "qa", "v1.4.0")
	cmd.Env = []string{"PATH=" + bin, "CRUMB_DEPLOY_BUCKET=crumb-artifacts"}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "dev, staging or prod") {
		t.Errorf("deploy.sh with an unknown environment: %v\n%s", err, out)
	}
}
