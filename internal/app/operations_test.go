package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/ops"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// motoEnv points the app at the AWS emulator: the settings a node or a
// command needs, and the default credential chain's variables.
func motoEnv(t *testing.T) map[string]string {
	t.Helper()
	endpoint := testutil.AWSEndpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return map[string]string{"CRUMB_AWS_REGION": "us-east-1", "CRUMB_AWS_ENDPOINT_URL": endpoint}
}

// motoSecret creates a secret in the emulator and returns its name and a
// function that stores a new current value, as a rotation does.
func motoSecret(t *testing.T, value string) (string, func(string)) {
	t.Helper()
	sm := secretsmanager.NewFromConfig(testutil.AWSConfig(t))
	name := testutil.UniqueName("crumb/app-test")
	ctx := context.Background()
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
	return name, func(v string) {
		t.Helper()
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
}

func runCmd(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := Run(context.Background(), args, &out, &out, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("crumb %s: %v (said %q)", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestServeDrainsOnShutdown: when crumb serve's context ends (SIGTERM), it
// drains by itself, without the Auto Scaling hook: each socket gets a
// reconnect frame, then the close code clients reconnect on (1012).
func TestServeDrainsOnShutdown(t *testing.T) {
	// A drain that outlasts the shutdown timeout cuts the sockets; give a
	// busy test machine room.
	n := startNode(t, nodeOpts{Env: map[string]string{"CRUMB_SHUTDOWN_TIMEOUT": "20s"}})
	f := n.fixture()
	c := n.dial(f.Employee, "")
	c.until("ready", nil)
	stopped := make(chan struct{})
	go func() { defer close(stopped); n.stop() }()
	if fr := c.awaitReconnect(t, 20*time.Second); fr.AfterMS <= 0 {
		t.Errorf("reconnect after_ms = %d", fr.AfterMS)
	}
	if st := c.closeStatus(20 * time.Second); st != websocket.StatusServiceRestart {
		t.Errorf("close status = %v, want 1012 (service restart)", st)
	}
	<-stopped
}

// awaitReconnect reads frames until the reconnect frame, for at most d (the
// machine may be busy: the drain runs while the node shuts down).
func (c *client) awaitReconnect(t *testing.T, d time.Duration) frame {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		fr, err := c.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("no reconnect frame: %v", err)
		}
		if fr.Type == "reconnect" {
			return fr
		}
	}
}

// TestServeDrainsWhenTerminationStarts: on EC2, a serving node reads its
// Auto Scaling target lifecycle state from the instance metadata; when it
// turns "Terminated" (the termination has started: the load balancer is
// deregistering the instance) the node drains its sockets at once, before
// either the termination hook's notice or SIGTERM has arrived.
func TestServeDrainsWhenTerminationStarts(t *testing.T) {
	env := motoEnv(t)
	var state atomic.Value
	state.Store("InService")
	md := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			io.WriteString(w, "test-token")
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "test-token":
			http.Error(w, "no token", http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/instance-id":
			io.WriteString(w, "i-0123456789abcdef0")
		case r.URL.Path == "/latest/meta-data/autoscaling/target-lifecycle-state":
			io.WriteString(w, state.Load().(string))
		default:
			http.NotFound(w, r)
		}
	}))
	defer md.Close()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", md.URL)
	env["CRUMB_SNS_TOPIC_ARN"] = "arn:aws:sns:us-east-1:123456789012:crumb-test"
	env["CRUMB_SHUTDOWN_TIMEOUT"] = "20s"
	n := startNode(t, nodeOpts{Env: env})
	f := n.fixture()
	c := n.dial(f.Employee, "")
	c.until("ready", nil)

	state.Store("Terminated")
	c.awaitReconnect(t, 4*ops.DefaultTargetInterval)
	if st := c.closeStatus(20 * time.Second); st != websocket.StatusServiceRestart {
		t.Errorf("close status = %v, want 1012", st)
	}
}

