package deploy

import (
	"fmt"
	"maps"
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
	"AppDbSecretArn":            "arn:aws:secretsmanager:us-east-1:123456789012:secret:crumb-prod/mysql-app-user-AbCdEf",
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
	"BacklogPerInstanceTarget":  "20",
	"QueueLatencyAlarmSeconds":  "120",
}

// envFileHeredoc captures the body of `cat > /etc/crumb/crumb.env <<'ENV' ... ENV`.
var envFileHeredoc = regexp.MustCompile(`(?ms)cat > (/etc/crumb/crumb\.env) <<'ENV'\n(.*?)\nENV\n`)

// migrateEnvHeredoc captures the serve-only write of /etc/crumb/migrate.env:
// the rendered Role the guard compares, and the body.
var migrateEnvHeredoc = regexp.MustCompile(`(?ms)^if \[ '(\w+)' = serve \]; then\n  cat > /etc/crumb/migrate\.env <<'ENV'\n(.*?)\nENV\nfi\n`)

// umaskCmd finds the script's umask commands.
var umaskCmd = regexp.MustCompile(`(?m)^umask ([0-7]+)$`)

// umaskAt returns the umask a script has set when it reaches byte offset pos.
func umaskAt(script string, pos int) string {
	mask := ""
	for _, m := range umaskCmd.FindAllStringSubmatchIndex(script, -1) {
		if m[0] < pos {
			mask = script[m[2]:m[3]]
		}
	}
	return mask
}

// writtenEnvFiles returns the env files the rendered user data writes on an
// instance of the given role, path -> body. Each must be written once, with
// umask 077 (mode 0600: they name the secrets).
func writtenEnvFiles(t *testing.T, script, role string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, path := range []string{crumbEnv, migrateEnv} {
		if n := strings.Count(script, "> "+path); n != 1 {
			t.Fatalf("user data writes %s %d times, want once", path, n)
		}
	}
	m := envFileHeredoc.FindStringSubmatchIndex(script)
	if m == nil {
		t.Fatal("user data does not write " + crumbEnv + " with a quoted heredoc")
	}
	files[crumbEnv] = script[m[4]:m[5]]
	if mask := umaskAt(script, m[0]); mask != "077" {
		t.Errorf("%s written with umask %q, want 077", crumbEnv, mask)
	}
	m = migrateEnvHeredoc.FindStringSubmatchIndex(script)
	if m == nil {
		t.Fatal("user data does not write " + migrateEnv + " with a quoted heredoc under if [ '${Role}' = serve ]")
	}
	if mask := umaskAt(script, m[0]); mask != "077" {
		t.Errorf("%s written with umask %q, want 077", migrateEnv, mask)
	}
	if script[m[2]:m[3]] != role {
		t.Fatalf("the guard of %s did not render Role", migrateEnv)
	}
	if role == "serve" {
		files[migrateEnv] = script[m[4]:m[5]]
	}
	return files
}

// unitEnv is the environment systemd gives a unit from the env files the user
// data wrote: its EnvironmentFile= lines in order, a later file overriding an
// earlier one, a missing file an error unless the line starts with "-".
func unitEnv(t *testing.T, unit string, files map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, f := range readUnit(t, filepath.Join(unitDir, unit)).get("Service", "EnvironmentFile") {
		body, ok := files[strings.TrimPrefix(f, "-")]
		if !ok {
			if !strings.HasPrefix(f, "-") {
				t.Fatalf("%s: EnvironmentFile=%s, which the user data does not write", unit, f)
			}
			continue
		}
		for k, v := range parseEnvFile(t, body) {
			env[k] = v
		}
	}
	return env
}

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

