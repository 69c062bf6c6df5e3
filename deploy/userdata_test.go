package deploy

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/config"
)

// fleetSamples are plausible values for fleet.yaml's parameters and the pseudo
// parameters its user data uses. A parameter without a sample fails the test.
var fleetSamples = map[string]string{
	"AWS::Region":               "us-east-1",
	"AWS::StackName":            "crumb-prod-ServeFleet-1ABCDEF",
	"Environment":               "prod",
	"ProjectName":               "crumb",
	"GroupName":                 "crumb-prod-serve",
	"ImageId":                   "ami-0123456789abcdef0",
	"InstanceType":              "t4g.medium",
	"MinSize":                   "2",
	"MaxSize":                   "6",
	"DetailedMonitoring":        "true",
	"SubnetIds":                 "subnet-0aaa,subnet-0bbb",
	"SecurityGroupId":           "sg-0123",
	"InstanceProfileArn":        "arn:aws:iam::123456789012:instance-profile/crumb-serve",
	"TargetGroupArn":            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/crumb/0123",
	"AlertTopicArn":             "arn:aws:sns:us-east-1:123456789012:crumb-prod-alerts",
	"LifecycleHookRoleArn":      "arn:aws:iam::123456789012:role/crumb-lifecycle",
	"ReleaseBucket":             "crumb-releases",
	"ReleaseKey":                "releases/crumb-v1.0.0-linux-arm64.tar.gz",
	"AppPort":                   "8080",
	"DomainName":                "crumb.example.com",
	"StoreTimezone":             "America/Halifax",
	"VpcCidr":                   "10.40.0.0/16",
	"DbEndpointAddress":         "crumb-prod.abcdefghij.us-east-1.rds.amazonaws.com",
	"DbEndpointPort":            "3306",
	"DbName":                    "crumb",
	"DbSecretArn":               "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf",
	"CacheEndpointAddress":      "master.crumb-prod.abcdef.use1.cache.amazonaws.com",
	"CacheEndpointPort":         "6379",
	"CacheAuthSecretArn":        "arn:aws:secretsmanager:us-east-1:123456789012:secret:crumb-prod/redis-auth-token-AbCdEf",
	"ReportsBucketName":         "crumb-prod-reportsbucket-0123",
	"ReportsPrefix":             "reports/",
	"MailFromAddress":           "no-reply@crumb.example.com",
	"MetricNamespace":           "CrumbCommander",
	"AlarmPauseReports":         "crumb-prod-queue-latency-high,crumb-prod-rds-cpu-high",
	"CpuTargetPercent":          "60",
	"CpuAlarmPercent":           "85",
	"SocketsPerInstanceTarget":  "2000",
	"SocketsAlarmThreshold":     "4000",
	"ScalingQueue":              "default",
	"QueueLatencyTargetSeconds": "30",
	"QueueLatencyAlarmSeconds":  "120",
}

// envFileHeredoc captures the body of `cat > /etc/crumb/crumb.env <<'ENV' ... ENV`.
var envFileHeredoc = regexp.MustCompile(`(?ms)cat > (/etc/crumb/crumb\.env) <<'ENV'\n(.*?)\nENV\n`)

// renderUserData returns fleet.yaml's user data script for one Role, with
// every ${...} replaced as CloudFormation would.
func renderUserData(t *testing.T, role string) string {
	t.Helper()
	fleet := templateByName(t, loadTemplates(t), "fleet.yaml")
	for name := range fleet.section("Parameters") {
		if _, ok := fleetSamples[name]; !ok && name != "Role" {
			t.Fatalf("fleetSamples has no value for fleet.yaml parameter %s", name)
		}
	}
	lt := fleet.resourcesOfType("AWS::EC2::LaunchTemplate")[0]
	sub, ok := dig(lt.props, "LaunchTemplateData", "UserData", "Fn::Base64", "Fn::Sub").(string)
	if !ok {
		t.Fatal("UserData is not Fn::Base64 of an Fn::Sub string")
	}
	return subVar.ReplaceAllStringFunc(sub, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		if name == "Role" {
			return role
		}
		v, ok := fleetSamples[name]
		if !ok {
			t.Errorf("user data uses ${%s}, which has no sample", name)
		}
		return v
	})
}

// parseEnvFile reads KEY=VALUE lines as systemd's EnvironmentFile= does
// (surrounding double quotes removed).
func parseEnvFile(t *testing.T, body string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("env file line without '=': %q", line)
		}
		if _, dup := env[k]; dup {
			t.Errorf("env file sets %s twice", k)
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	return env
}

