package deploy

import (
	"encoding/json"
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

// fleetSamples are plausible values for the parameters of fleet.yaml and
// migrate.yaml and the pseudo parameters their user data uses. A parameter
// without a sample fails the test.
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
	"LogRetentionDays":          "90",
	"AdminEmail":                "owner@example.com",
	"AdminPasswordSecretArn":    "arn:aws:secretsmanager:us-east-1:123456789012:secret:crumb-prod/first-admin-password-AbCdEf",
}

// roleTemplate is the template whose launch template boots an instance of
// each role.
var roleTemplate = map[string]string{"serve": "fleet.yaml", "worker": "fleet.yaml", "migrate": "migrate.yaml"}

// roleUnits are the units an instance of each role runs: the one the user
// data starts, and (serve, worker) the one their OnFailure= starts.
var roleUnits = map[string][]string{
	"serve":   {"crumb-serve.service", "crumb-unhealthy.service"},
	"worker":  {"crumb-worker.service", "crumb-unhealthy.service"},
	"migrate": {"crumb-migrate.service"},
}

// envFileHeredoc captures each `cat > /etc/crumb/X.env <<'ENV' ... ENV`.
var envFileHeredoc = regexp.MustCompile(`(?ms)^cat > (/etc/crumb/[a-z]+\.env) <<'ENV'\n(.*?)\nENV\n`)

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

