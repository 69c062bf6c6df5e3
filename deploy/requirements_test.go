package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/app"
)

// TestIssueRequirements pins the deployment's required settings, so that
// an edit which drops one fails here rather than in production.
func TestIssueRequirements(t *testing.T) {
	tpls := loadTemplates(t)
	get := func(name string) *cfnTemplate { return templateByName(t, tpls, name) }
	one := func(tpl *cfnTemplate, typ string) cfnResource {
		rs := tpl.resourcesOfType(typ)
		if len(rs) == 0 {
			t.Fatalf("%s has no %s", tpl.name, typ)
		}
		return rs[0]
	}
	tests := []struct {
		desc string
		ok   func() error
	}{
		{"ALB idle timeout fits WebSockets (3600 s)", func() error {
			return wantKV(one(get("edge.yaml"), "AWS::ElasticLoadBalancingV2::LoadBalancer").props["LoadBalancerAttributes"],
				"idle_timeout.timeout_seconds", "3600")
		}},
		{"the app keeps idle connections open longer than the ALB (else sporadic 502s)", func() error {
			if app.KeepAliveTimeout <= 3600*time.Second {
				return fmt.Errorf("app.KeepAliveTimeout %s is not longer than the ALB's 3600 s", app.KeepAliveTimeout)
			}
			return nil
		}},
		{"HTTP listener redirects to HTTPS with 301", func() error {
			for _, l := range get("edge.yaml").resourcesOfType("AWS::ElasticLoadBalancingV2::Listener") {
				if fmt.Sprint(l.props["Port"]) != "80" {
					continue
				}
				action := asList(l.props["DefaultActions"])[0]
				if dig(action, "Type") == "redirect" && dig(action, "RedirectConfig", "Protocol") == "HTTPS" &&
					dig(action, "RedirectConfig", "StatusCode") == "HTTP_301" {
					return nil
				}
			}
			return fmt.Errorf("no port-80 listener redirecting to HTTPS")
		}},
		{"HTTPS listener uses the CertificateArn parameter", func() error {
			for _, l := range get("edge.yaml").resourcesOfType("AWS::ElasticLoadBalancingV2::Listener") {
				certs := asList(l.props["Certificates"])
				if l.props["Protocol"] == "HTTPS" && len(certs) == 1 && dig(certs[0], "CertificateArn", "Ref") == "CertificateArn" {
					return nil
				}
			}
			return fmt.Errorf("no HTTPS listener with !Ref CertificateArn")
		}},
		{"target group checks /healthz (not /readyz: a failover must not fail every instance), no stickiness", func() error {
			tg := one(get("edge.yaml"), "AWS::ElasticLoadBalancingV2::TargetGroup")
			if tg.props["HealthCheckPath"] != "/healthz" {
				return fmt.Errorf("HealthCheckPath = %v", tg.props["HealthCheckPath"])
			}
			return wantKV(tg.props["TargetGroupAttributes"], "stickiness.enabled", "false")
		}},
		{"Redis parameter group noeviction, used by the replication group", func() error {
			data := get("data.yaml")
			pg := one(data, "AWS::ElastiCache::ParameterGroup")
			if dig(pg.props, "Properties", "maxmemory-policy") != "noeviction" {
				return fmt.Errorf("maxmemory-policy is not noeviction")
			}
			if dig(one(data, "AWS::ElastiCache::ReplicationGroup").props, "CacheParameterGroupName", "Ref") != pg.name {
				return fmt.Errorf("replication group does not use %s", pg.name)
			}
			return nil
		}},
		{"RDS MySQL 8 in the private subnet group with backups", func() error {
			db := one(get("data.yaml"), "AWS::RDS::DBInstance")
			if db.props["Engine"] != "mysql" || !strings.HasPrefix(fmt.Sprint(db.props["EngineVersion"]), "8.") {
				return fmt.Errorf("engine %v %v", db.props["Engine"], db.props["EngineVersion"])
			}
			if dig(db.props, "DBSubnetGroupName", "Ref") == nil || db.props["BackupRetentionPeriod"] == nil {
				return fmt.Errorf("no subnet group or no BackupRetentionPeriod")
			}
			return nil
		}},
		{"reports expire", func() error {
			rules := asList(dig(one(get("data.yaml"), "AWS::S3::Bucket").props, "LifecycleConfiguration", "Rules"))
			for _, r := range rules {
				if dig(r, "ExpirationInDays") != nil && dig(r, "Status") == "Enabled" {
					return nil
				}
			}
			return fmt.Errorf("no enabled expiration rule")
		}},
		{"termination lifecycle hook publishing to the topic", func() error {
			hooks := asList(one(get("fleet.yaml"), "AWS::AutoScaling::AutoScalingGroup").props["LifecycleHookSpecificationList"])
			for _, h := range hooks {
				if dig(h, "LifecycleTransition") == "autoscaling:EC2_INSTANCE_TERMINATING" &&
					dig(h, "NotificationTargetARN", "Ref") == "AlertTopicArn" && dig(h, "RoleARN", "Ref") == "LifecycleHookRoleArn" {
					return nil
				}
			}
			return fmt.Errorf("no termination hook to AlertTopicArn with LifecycleHookRoleArn")
		}},
		{"lifecycle role may publish to the topic", func() error {
			role := one(get("alerts.yaml"), "AWS::IAM::Role")
			if !strings.Contains(fmt.Sprint(role.props["Policies"]), "sns:Publish") {
				return fmt.Errorf("no sns:Publish")
			}
			return nil
		}},
		{"scaling on CPU, sockets per instance, queue latency and backlog per instance", func() error {
			var got []string
			for _, p := range get("fleet.yaml").resourcesOfType("AWS::AutoScaling::ScalingPolicy") {
				cfg := p.props["TargetTrackingConfiguration"]
				metric := fmt.Sprint(dig(cfg, "PredefinedMetricSpecification", "PredefinedMetricType"))
				if custom := dig(cfg, "CustomizedMetricSpecification"); dig(custom, "Metrics") != nil {
					var parts []string
					for _, q := range asList(dig(custom, "Metrics")) {
						if e := dig(q, "Expression"); e != nil {
							parts = append(parts, fmt.Sprint(e))
						} else {
							parts = append(parts, fmt.Sprint(dig(q, "Id"), "=", dig(q, "MetricStat", "Metric", "MetricName")))
						}
					}
					metric = strings.Join(parts, ",")
				} else if custom != nil {
					dim := dig(asList(dig(custom, "Dimensions"))[0], "Name")
					metric = fmt.Sprintf("%v/%v", dig(custom, "MetricName"), dim)
				}
				got = append(got, p.condition+":"+metric)
			}
			slices.Sort(got)
			want := []string{":ASGAverageCPUUtilization", "IsServe:ConnectedSockets/AutoScalingGroupName",
				"IsWorker:QueueLatencySeconds/Queue", "IsWorker:pending=QueueSize,instances=GroupInServiceInstances,pending / MAX([instances, 1])"}
			if !slices.Equal(got, want) {
				return fmt.Errorf("got %v, want %v", got, want)
			}
			return nil
		}},
		{"alarms on CPU, sockets, queue latency, RDS CPU and free storage, to the topic", func() error {
			var got []string
			for _, tpl := range tpls {
				for _, a := range tpl.resourcesOfType("AWS::CloudWatch::Alarm") {
					if len(asList(a.props["AlarmActions"])) == 0 || len(asList(a.props["OKActions"])) == 0 {
						return fmt.Errorf("%s: no AlarmActions or OKActions", a.name)
					}
					got = append(got, fmt.Sprintf("%v/%v", a.props["Namespace"], a.props["MetricName"]))
				}
			}
			for _, want := range []string{"AWS/EC2/CPUUtilization", "AWS/RDS/CPUUtilization", "AWS/RDS/FreeStorageSpace",
				"map[Ref:MetricNamespace]/ConnectedSockets", "map[Ref:MetricNamespace]/QueueLatencySeconds"} {
				if !slices.Contains(got, want) {
					return fmt.Errorf("no %s alarm in %v", want, got)
				}
			}
			return nil
		}},
		{"topic mails people and calls /hooks/sns", func() error {
			var subs []string
			for _, tpl := range tpls {
				for _, s := range tpl.resourcesOfType("AWS::SNS::Subscription") {
					subs = append(subs, fmt.Sprintf("%v %v", s.props["Protocol"], s.props["Endpoint"]))
				}
			}
			joined := strings.Join(subs, "\n")
			if !strings.Contains(joined, "email ") || !strings.Contains(joined, "https map[Fn::Sub:https://${DomainName}/hooks/sns]") {
				return fmt.Errorf("subscriptions: %v", subs)
			}
			return nil
		}},
		{"root outputs URL, bucket, endpoints, topic", func() error {
			outs := get(rootTemplate).section("Outputs")
			for _, k := range []string{"Url", "ReportsBucketName", "DbEndpointAddress", "CacheEndpointAddress", "AlertTopicArn"} {
				if outs[k] == nil {
					return fmt.Errorf("no output %s", k)
				}
			}
			return nil
		}},
		{"instance roles: SSM, metrics namespace, lifecycle, SES", func() error {
			src := fmt.Sprint(get("iam.yaml").doc)
			for _, want := range []string{"AmazonSSMManagedInstanceCore", "cloudwatch:namespace", "autoscaling:CompleteLifecycleAction", "ses:SendEmail"} {
				if !strings.Contains(src, want) {
					return fmt.Errorf("iam.yaml lacks %q", want)
				}
			}
			return nil
		}},
		{"instance roles read only their secrets: the master and admin secrets only on the migrate instance", func() error {
			want := map[string][]string{
				"ServeRole":   {"AppDbSecretArn", "CacheAuthSecretArn"},
				"WorkerRole":  {"AppDbSecretArn", "CacheAuthSecretArn"},
				"MigrateRole": {"AdminPasswordSecretArn", "AppDbSecretArn", "DbSecretArn"},
			}
			iam := get("iam.yaml")
			for role, w := range want {
				if got := readableSecrets(iam, role); !slices.Equal(got, w) {
					return fmt.Errorf("%s may read %v, want %v", role, got, w)
				}
			}
			return nil
		}},
		{"the app's MySQL user has a generated secret, output and passed to IAM, both fleets and the migrate instance", func() error {
			data := get("data.yaml")
			out := dig(data.section("Outputs"), "AppDbSecretArn", "Value", "Ref")
			var secret cfnResource
			for _, r := range data.resourcesOfType("AWS::SecretsManager::Secret") {
				if r.name == out {
					secret = r
				}
			}
			if secret.name == "" {
				return fmt.Errorf("output AppDbSecretArn is not !Ref of a secret of data.yaml: %v", out)
			}
			gen := secret.props["GenerateSecretString"]
			n, _ := toInt(dig(gen, "PasswordLength"))
			if dig(gen, "SecretStringTemplate") != `{"username":"crumb_app"}` || dig(gen, "GenerateStringKey") != "password" ||
				n < 32 || !alwaysTrue(dig(gen, "ExcludePunctuation")) {
				return fmt.Errorf("%s: GenerateSecretString = %v, want crumb_app, a generated password of 32+ characters, no punctuation", secret.name, gen)
			}
			// Named and tagged like the Redis AUTH token secret.
			name := fmt.Sprint(dig(secret.props, "Name", "Fn::Sub"))
			if !strings.HasPrefix(name, "${ProjectName}-${Environment}/") {
				return fmt.Errorf("%s: Name %q, want the ${ProjectName}-${Environment}/ prefix of the other secrets", secret.name, name)
			}
			for _, k := range requiredTags {
				if !tagKeys(secret.props["Tags"])[k] {
					return fmt.Errorf("%s: no %s tag", secret.name, k)
				}
			}
			root := get(rootTemplate)
			for _, stack := range []string{"Iam", "ServeFleet", "WorkerFleet", "MigrateFleet"} {
				got := fmt.Sprint(dig(root.section("Resources"), stack, "Properties", "Parameters", "AppDbSecretArn"))
				if want := "map[Fn::GetAtt:[Data Outputs.AppDbSecretArn]]"; got != want {
					return fmt.Errorf("%s: AppDbSecretArn = %s, want %s", stack, got, want)
				}
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if err := tc.ok(); err != nil {
				t.Error(err)
			}
		})
	}
}

// readableSecrets lists the parameters naming the secrets an IAM role of tpl
// may call secretsmanager:GetSecretValue on, through its inline policies and
// the managed policies of tpl it attaches, sorted.
func readableSecrets(tpl *cfnTemplate, role string) []string {
	r, _ := tpl.section("Resources")[role].(map[string]any)
	var docs []any
	for _, p := range asList(dig(r, "Properties", "Policies")) {
		docs = append(docs, dig(p, "PolicyDocument"))
	}
	for _, arn := range asList(dig(r, "Properties", "ManagedPolicyArns")) {
		if name, ok := dig(arn, "Ref").(string); ok {
			docs = append(docs, dig(tpl.section("Resources"), name, "Properties", "PolicyDocument"))
		}
	}
	var out []string
	for _, doc := range docs {
		for _, s := range asList(dig(doc, "Statement")) {
			if dig(s, "Effect") != "Allow" || !slices.Contains(asList(dig(s, "Action")), any("secretsmanager:GetSecretValue")) {
				continue
			}
			for _, res := range asList(dig(s, "Resource")) {
				name, ok := dig(res, "Ref").(string)
				if !ok {
					name = fmt.Sprint(res)
				}
				if !slices.Contains(out, name) {
					out = append(out, name)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// wantKV finds Key in a list of {Key, Value} and compares its Value.
func wantKV(list any, key, want string) error {
	for _, kv := range asList(list) {
		if dig(kv, "Key") == key {
			if got := fmt.Sprint(dig(kv, "Value")); got != want {
				return fmt.Errorf("%s = %s, want %s", key, got, want)
			}
			return nil
		}
	}
	return fmt.Errorf("%s not set", key)
}