// TestUserDataEnvironment: the env file the instances get is accepted by the
// crumb binary's own configuration loader, names only variables it reads, and
// points at the stack's resources without any credential in it.
func TestUserDataEnvironment(t *testing.T) {
	known := map[string]bool{}
	_, _ = config.Load(func(name string) string { known[name] = true; return "" })
	for _, role := range []string{"serve", "worker"} {
		t.Run(role, func(t *testing.T) {
			script := renderUserData(t, role)
			m := envFileHeredoc.FindStringSubmatch(script)
			if m == nil {
				t.Fatal("user data does not write /etc/crumb/crumb.env with a quoted heredoc")
			}
			env := parseEnvFile(t, m[2])
			for k := range env {
				if !known[k] {
					t.Errorf("%s is not read by internal/config", k)
				}
			}
			cfg, err := config.Load(func(name string) string { return env[name] })
			if err != nil {
				t.Fatalf("config.Load rejects the env file: %v", err)
			}
			vpc := netip.MustParsePrefix(fleetSamples["VpcCidr"])
			checks := []struct {
				desc string
				ok   bool
			}{
				{"no credentials in CRUMB_DATABASE_URL", !strings.Contains(cfg.DatabaseURL, "@")},
				{"MySQL credentials from the RDS secret", cfg.DBSecretID == fleetSamples["DbSecretArn"]},
				{"Redis over TLS", strings.HasPrefix(cfg.RedisURL, "rediss://"+fleetSamples["CacheEndpointAddress"])},
				{"Redis AUTH token from its secret", cfg.RedisSecretID == fleetSamples["CacheAuthSecretArn"]},
				{"base URL is the HTTPS domain", cfg.BaseURL.String() == "https://"+fleetSamples["DomainName"]},
				{"reports in the stack's bucket", cfg.S3Bucket == fleetSamples["ReportsBucketName"] && cfg.S3Prefix == "reports/"},
				{"mail through SES", cfg.MailDriver == "ses"},
				{"metrics to CloudWatch", cfg.CloudWatch},
				{"alarm topic", cfg.SNSTopicARN == fleetSamples["AlertTopicArn"]},
				{"pause alarms", slices.Equal(cfg.AlarmPauseReports, strings.Split(fleetSamples["AlarmPauseReports"], ","))},
				{"trusts the VPC (the load balancer)", slices.Contains(cfg.TrustedProxies, vpc)},
				{"JSON logs", cfg.LogFormat == "json"},
				{"drain within the unit's TimeoutStopSec", cfg.ShutdownTimeout < stopTimeout(t, "crumb-"+role+".service")},
			}
			for _, c := range checks {
				if !c.ok {
					t.Error(c.desc)
				}
			}
		})
	}
}

// TestUserDataScript: the rendered script is valid bash and starts units that
// exist in systemd/, reading the env file the script writes.
func TestUserDataScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	units := regexp.MustCompile(`crumb-[a-z]+\.service`)
	for _, role := range []string{"serve", "worker"} {
		t.Run(role, func(t *testing.T) {
			script := renderUserData(t, role)
			path := filepath.Join(t.TempDir(), "user-data.sh")
			if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bash, "-n", path).CombinedOutput(); err != nil {
				t.Fatalf("bash -n: %v\n%s", err, out)
			}
			want := []string{"crumb-" + role + ".service"}
			if role == "serve" {
				want = append(want, "crumb-migrate.service")
			}
			for _, u := range want {
				if !strings.Contains(script, u) {
					t.Errorf("user data does not start %s", u)
				}
			}
			for _, u := range units.FindAllString(script, -1) {
				unit := readUnit(t, filepath.Join(unitDir, u))
				if got := unit.get("Service", "EnvironmentFile"); !slices.Contains(got, "/etc/crumb/crumb.env") {
					t.Errorf("%s: EnvironmentFile=%v, want the file the user data writes", u, got)
				}
			}
			signalled := regexp.MustCompile(`cfn-signal .*\n?.*--resource (\w+)`).FindStringSubmatch(script)
			fleet := templateByName(t, loadTemplates(t), "fleet.yaml")
			if signalled == nil || dig(fleet.section("Resources"), signalled[1], "CreationPolicy", "ResourceSignal") == nil {
				t.Errorf("cfn-signal does not name the group that waits for signals: %v", signalled)
			}
			if !strings.Contains(script, fmt.Sprintf("'s3://%s/%s'", fleetSamples["ReleaseBucket"], fleetSamples["ReleaseKey"])) {
				t.Error("user data does not download the release from ReleaseBucket/ReleaseKey")
			}
		})
	}
}