// writtenEnvFiles returns the env files a rendered user data script writes,
// path -> body. Each is written once, with a quoted heredoc, under umask 077
// (mode 0600: they name the secrets).
func writtenEnvFiles(t *testing.T, script string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, m := range envFileHeredoc.FindAllStringSubmatchIndex(script, -1) {
		path := script[m[2]:m[3]]
		if _, dup := files[path]; dup {
			t.Fatalf("user data writes %s twice", path)
		}
		files[path] = script[m[4]:m[5]]
		if mask := umaskAt(script, m[0]); mask != "077" {
			t.Errorf("%s written with umask %q, want 077", path, mask)
		}
	}
	for _, path := range []string{crumbEnv, migrateEnv} {
		if n := strings.Count(script, "> "+path); n > 1 || (n == 1) != (files[path] != "") {
			t.Fatalf("user data writes %s %d times, not all with a quoted heredoc", path, n)
		}
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

// renderUserData returns the user data script of an instance of role, with
// every ${...} replaced as CloudFormation would.
func renderUserData(t *testing.T, role string) string {
	t.Helper()
	tpl := templateByName(t, loadTemplates(t), roleTemplate[role])
	for name := range tpl.section("Parameters") {
		if _, ok := fleetSamples[name]; !ok && name != "Role" {
			t.Fatalf("fleetSamples has no value for %s parameter %s", tpl.name, name)
		}
	}
	lt := tpl.resourcesOfType("AWS::EC2::LaunchTemplate")[0]
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

// TestUserDataEnvironment: the environment each unit an instance runs gets
// from the files its user data writes (crumb.env; on the migrate instance
// also migrate.env, which crumb-migrate.service reads after it) is accepted
// by the crumb binary's own configuration loader, names only variables it
// reads, and points at the stack's resources without any credential in it.
// crumb serve and crumb worker log in to MySQL as the app user and never see
// the master secret or the first admin's; only the migrate instance, which
// takes no traffic, gets them.
func TestUserDataEnvironment(t *testing.T) {
	known := map[string]bool{}
	_, _ = config.Load(func(name string) string { known[name] = true; return "" })
	master, appUser, admin := fleetSamples["DbSecretArn"], fleetSamples["AppDbSecretArn"], fleetSamples["AdminPasswordSecretArn"]
	for _, role := range []string{"serve", "worker", "migrate"} {
		t.Run(role, func(t *testing.T) {
			script := renderUserData(t, role)
			files := writtenEnvFiles(t, script)
			if files[crumbEnv] == "" {
				t.Fatal("user data does not write " + crumbEnv)
			}
			if got := parseEnvFile(t, files[crumbEnv])["CRUMB_DB_SECRET_ID"]; got != appUser {
				t.Errorf("%s: CRUMB_DB_SECRET_ID=%s, want the app user's secret %s", crumbEnv, got, appUser)
			}
			// The master and admin secrets appear only in the migrate
			// instance's migrate.env, once each.
			for _, secret := range []string{master, admin} {
				want := 0
				if role == "migrate" {
					want = 1
				}
				if n, in := strings.Count(script, secret), strings.Count(files[migrateEnv], secret); n != want || in != want {
					t.Errorf("%s appears %d times in the user data, %d of them in %s; want %d, there", secret, n, in, migrateEnv, want)
				}
			}
			if role == "migrate" {
				want := map[string]string{"CRUMB_DB_SECRET_ID": master, "CRUMB_DB_APP_SECRET_ID": appUser,
					"CRUMB_ADMIN_EMAIL": fleetSamples["AdminEmail"], "CRUMB_ADMIN_PASSWORD_SECRET_ID": admin}
				if got := parseEnvFile(t, files[migrateEnv]); !maps.Equal(got, want) {
					t.Errorf("%s = %v, want exactly %v", migrateEnv, got, want)
				}
			} else if _, ok := files[migrateEnv]; ok {
				t.Errorf("a %s instance writes %s", role, migrateEnv)
			}
			for _, unit := range roleUnits[role] {
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
					for _, c := range unitChecks(t, role, unit, cfg, env) {
						if !c.ok {
							t.Error(c.desc)
						}
					}
					for k, v := range env {
						if unit != "crumb-migrate.service" && (strings.Contains(v, master) || strings.Contains(v, admin)) {
							t.Errorf("%s=%s names the master or the admin secret", k, v)
						}
					}
				})
			}
		})
	}
}

type envCheck struct {
	desc string
	ok   bool
}

// unitChecks are what the configuration of unit on an instance of role
// must say.
func unitChecks(t *testing.T, role, unit string, cfg *config.Config, env map[string]string) []envCheck {
	master, appUser := fleetSamples["DbSecretArn"], fleetSamples["AppDbSecretArn"]
	checks := []envCheck{
		{"no credentials in CRUMB_DATABASE_URL", !strings.Contains(cfg.DatabaseURL, "@")},
		{"MySQL TLS verified against the RDS CA bundle (and required of the app user)", cfg.DatabaseCAFile == "/etc/crumb/rds-ca.pem"},
		{"base URL is the HTTPS domain", cfg.BaseURL.String() == "https://"+fleetSamples["DomainName"]},
		{"JSON logs", cfg.LogFormat == "json"},
	}
	if role == "migrate" {
		return append(checks,
			envCheck{"crumb migrate logs in with the master secret", cfg.DBSecretID == master},
			envCheck{"crumb migrate provisions the app user from its secret", env["CRUMB_DB_APP_SECRET_ID"] == appUser},
			envCheck{"crumb migrate creates the first admin from AdminEmail and its generated secret",
				cfg.AdminEmail == fleetSamples["AdminEmail"] && cfg.AdminSecretID == fleetSamples["AdminPasswordSecretArn"]},
			envCheck{"no shared Redis on the migrate instance", cfg.RedisURL == ""})
	}
	vpc := netip.MustParsePrefix(fleetSamples["VpcCidr"])
	return append(checks,
		envCheck{"Redis over TLS", strings.HasPrefix(cfg.RedisURL, "rediss://"+fleetSamples["CacheEndpointAddress"])},
		envCheck{"Redis AUTH token from its secret", cfg.RedisSecretID == fleetSamples["CacheAuthSecretArn"]},
		envCheck{"reports in the stack's bucket", cfg.S3Bucket == fleetSamples["ReportsBucketName"] && cfg.S3Prefix == "reports/"},
		envCheck{"mail through SES", cfg.MailDriver == "ses"},
		envCheck{"metrics to CloudWatch", cfg.CloudWatch},
		envCheck{"alarm topic", cfg.SNSTopicARN == fleetSamples["AlertTopicArn"]},
		envCheck{"pause alarms", slices.Equal(cfg.AlarmPauseReports, strings.Split(fleetSamples["AlarmPauseReports"], ","))},
		envCheck{"trusts the VPC (the load balancer)", slices.Contains(cfg.TrustedProxies, vpc)},
		envCheck{"metrics and health on loopback only", cfg.MetricsAddr == "127.0.0.1:9090"},
		envCheck{"MySQL credentials of the app user, not the master", cfg.DBSecretID == appUser},
		envCheck{"no CRUMB_DB_APP_SECRET_ID outside crumb migrate", env["CRUMB_DB_APP_SECRET_ID"] == ""},
		envCheck{"no first admin outside crumb migrate", cfg.AdminEmail == "" && cfg.AdminSecretID == ""},
		envCheck{"drain within the unit's TimeoutStopSec", cfg.ShutdownTimeout < stopTimeout(t, unit)})
}

// agentConfig captures the CloudWatch agent configuration the user data writes.
var agentConfig = regexp.MustCompile(`(?ms)^cat > /opt/aws/amazon-cloudwatch-agent/etc/crumb\.json <<'CONF'\n(.*?)\nCONF\n`)

// TestUserDataScript: the rendered script is valid bash, starts units that
// exist in systemd/ and read the env files it writes, downloads the release,
// signals the group that waits for it, waits for the process to answer
// before signalling, and ships the app's log to its role's log group.
func TestUserDataScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	units := regexp.MustCompile(`crumb-[a-z]+\.service`)
	for _, role := range []string{"serve", "worker", "migrate"} {
		t.Run(role, func(t *testing.T) {
			script := renderUserData(t, role)
			path := filepath.Join(t.TempDir(), "user-data.sh")
			if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bash, "-n", path).CombinedOutput(); err != nil {
				t.Fatalf("bash -n: %v\n%s", err, out)
			}
			if !strings.Contains(script, roleUnits[role][0]) {
				t.Errorf("user data does not start %s", roleUnits[role][0])
			}
			if role != "migrate" && strings.Contains(script, "crumb-migrate.service") {
				t.Errorf("a %s instance runs crumb migrate (only the migrate instance may read the master secret)", role)
			}
			files := writtenEnvFiles(t, script)
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
			tpl := templateByName(t, loadTemplates(t), roleTemplate[role])
			signalled := regexp.MustCompile(`cfn-signal .*\n?.*--resource (\w+)`).FindStringSubmatch(script)
			if signalled == nil || dig(tpl.section("Resources"), signalled[1], "CreationPolicy", "ResourceSignal") == nil {
				t.Errorf("cfn-signal does not name the group that waits for signals: %v", signalled)
			}
			if !strings.Contains(script, fmt.Sprintf("'s3://%s/%s'", fleetSamples["ReleaseBucket"], fleetSamples["ReleaseKey"])) {
				t.Error("user data does not download the release from ReleaseBucket/ReleaseKey")
			}
			if role == "worker" && !strings.Contains(script, "http://127.0.0.1:9090/readyz") {
				t.Error("a worker signals without asking its /readyz (metrics listener)")
			}
			checkLogShipping(t, tpl, role, script)
		})
	}
}