// TestUserDataEnvironment: the environment each unit an instance starts gets
// from the files the user data writes (crumb.env; on serve also migrate.env,
// which crumb-migrate.service reads after it) is accepted by the crumb binary's
// own configuration loader, names only variables it reads, and points at the
// stack's resources without any credential in it. crumb serve and crumb worker
// log in to MySQL as the app user; only crumb migrate gets the master secret,
// and the app user's secret to create that user from.
func TestUserDataEnvironment(t *testing.T) {
	known := map[string]bool{}
	_, _ = config.Load(func(name string) string { known[name] = true; return "" })
	master, appUser := fleetSamples["DbSecretArn"], fleetSamples["AppDbSecretArn"]
	for _, role := range []string{"serve", "worker"} {
		t.Run(role, func(t *testing.T) {
			script := renderUserData(t, role)
			files := writtenEnvFiles(t, script, role)
			// The master secret's ARN appears in the script once: in migrate.env,
			// which only serve instances write.
			// (writtenEnvFiles has found the heredoc.)
			n := strings.Count(script, master)
			inMigrateEnv := strings.Count(migrateEnvHeredoc.FindStringSubmatch(script)[2], master)
			if n != 1 || inMigrateEnv != 1 {
				t.Errorf("the master secret appears %d times in the user data, %d of them in %s; want once, there", n, inMigrateEnv, migrateEnv)
			}
			if got := parseEnvFile(t, files[crumbEnv])["CRUMB_DB_SECRET_ID"]; got != appUser {
				t.Errorf("%s: CRUMB_DB_SECRET_ID=%s, want the app user's secret %s", crumbEnv, got, appUser)
			}
			if body, ok := files[migrateEnv]; ok {
				got := parseEnvFile(t, body)
				want := map[string]string{"CRUMB_DB_SECRET_ID": master, "CRUMB_DB_APP_SECRET_ID": appUser}
				if !maps.Equal(got, want) {
					t.Errorf("%s = %v, want exactly %v", migrateEnv, got, want)
				}
			}
			units := []string{"crumb-" + role + ".service"}
			if role == "serve" {
				units = append(units, "crumb-migrate.service")
			}
			for _, unit := range units {
				t.Run(unit, func(t *testing.T) {
					env := unitEnv(t, unit, files)
					for k := range env {
						if !known[k] {
							t.Errorf("%s is not read by internal/config", k)
						}
					}
					cfg, err := config.Load(func(name string) string { return env[name] })
					if err != nil {
						t.Fatalf("config.Load rejects the environment: %v", err)
					}
					vpc := netip.MustParsePrefix(fleetSamples["VpcCidr"])
					type check struct {
						desc string
						ok   bool
					}
					checks := []check{
						{"no credentials in CRUMB_DATABASE_URL", !strings.Contains(cfg.DatabaseURL, "@")},
						{"MySQL TLS verified against the RDS CA bundle (and required of the app user)", cfg.DatabaseCAFile == "/etc/crumb/rds-ca.pem"},
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
					}
					if unit == "crumb-migrate.service" {
						checks = append(checks,
							check{"crumb migrate logs in with the master secret", cfg.DBSecretID == master},
							check{"crumb migrate provisions the app user from its secret", env["CRUMB_DB_APP_SECRET_ID"] == appUser})
					} else {
						checks = append(checks,
							check{"MySQL credentials of the app user, not the master", cfg.DBSecretID == appUser},
							check{"no CRUMB_DB_APP_SECRET_ID outside crumb migrate", env["CRUMB_DB_APP_SECRET_ID"] == ""},
							check{"drain within the unit's TimeoutStopSec", cfg.ShutdownTimeout < stopTimeout(t, unit)})
					}
					for _, c := range checks {
						if !c.ok {
							t.Error(c.desc)
						}
					}
					for k, v := range env {
						if unit != "crumb-migrate.service" && strings.Contains(v, master) {
							t.Errorf("%s=%s names the master secret", k, v)
						}
					}
				})
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
			files := writtenEnvFiles(t, script, role)
			for _, u := range units.FindAllString(script, -1) {
				unit := readUnit(t, filepath.Join(unitDir, u))
				got := unit.get("Service", "EnvironmentFile")
				if !slices.Contains(got, crumbEnv) {
					t.Errorf("%s: EnvironmentFile=%v, want the file the user data writes", u, got)
				}
				if _, written := files[migrateEnv]; written && u == "crumb-migrate.service" && !slices.Contains(got, "-"+migrateEnv) {
					t.Errorf("%s: EnvironmentFile=%v does not read %s, which the user data writes for it", u, got, migrateEnv)
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