// TestMigrateCreatesFirstAdmin: crumb migrate with CRUMB_ADMIN_EMAIL and
// the password in Secrets Manager (as the stack generates it) creates the
// first admin, who can then sign in to crumb serve; later runs leave that
// admin alone, also when the secret changes.
func TestMigrateCreatesFirstAdmin(t *testing.T) {
	aws := motoEnv(t)
	for _, dialect := range testutil.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			const email, password = "owner@example.test", "generated-Pass-7f2c91"
			secret, put := motoSecret(t, password)
			env := map[string]string{"CRUMB_DATABASE_URL": testutil.NewDBURL(t, dialect), "CRUMB_DATA_DIR": t.TempDir(),
				"CRUMB_LOG_LEVEL": "error", "CRUMB_ADMIN_EMAIL": email, "CRUMB_ADMIN_PASSWORD_SECRET_ID": secret}
			for k, v := range aws {
				env[k] = v
			}
			runCmd(t, env, "migrate")
			put("another-Pass-0a9b8c")
			runCmd(t, env, "migrate")

			n := startNode(t, nodeOpts{DatabaseURL: env["CRUMB_DATABASE_URL"], DataDir: env["CRUMB_DATA_DIR"]})
			var admins int
			if err := n.App.DB.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM users WHERE role = 'admin'").Scan(&admins); err != nil {
				t.Fatal(err)
			}
			if admins != 1 {
				t.Fatalf("%d admins, want the one crumb migrate made", admins)
			}
			token := n.login(email, password)
			var me struct{ Role string }
			if code := n.do("GET", "/api/v1/me", token, nil, &me); code != 200 || me.Role != "admin" {
				t.Fatalf("GET /me as the first admin: %d %+v", code, me)
			}
		})
	}
}

// TestAppUserPasswordRotation: the app's MySQL user changes its own
// password (as Secrets Manager's single-user rotation function does) and the
// secret gets the new value; once its connections are gone, the running
// app's next query logs in with the new password, without a restart.
func TestAppUserPasswordRotation(t *testing.T) {
	ctx := context.Background()
	aws := motoEnv(t)
	dbURL := testutil.NewDBURL(t, db.MySQL)
	user := testutil.MySQLUser(t)
	const oldPass, newPass = "app-Pass-one-5e1d", "app-Pass-two-93ac"
	secret, put := motoSecret(t, `{"username":"`+user+`","password":"`+oldPass+`","engine":"mysql"}`)
	env := map[string]string{"CRUMB_DATABASE_URL": dbURL, "CRUMB_DATA_DIR": t.TempDir(), "CRUMB_LOG_LEVEL": "error",
		"CRUMB_DB_APP_SECRET_ID": secret}
	for k, v := range aws {
		env[k] = v
	}
	runCmd(t, env, "migrate")

	nodeEnv := map[string]string{"CRUMB_DB_SECRET_ID": secret}
	for k, v := range aws {
		nodeEnv[k] = v
	}
	n := startNode(t, nodeOpts{DatabaseURL: dbURL, Env: nodeEnv})
	admin := n.login(testAdminEmail, testAdminPassword)

	// The rotation function: log in as the user, change its own password,
	// then make the new value current.
	self, err := db.Open(ctx, testutil.WithUser(t, dbURL, user, oldPass), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// MySQL 8 lets an account change its own password with ALTER USER;
	// MariaDB only with SET PASSWORD.
	_, err = self.ExecContext(ctx, "ALTER USER CURRENT_USER() IDENTIFIED BY ?", newPass)
	if db.IsDenied(err) {
		_, err = self.ExecContext(ctx, "SET PASSWORD = PASSWORD(?)", newPass)
	}
	if err != nil {
		t.Fatalf("change own password: %v", err)
	}
	self.Close()
	put(`{"username":"` + user + `","password":"` + newPass + `","engine":"mysql"}`)

	// Open connections keep working after a password change; end them, as
	// their maximum lifetime or a MySQL restart would. An account may kill
	// its own connections; this one logs in with the new password.
	killer, err := db.Open(ctx, testutil.WithUser(t, dbURL, user, newPass), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close()
	conn, err := killer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()", user)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		t.Fatal("the app holds no connection as its user")
	}
	for _, id := range ids {
		if _, err := conn.ExecContext(ctx, "KILL ?", id); err != nil {
			t.Logf("kill %d: %v", id, err) // it may have closed already
		}
	}

	var current string
	if err := n.App.DB.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&current); err != nil {
		t.Fatalf("the app's next query after the rotation: %v", err)
	}
	if !strings.HasPrefix(current, user+"@") {
		t.Fatalf("the app connects as %s, want %s", current, user)
	}
	var dept struct{ ID int64 }
	if code := n.do("POST", "/api/v1/departments", admin, map[string]any{"name": "Rotated"}, &dept); code != 201 {
		t.Fatalf("create a department after the rotation: %d", code)
	}
	// The old password no longer opens a connection: the app really logs in with the new one.
	stale, err := db.Open(ctx, testutil.WithUser(t, dbURL, user, oldPass), db.Options{})
	if err == nil {
		err = stale.PingContext(ctx)
		stale.Close()
	}
	if !db.IsAuthFailure(err) {
		t.Fatalf("the old password still works (or another error): %v", err)
	}
}

