package deploy

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rootSamples are values for the root template's parameters without a
// Default, used by tests that evaluate the templates.
var rootSamples = map[string]string{
	"CertificateArn":  "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-4000-8000-000000000000",
	"AlarmEmail":      "ops@crumb.example.com",
	"HostedZoneId":    "Z0123456789ABCDEFGHIJ",
	"MailFromAddress": "no-reply@crumb.example.com",
}

// cfnLintIgnored are the cfn-lint rules that do not apply here, each with why.
var cfnLintIgnored = []string{
	// W3002: nested stacks name their templates by relative path, which
	// `aws cloudformation package` (deploy/release.sh) uploads and rewrites.
	"W3002",
}

// cfnFinding is one entry of `cfn-lint --format json`.
type cfnFinding struct {
	Filename string
	Level    string
	Message  string
	Rule     struct{ Id string }
	Location struct {
		Start struct{ LineNumber int }
		Path  []any
	}
}

// runCfnLint runs AWS's cfn-lint on templates and decodes its findings.
// cfn-lint evaluates both sides of every Condition itself, so one run covers
// every environment and role. Exit codes 2, 4 and 8 mean findings, not a
// failure to run.
func runCfnLint(t *testing.T, templates ...string) []cfnFinding {
	t.Helper()
	bin := requireTool(t, "cfn-lint")
	args := []string{"--format", "json", "--ignore-checks"}
	args = append(args, cfnLintIgnored...)
	cmd := exec.Command(bin, append(append(args, "--"), templates...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("cfn-lint: %v", err)
	}
	var findings []cfnFinding
	if jerr := json.Unmarshal(out, &findings); jerr != nil {
		t.Fatalf("cfn-lint: %v (exit %v)\n%s\n%s", jerr, err, out, stderr.String())
	}
	if err != nil && len(findings) == 0 {
		t.Fatalf("cfn-lint failed without findings: %v\n%s", err, stderr.String())
	}
	return findings
}

// TestCfnLint runs cfn-lint on every template: no errors, warnings or
// informational findings besides the rules listed in cfnLintIgnored.
func TestCfnLint(t *testing.T) {
	all, err := filepath.Glob(filepath.Join(cfnDir, "*.yaml"))
	if err != nil || len(all) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, f := range runCfnLint(t, all...) {
		t.Errorf("%s:%d: %s %s: %s (%v)", f.Filename, f.Location.Start.LineNumber, f.Level, f.Rule.Id, f.Message, f.Location.Path)
	}
}

// TestCfnLintCatchesBadTemplate proves the validator runs and reports.
func TestCfnLintCatchesBadTemplate(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	src := `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncription: {}
      Tags: [{ Key: Project, Value: !Ref Missing }]
`
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, f := range runCfnLint(t, bad) {
		msgs = append(msgs, f.Rule.Id+" "+f.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"E3002", "BucketEncription", "E1020", "Missing"} {
		if !strings.Contains(got, want) {
			t.Errorf("want a finding containing %q, got:\n%s", want, got)
		}
	}
}