// checkLogShipping: the user data routes the crumb units' journal into the
// file the CloudWatch agent ships, and the agent writes to the role's log
// group, which the template creates with a retention.
func checkLogShipping(t *testing.T, tpl *cfnTemplate, role, script string) {
	t.Helper()
	m := agentConfig.FindStringSubmatch(script)
	if m == nil {
		t.Fatal("user data writes no CloudWatch agent configuration")
	}
	var cfg struct {
		Logs struct {
			LogsCollected struct {
				Files struct {
					CollectList []struct {
						FilePath     string `json:"file_path"`
						LogGroupName string `json:"log_group_name"`
					} `json:"collect_list"`
				} `json:"files"`
			} `json:"logs_collected"`
		} `json:"logs"`
	}
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("CloudWatch agent configuration: %v", err)
	}
	group := "/" + fleetSamples["ProjectName"] + "/" + fleetSamples["Environment"] + "/" + role
	files := map[string]bool{}
	for _, c := range cfg.Logs.LogsCollected.Files.CollectList {
		files[c.FilePath] = true
		if c.LogGroupName != group {
			t.Errorf("the agent ships %s to %s, want %s", c.FilePath, c.LogGroupName, group)
		}
	}
	if !files["/var/log/crumb/crumb.log"] || !files["/var/log/cloud-init-output.log"] {
		t.Errorf("the agent ships %v, want the app's log and the boot log", files)
	}
	if !strings.Contains(script, `if $programname == 'crumb' then`) || !strings.Contains(script, "/var/log/crumb/crumb.log") {
		t.Error("rsyslog does not write the crumb units' journal to /var/log/crumb/crumb.log")
	}
	if !strings.Contains(script, "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s") {
		t.Error("the CloudWatch agent is not started with the configuration")
	}
	lg := tpl.resourcesOfType("AWS::Logs::LogGroup")
	if len(lg) != 1 {
		t.Fatalf("%s has %d log groups, want 1", tpl.name, len(lg))
	}
	name := strings.NewReplacer("${ProjectName}", fleetSamples["ProjectName"], "${Environment}", fleetSamples["Environment"], "${Role}", role).
		Replace(fmt.Sprint(dig(lg[0].props, "LogGroupName", "Fn::Sub")))
	if name != group || dig(lg[0].props, "RetentionInDays") == nil {
		t.Errorf("log group %s (retention %v), want %s with a retention", name, dig(lg[0].props, "RetentionInDays"), group)
	}
}
