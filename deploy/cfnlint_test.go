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
// Default; the nested templates get fleetSamples. The validator checks, for
// example, that an ARN-typed property receives something shaped like an ARN.
var rootSamples = map[string]string{
	"CertificateArn":  "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-4000-8000-000000000000",
	"AlarmEmail":      "ops@crumb.example.com",
	"HostedZoneId":    "Z0123456789ABCDEFGHIJ",
	"MailFromAddress": "no-reply@crumb.example.com",
}

// lintResult is one template's entry in lint.js's output.
type lintResult struct {
	File     string `json:"file"`
	Valid    bool   `json:"valid"`
	Findings []struct {
		Level    string `json:"level"`
		Message  string `json:"message"`
		Resource string `json:"resource"`
	} `json:"findings"`
}

// runCfnLint runs cfnlint/lint.js and decodes its report. A non-zero exit with
// a report is findings, not an error.
func runCfnLint(t *testing.T, params map[string]string, templates ...string) []lintResult {
	t.Helper()
	node, modules := requireCfnLint(t)
	args := []string{filepath.Join("cfnlint", "lint.js"), modules}
	for k, v := range params {
		args = append(args, "-p", k+"="+v)
	}
	cmd := exec.Command(node, append(args, templates...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("lint.js: %v", err)
	}
	var results []lintResult
	if jerr := json.Unmarshal(out, &results); jerr != nil {
		t.Fatalf("lint.js: %v (exit %v)\n%s\n%s", jerr, err, out, stderr.String())
	}
	if len(results) != len(templates) {
		t.Fatalf("lint.js reported %d templates, want %d", len(results), len(templates))
	}
	return results
}

// TestCfnLint runs the npm cfn-lint validator on every template, once per
// environment, so that each side of every Condition and every EnvConfig column
// is validated; the fleet template once more as the worker fleet (its
// conditions depend on Role, not on the environment).
func TestCfnLint(t *testing.T) {
	requireCfnLint(t)
	all, err := filepath.Glob(filepath.Join(cfnDir, "*.yaml"))
	if err != nil || len(all) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	runs := []struct{ env, role string }{{"dev", "serve"}, {"staging", "serve"}, {"prod", "serve"}, {"prod", "worker"}}
	for _, run := range runs {
		t.Run(run.env+"/"+run.role, func(t *testing.T) {
			t.Parallel()
			params := map[string]string{}
			for k, v := range fleetSamples {
				if !strings.HasPrefix(k, "AWS::") {
					params[k] = v
				}
			}
			for k, v := range rootSamples {
				params[k] = v
			}
			params["Environment"], params["Role"] = run.env, run.role
			templates := all
			if run.role == "worker" {
				params["TargetGroupArn"] = ""
				templates = []string{filepath.Join(cfnDir, "fleet.yaml")}
			}
			for _, r := range runCfnLint(t, params, templates...) {
				for _, f := range r.Findings {
					t.Errorf("%s: %s: %s (%s)", r.File, f.Level, f.Message, f.Resource)
				}
				if !r.Valid && len(r.Findings) == 0 {
					t.Errorf("%s: invalid without findings", r.File)
				}
			}
		})
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
	results := runCfnLint(t, nil, bad)
	var msgs []string
	for _, f := range results[0].Findings {
		msgs = append(msgs, f.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"BucketEncription is not a valid property", "Missing"} {
		if results[0].Valid || !strings.Contains(got, want) {
			t.Errorf("want a finding containing %q, got valid=%v:\n%s", want, results[0].Valid, got)
		}
	}
}