// TestUnhealthyMarksInstance: "crumb unhealthy" (crumb-unhealthy.service,
// after crumb-worker gave up restarting) marks this instance Unhealthy in
// its Auto Scaling group, on the emulator; off EC2 it does nothing.
func TestUnhealthyMarksInstance(t *testing.T) {
	ctx := context.Background()
	env := motoEnv(t)
	cfg := testutil.AWSConfig(t)
	as := autoscaling.NewFromConfig(cfg)
	group := testutil.UniqueName("crumb-worker")
	if _, err := as.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{LaunchConfigurationName: aws.String(group),
		ImageId: aws.String("ami-12c6146b"), InstanceType: aws.String("t4g.small")}); err != nil {
		t.Fatal(err)
	}
	if _, err := as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(1), AvailabilityZones: []string{"us-east-1a"}, HealthCheckGracePeriod: aws.Int32(300),
		LaunchConfigurationName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	health := func() (string, string) {
		out, err := as.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil || len(out.AutoScalingGroups) != 1 || len(out.AutoScalingGroups[0].Instances) != 1 {
			t.Fatalf("describe group: %v %+v", err, out)
		}
		in := out.AutoScalingGroups[0].Instances[0]
		return aws.ToString(in.InstanceId), aws.ToString(in.HealthStatus)
	}
	id, status := health()
	if status != "Healthy" {
		t.Fatalf("a new instance is %s", status)
	}
	env["CRUMB_INSTANCE_ID"] = id
	if out := runCmd(t, env, "unhealthy"); !strings.Contains(out, id+" marked unhealthy") {
		t.Errorf("crumb unhealthy said %q", out)
	}
	if _, status := health(); status != "Unhealthy" {
		t.Errorf("after crumb unhealthy the instance is %s, want Unhealthy", status)
	}

	delete(env, "CRUMB_INSTANCE_ID") // and no instance metadata: not on EC2
	if out := runCmd(t, env, "unhealthy"); !strings.Contains(out, "not on EC2") {
		t.Errorf("off EC2 crumb unhealthy said %q", out)
	}
}

// TestMetricsListenerHealth: the metrics listener (the only HTTP a "crumb
// worker" serves) answers /healthz while the process runs and /readyz only
// while MySQL and Redis answer.
func TestMetricsListenerHealth(t *testing.T) {
	cfg := nodeConfig(t, nodeOpts{})
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.metricsHandler())
	defer srv.Close()
	get := func(path string) int {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		if got := get(path); got != want {
			t.Errorf("GET %s = %d, want %d", path, got, want)
		}
	}
	a.Close() // the database and Redis are gone
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the database closed = %d, want 503", got)
	}
	if got := get("/healthz"); got != 200 {
		t.Errorf("GET /healthz = %d, want 200 (the process runs)", got)
	}
}
