package deploy

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/ops"
)

// TestAlarms: each alarm the deployment needs exists in its template, on
// its metric and statistic, notifies the topic when it fires and clears,
// and treats missing data as asked: breaching where silence means the thing
// measured is gone (queue latency, MySQL, Redis), not where it means no
// traffic (load balancer).
func TestAlarms(t *testing.T) {
	tpls := loadTemplates(t)
	tests := []struct {
		desc, template, namespace, metric, stat, missing string
	}{
		{"load balancer: targets answer 5xx", "edge.yaml", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", "notBreaching"},
		{"load balancer: its own 5xx", "edge.yaml", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", "notBreaching"},
		{"load balancer: unhealthy serve targets", "edge.yaml", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", "notBreaching"},
		{"load balancer: p99 target response time", "edge.yaml", "AWS/ApplicationELB", "TargetResponseTime", "p99", "notBreaching"},
		{"Redis memory", "data.yaml", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Maximum", "breaching"},
		{"Redis engine CPU", "data.yaml", "AWS/ElastiCache", "EngineCPUUtilization", "Average", "breaching"},
		{"MySQL connections", "data.yaml", "AWS/RDS", "DatabaseConnections", "Maximum", "breaching"},
		{"MySQL freeable memory", "data.yaml", "AWS/RDS", "FreeableMemory", "Minimum", "breaching"},
		{"MySQL CPU", "data.yaml", "AWS/RDS", "CPUUtilization", "Average", "missing"},
		{"queue latency", "fleet.yaml", "map[Ref:MetricNamespace]", "QueueLatencySeconds", "Maximum", "breaching"},
		{"sockets per serve instance", "fleet.yaml", "map[Ref:MetricNamespace]", "ConnectedSockets", "Maximum", "notBreaching"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var found []cfnResource
			for _, a := range templateByName(t, tpls, tc.template).resourcesOfType("AWS::CloudWatch::Alarm") {
				if fmt.Sprint(a.props["Namespace"]) == tc.namespace && a.props["MetricName"] == tc.metric {
					found = append(found, a)
				}
			}
			if len(found) != 1 {
				t.Fatalf("%d alarms on %s/%s in %s, want 1", len(found), tc.namespace, tc.metric, tc.template)
			}
			a := found[0]
			stat := fmt.Sprint(a.props["Statistic"])
			if a.props["ExtendedStatistic"] != nil {
				stat = fmt.Sprint(a.props["ExtendedStatistic"])
			}
			if stat != tc.stat {
				t.Errorf("%s: statistic %s, want %s", a.name, stat, tc.stat)
			}
			if got := a.props["TreatMissingData"]; got != tc.missing {
				t.Errorf("%s: TreatMissingData %v, want %s", a.name, got, tc.missing)
			}
			for _, k := range []string{"AlarmActions", "OKActions"} {
				if fmt.Sprint(a.props[k]) != "[map[Ref:AlertTopicArn]]" {
					t.Errorf("%s: %s = %v, want the alert topic", a.name, k, a.props[k])
				}
			}
			if a.props["Dimensions"] == nil {
				t.Errorf("%s: no dimensions (would watch nothing)", a.name)
			}
		})
	}
	root := templateByName(t, tpls, rootTemplate)
	if got := fmt.Sprint(dig(root.section("Resources"), "Edge", "Properties", "Parameters", "AlertTopicArn")); got != "map[Fn::GetAtt:[Alerts Outputs.AlertTopicArn]]" {
		t.Errorf("the root gives edge.yaml AlertTopicArn = %s", got)
	}
}

// TestDashboard: the root stack's dashboard body is valid JSON once
// CloudFormation substitutes it, and graphs the signals the alarms watch.
func TestDashboard(t *testing.T) {
	root := templateByName(t, loadTemplates(t), rootTemplate)
	ds := root.resourcesOfType("AWS::CloudWatch::Dashboard")
	if len(ds) != 1 {
		t.Fatalf("%d dashboards in the root stack, want 1", len(ds))
	}
	sub := asList(dig(ds[0].props, "DashboardBody", "Fn::Sub"))
	if len(sub) != 2 {
		t.Fatal("DashboardBody is not !Sub [body, variables]")
	}
	body := subVar.ReplaceAllString(fmt.Sprint(sub[0]), "sample")
	var dash struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Title   string
				Metrics [][]any
				Query   string
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &dash); err != nil {
		t.Fatalf("dashboard body: %v", err)
	}
	var metrics []string
	var logQuery bool
	for _, w := range dash.Widgets {
		for _, m := range w.Properties.Metrics {
			for _, part := range m {
				if s, ok := part.(string); ok && s != "." && s != "..." {
					metrics = append(metrics, s)
				}
			}
		}
		logQuery = logQuery || (w.Type == "log" && strings.Contains(w.Properties.Query, "/serve"))
	}
	for _, want := range []string{"RequestCount", "HTTPCode_Target_5XX_Count", "TargetResponseTime", "UnHealthyHostCount",
		"ConnectedSockets", "QueueLatencySeconds", "GroupInServiceInstances", "DatabaseConnections", "FreeableMemory",
		"DatabaseMemoryUsagePercentage", "EngineCPUUtilization"} {
		if !slices.Contains(metrics, want) {
			t.Errorf("the dashboard does not graph %s", want)
		}
	}
	if !logQuery {
		t.Error("the dashboard has no log widget over the app's log groups")
	}
}

// TestAccessLogs: the load balancer writes access logs to its own bucket,
// whose policy lets Elastic Load Balancing's log delivery write there (the
// service principal, and the regional ELB account where one exists), and
// the load balancer waits for that policy.
func TestAccessLogs(t *testing.T) {
	edge := templateByName(t, loadTemplates(t), "edge.yaml")
	lb := edge.resourcesOfType("AWS::ElasticLoadBalancingV2::LoadBalancer")[0]
	attrs := lb.props["LoadBalancerAttributes"]
	if err := wantKV(attrs, "access_logs.s3.enabled", "true"); err != nil {
		t.Error(err)
	}
	if err := wantKV(attrs, "access_logs.s3.bucket", "map[Ref:AccessLogBucket]"); err != nil {
		t.Error(err)
	}
	if err := wantKV(attrs, "access_logs.s3.prefix", "alb"); err != nil {
		t.Error(err)
	}
	if dig(lb.raw, "DependsOn") != "AccessLogBucketPolicy" {
		t.Error("the load balancer does not wait for the bucket policy (it checks that it may write)")
	}
	policy := dig(edge.section("Resources"), "AccessLogBucketPolicy", "Properties")
	if dig(policy, "Bucket", "Ref") != "AccessLogBucket" {
		t.Fatal("AccessLogBucketPolicy is not on AccessLogBucket")
	}
	var service, account bool
	for _, st := range asList(dig(policy, "PolicyDocument", "Statement")) {
		for _, b := range branches(st) {
			if dig(b, "Effect") != "Allow" {
				continue
			}
			res := fmt.Sprint(dig(b, "Resource", "Fn::Sub"))
			if dig(b, "Action") != "s3:PutObject" || res != "${AccessLogBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*" {
				t.Errorf("log delivery statement %v: want s3:PutObject on the alb/ prefix of this account", b)
			}
			service = service || dig(b, "Principal", "Service") == "logdelivery.elasticloadbalancing.amazonaws.com"
			account = account || dig(b, "Principal", "AWS") != nil
		}
	}
	if !service || !account {
		t.Errorf("bucket policy: log-delivery service principal %v, regional ELB account %v; want both", service, account)
	}
}

// TestDrainBeforeDeregistration: crumb serve drains on the first of its
// target lifecycle state turning Terminated (polled, internal/app
// TestServeDrainsWhenTerminationStarts), the termination hook, and SIGTERM
// (TestServeDrainsOnShutdown). The load balancer keeps a deregistering
// target's connections for the deregistration delay and cuts them after
// it, so the delay must outlast a poll interval plus the drain: then the
// sockets are closed by the app, with 1012, whatever the order.
func TestDrainBeforeDeregistration(t *testing.T) {
	tg := templateByName(t, loadTemplates(t), "edge.yaml").resourcesOfType("AWS::ElasticLoadBalancingV2::TargetGroup")[0]
	var delay time.Duration
	for _, kv := range asList(tg.props["TargetGroupAttributes"]) {
		if dig(kv, "Key") == "deregistration_delay.timeout_seconds" {
			n, _ := toInt(dig(kv, "Value"))
			delay = time.Duration(n) * time.Second
		}
	}
	files := writtenEnvFiles(t, renderUserData(t, "serve"))
	env := unitEnv(t, "crumb-serve.service", files)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if delay <= ops.DefaultTargetInterval+cfg.ShutdownTimeout {
		t.Errorf("deregistration delay %s does not outlast a target-state poll (%s) plus the drain (CRUMB_SHUTDOWN_TIMEOUT %s)",
			delay, ops.DefaultTargetInterval, cfg.ShutdownTimeout)
	}
	if stop := stopTimeout(t, "crumb-serve.service"); stop <= cfg.ShutdownTimeout {
		t.Errorf("systemd kills crumb serve after %s, before its %s drain ends", stop, cfg.ShutdownTimeout)
	}
}

// TestCrashLoopMarksUnhealthy: crumb-serve and crumb-worker restart on
// failure, but a crash loop (StartLimitBurst failures within
// StartLimitIntervalSec) makes the unit fail, which starts
// crumb-unhealthy.service; the instance role may call SetInstanceHealth on
// the stack's groups. So a crash-looping worker leaves service although its
// group uses EC2 health checks.
func TestCrashLoopMarksUnhealthy(t *testing.T) {
	for _, name := range []string{"crumb-serve.service", "crumb-worker.service"} {
		t.Run(name, func(t *testing.T) {
			u := readUnit(t, filepath.Join(unitDir, name))
			if got := u.last("Unit", "OnFailure"); got != "crumb-unhealthy.service" {
				t.Errorf("OnFailure=%q, want crumb-unhealthy.service", got)
			}
			burst, ok := toInt(u.last("Unit", "StartLimitBurst"))
			interval, ok2 := parseSystemdSeconds(u.last("Unit", "StartLimitIntervalSec"))
			restart, ok3 := parseSystemdSeconds(u.last("Service", "RestartSec"))
			if !ok || !ok2 || !ok3 || burst < 2 {
				t.Fatalf("StartLimitBurst=%v StartLimitIntervalSec=%v RestartSec=%v: want a burst of 2+ within an interval",
					u.last("Unit", "StartLimitBurst"), u.last("Unit", "StartLimitIntervalSec"), u.last("Service", "RestartSec"))
			}
			// Restarts come RestartSec apart: the limit must be reachable.
			if time.Duration(burst)*restart >= interval {
				t.Errorf("%d restarts %s apart never fit in %s: the unit would never give up", burst, restart, interval)
			}
			if u.last("Service", "Restart") != "on-failure" {
				t.Error("Restart=on-failure missing")
			}
		})
	}
	u := readUnit(t, filepath.Join(unitDir, "crumb-unhealthy.service"))
	if got := u.last("Service", "ExecStart"); got != "/usr/local/bin/crumb unhealthy" {
		t.Errorf("crumb-unhealthy.service ExecStart=%q", got)
	}
	iam := templateByName(t, loadTemplates(t), "iam.yaml")
	var allowed bool
	for _, st := range asList(dig(iam.section("Resources"), "FleetPolicy", "Properties", "PolicyDocument", "Statement")) {
		if slices.Contains(asList(dig(st, "Action")), any("autoscaling:SetInstanceHealth")) {
			res := fmt.Sprint(dig(st, "Resource"))
			allowed = strings.Contains(res, "${ServeGroupName}") && strings.Contains(res, "${WorkerGroupName}") && !strings.Contains(res, "*:autoScalingGroupName/*")
		}
	}
	if !allowed {
		t.Error("the fleets' policy does not allow autoscaling:SetInstanceHealth on exactly the serve and worker groups")
	}
}

// TestMigrateInstance: crumb migrate runs on its own instance in the
// private subnets, with no inbound rule, once per release (the release is
// in its user data, so a new one replaces the instance), before the fleets
// change; the serve and worker instances run no migration.
func TestMigrateInstance(t *testing.T) {
	tpls := loadTemplates(t)
	root := templateByName(t, tpls, rootTemplate).section("Resources")
	params := dig(root, "MigrateFleet", "Properties", "Parameters")
	if dig(root, "MigrateFleet", "Properties", "TemplateURL") != "migrate.yaml" {
		t.Fatal("no MigrateFleet stack of migrate.yaml")
	}
	for k, want := range map[string]string{
		"SubnetIds":       "map[Fn::GetAtt:[Network Outputs.PrivateSubnetIds]]",
		"SecurityGroupId": "map[Fn::GetAtt:[Network Outputs.MigrateSecurityGroupId]]",
		"ReleaseKey":      "map[Ref:ReleaseKey]",
		"AdminEmail":      "map[Ref:AdminEmail]",
	} {
		if got := fmt.Sprint(dig(params, k)); got != want {
			t.Errorf("MigrateFleet %s = %s, want %s", k, got, want)
		}
	}
	for _, fleet := range []string{"ServeFleet", "WorkerFleet"} {
		if dep := dig(root, fleet, "DependsOn"); dep != "MigrateFleet" {
			t.Errorf("%s DependsOn %v, want MigrateFleet (migrate before new code starts)", fleet, dep)
		}
	}
	network := templateByName(t, tpls, "network.yaml")
	if sg := dig(network.section("Resources"), "MigrateSecurityGroup", "Properties"); sg == nil || dig(sg, "SecurityGroupIngress") != nil {
		t.Error("MigrateSecurityGroup missing or open inbound")
	}
	for _, r := range network.resourcesOfType("AWS::EC2::SecurityGroupIngress") {
		if dig(r.props, "GroupId", "Ref") == "MigrateSecurityGroup" {
			t.Errorf("%s opens the migrate instance to inbound traffic", r.name)
		}
	}
	migrate := templateByName(t, tpls, "migrate.yaml")
	group := migrate.resourcesOfType("AWS::AutoScaling::AutoScalingGroup")[0]
	if fmt.Sprintf("%v %v", group.props["MinSize"], group.props["MaxSize"]) != "1 1" || group.props["TargetGroupARNs"] != nil {
		t.Errorf("migrate group: size %v..%v, target groups %v; want exactly one instance and no load balancer",
			group.props["MinSize"], group.props["MaxSize"], group.props["TargetGroupARNs"])
	}
	if dig(group.raw, "UpdatePolicy", "AutoScalingRollingUpdate", "WaitOnResourceSignals") != true {
		t.Error("a release's migration is not waited for (WaitOnResourceSignals)")
	}
	if !strings.Contains(renderUserData(t, "migrate"), "systemctl start crumb-migrate.service\nsignal 0") {
		t.Error("the migrate instance does not signal right after crumb migrate succeeded")
	}
}

// TestAppSecretRotation: the app user's secret is rotated on a schedule by
// Secrets Manager's hosted single-user MySQL function in the private
// subnets (which needs the secret's host: the target attachment), not at
// creation (crumb migrate makes the user later); the first admin's password
// is generated and output.
func TestAppSecretRotation(t *testing.T) {
	data := templateByName(t, loadTemplates(t), "data.yaml")
	if data.doc["Transform"] != "AWS::SecretsManager-2020-07-23" {
		t.Errorf("Transform = %v, want AWS::SecretsManager-2020-07-23 (hosted rotation)", data.doc["Transform"])
	}
	rs := data.resourcesOfType("AWS::SecretsManager::RotationSchedule")
	if len(rs) != 1 || dig(rs[0].props, "SecretId", "Ref") != "AppDbSecret" {
		t.Fatalf("want one rotation schedule, of AppDbSecret: %v", rs)
	}
	p := rs[0].props
	if dig(p, "HostedRotationLambda", "RotationType") != "MySQLSingleUser" {
		t.Errorf("RotationType = %v", dig(p, "HostedRotationLambda", "RotationType"))
	}
	if dig(p, "HostedRotationLambda", "VpcSubnetIds") == nil || dig(p, "HostedRotationLambda", "VpcSecurityGroupIds", "Ref") != "MigrateSecurityGroupId" {
		t.Error("the rotation function does not run in the private subnets with the group MySQL admits")
	}
	if dig(p, "RotateImmediatelyOnUpdate") != false {
		t.Error("the first rotation would run before crumb migrate has made the user")
	}
	if dig(p, "RotationRules", "ScheduleExpression") == nil {
		t.Error("no rotation schedule")
	}
	att := data.resourcesOfType("AWS::SecretsManager::SecretTargetAttachment")
	if len(att) != 1 || dig(att[0].props, "SecretId", "Ref") != "AppDbSecret" || dig(att[0].props, "TargetId", "Ref") != "Database" {
		t.Error("AppDbSecret is not attached to the database (the rotation function needs its host)")
	}
	admin := dig(data.section("Resources"), "AdminPasswordSecret", "Properties", "GenerateSecretString")
	if n, _ := toInt(dig(admin, "PasswordLength")); n < 16 {
		t.Errorf("the first admin's password: GenerateSecretString %v, want 16+ characters", admin)
	}
	if dig(data.section("Outputs"), "AdminPasswordSecretArn", "Value", "Ref") != "AdminPasswordSecret" {
		t.Error("no AdminPasswordSecretArn output")
	}
}
