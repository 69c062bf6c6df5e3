package deploy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// policyCheck inspects one template and returns its violations, each naming
// the resource at fault.
type policyCheck struct {
	desc  string
	check func(*cfnTemplate) []string
}

// policyChecks are the rules every template must follow. Each has
// negative cases in TestPolicyChecksCatchViolations.
var policyChecks = []policyCheck{
	{"no SSH, MySQL or Redis port open to the internet", checkAdminPortsClosed},
	{"only 80 and 443 open to the internet", checkInternetIngressIsWeb},
	{"no SSH ingress at all (Session Manager instead)", checkNoSSH},
	{"databases encrypted, private and TLS-only", checkDatabaseEncrypted},
	{"redis encrypted at rest and in transit", checkCacheEncrypted},
	{"buckets encrypted, private and TLS-only", checkBucketsLocked},
	{"launch templates require IMDSv2 and encrypt volumes", checkLaunchTemplates},
	{"no plaintext secrets", checkNoPlaintextSecrets},
	{"taggable resources tagged", checkTags},
	{"IAM least privilege", checkIAMLeastPrivilege},
	{"references resolve", checkReferences},
	{"parameters used", checkParametersUsed},
}

func TestTemplatesFollowPolicy(t *testing.T) {
	for _, tpl := range loadTemplates(t) {
		for _, pc := range policyChecks {
			t.Run(tpl.name+"/"+pc.desc, func(t *testing.T) {
				for _, v := range pc.check(tpl) {
					t.Error(v)
				}
			})
		}
	}
}

// sensitivePorts must never be reachable from the internet.
var sensitivePorts = []int{22, 3306, 6379}

// sgRule is one ingress rule, inline in a security group or standalone.
type sgRule struct {
	where    string
	from, to int  // inclusive port range; 0-65535 for all
	world    bool // 0.0.0.0/0, ::/0, or a source that cannot be resolved
	portBase bool // false for ICMP and similar
}

func (r sgRule) covers(port int) bool { return r.portBase && r.from <= port && port <= r.to }

func ingressRules(t *cfnTemplate) []sgRule {
	var rules []sgRule
	for _, r := range t.resources() {
		switch r.typ {
		case "AWS::EC2::SecurityGroup":
			list, _ := r.props["SecurityGroupIngress"].([]any)
			for i, item := range list {
				m, _ := item.(map[string]any)
				rules = append(rules, parseRule(t, fmt.Sprintf("%s ingress %d", r.name, i), m))
			}
		case "AWS::EC2::SecurityGroupIngress":
			rules = append(rules, parseRule(t, r.name, r.props))
		}
	}
	return rules
}

func parseRule(t *cfnTemplate, where string, m map[string]any) sgRule {
	rule := sgRule{where: where, from: 0, to: 65535, portBase: true}
	proto, _ := t.paramDefault(m["IpProtocol"])
	switch p := strings.ToLower(fmt.Sprint(proto)); p {
	case "-1", "all":
	case "tcp", "udp", "6", "17":
		from, okFrom := portNumber(t, m["FromPort"])
		to, okTo := portNumber(t, m["ToPort"])
		if okFrom && okTo && from >= 0 && to >= 0 {
			rule.from, rule.to = from, to
		}
	default:
		rule.portBase = false
	}
	for _, key := range []string{"CidrIp", "CidrIpv6"} {
		v, present := m[key]
		if !present {
			continue
		}
		cidr, ok := t.paramDefault(v)
		s, isString := cidr.(string)
		rule.world = rule.world || !ok || !isString || strings.HasSuffix(s, "/0")
	}
	return rule
}

func portNumber(t *cfnTemplate, v any) (int, bool) {
	v, ok := t.paramDefault(v)
	if !ok {
		return 0, false
	}
	return toInt(v)
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case uint64:
		return int(n), true
	case float64:
		return int(n), true
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

func checkAdminPortsClosed(t *cfnTemplate) []string {
	var out []string
	for _, r := range ingressRules(t) {
		for _, p := range sensitivePorts {
			if r.world && r.covers(p) {
				out = append(out, fmt.Sprintf("%s: port %d open to the internet", r.where, p))
			}
		}
	}
	return out
}

func checkInternetIngressIsWeb(t *cfnTemplate) []string {
	var out []string
	for _, r := range ingressRules(t) {
		web := r.portBase && r.from == r.to && (r.from == 80 || r.from == 443)
		if r.world && !web {
			out = append(out, fmt.Sprintf("%s: ports %d-%d open to the internet, want only 80 or 443", r.where, r.from, r.to))
		}
	}
	return out
}

func checkNoSSH(t *cfnTemplate) []string {
	var out []string
	for _, r := range ingressRules(t) {
		if r.covers(22) {
			out = append(out, fmt.Sprintf("%s: allows SSH; use Session Manager", r.where))
		}
	}
	return out
}

func checkDatabaseEncrypted(t *cfnTemplate) []string {
	var out []string
	for _, r := range t.resources() {
		switch r.typ {
		case "AWS::RDS::DBInstance", "AWS::RDS::DBCluster":
			if !alwaysTrue(r.props["StorageEncrypted"]) {
				out = append(out, r.name+": StorageEncrypted is not true")
			}
			if alwaysTrue(r.props["PubliclyAccessible"]) {
				out = append(out, r.name+": PubliclyAccessible")
			}
			if r.typ == "AWS::RDS::DBInstance" && !requiresTLS(t, r.props["DBParameterGroupName"]) {
				out = append(out, r.name+": its parameter group does not set require_secure_transport ON (connections may skip TLS)")
			}
		}
	}
	return out
}

// requiresTLS reports whether v references a DB parameter group of this
// template that turns require_secure_transport on.
func requiresTLS(t *cfnTemplate, v any) bool {
	ref, _ := v.(map[string]any)
	name, _ := ref["Ref"].(string)
	for _, g := range t.resourcesOfType("AWS::RDS::DBParameterGroup") {
		if g.name != name {
			continue
		}
		params, _ := g.props["Parameters"].(map[string]any)
		switch strings.ToUpper(fmt.Sprint(params["require_secure_transport"])) {
		case "ON", "1", "TRUE":
			return true
		}
	}
	return false
}

func checkCacheEncrypted(t *cfnTemplate) []string {
	var out []string
	for _, r := range t.resources() {
		switch r.typ {
		case "AWS::ElastiCache::CacheCluster":
			out = append(out, r.name+": a CacheCluster cannot be encrypted; use a ReplicationGroup")
		case "AWS::ElastiCache::ReplicationGroup":
			for _, p := range []string{"AtRestEncryptionEnabled", "TransitEncryptionEnabled"} {
				if !alwaysTrue(r.props[p]) {
					out = append(out, r.name+": "+p+" is not true")
				}
			}
		}
	}
	return out
}

func checkBucketsLocked(t *cfnTemplate) []string {
	var out []string
	tlsOnly := map[string]bool{} // bucket logical name -> has a deny-insecure-transport policy
	for _, p := range t.resourcesOfType("AWS::S3::BucketPolicy") {
		fn, arg, _ := intrinsic(p.props["Bucket"])
		if fn != "Ref" || !deniesInsecureTransport(p.props["PolicyDocument"]) {
			continue
		}
		tlsOnly[fmt.Sprint(arg)] = true
	}
	for _, b := range t.resourcesOfType("AWS::S3::Bucket") {
		rules, _ := dig(b.props, "BucketEncryption", "ServerSideEncryptionConfiguration").([]any)
		if len(rules) == 0 || dig(rules[0], "ServerSideEncryptionByDefault", "SSEAlgorithm") == nil {
			out = append(out, b.name+": no default encryption")
		}
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if !alwaysTrue(dig(b.props, "PublicAccessBlockConfiguration", k)) {
				out = append(out, b.name+": PublicAccessBlockConfiguration."+k+" is not true")
			}
		}
		if !tlsOnly[b.name] {
			out = append(out, b.name+": no bucket policy denying aws:SecureTransport false")
		}
	}
	return out
}

func deniesInsecureTransport(doc any) bool {
	stmts, _ := dig(doc, "Statement").([]any)
	for _, s := range stmts {
		v := dig(s, "Condition", "Bool", "aws:SecureTransport")
		if dig(s, "Effect") == "Deny" && (v == false || v == "false") {
			return true
		}
	}
	return false
}

func checkLaunchTemplates(t *cfnTemplate) []string {
	var out []string
	for _, r := range t.resources() {
		switch r.typ {
		case "AWS::EC2::Instance", "AWS::AutoScaling::LaunchConfiguration":
			out = append(out, r.name+": use an AWS::EC2::LaunchTemplate (IMDSv2, encrypted volumes)")
		case "AWS::EC2::LaunchTemplate":
			data := dig(r.props, "LaunchTemplateData")
			if dig(data, "MetadataOptions", "HttpTokens") != "required" {
				out = append(out, r.name+": MetadataOptions.HttpTokens is not required (IMDSv2)")
			}
			mappings, _ := dig(data, "BlockDeviceMappings").([]any)
			for i, m := range mappings {
				if ebs := dig(m, "Ebs"); ebs != nil && !alwaysTrue(dig(ebs, "Encrypted")) {
					out = append(out, fmt.Sprintf("%s: block device %d is not encrypted", r.name, i))
				}
			}
		}
	}
	return out
}

// secretParam matches parameter names that would carry a secret value.
var secretParam = regexp.MustCompile(`(?i)(password|passwd|token|apikey|secretkey|privatekey)$`)

func checkNoPlaintextSecrets(t *cfnTemplate) []string {
	var out []string
	for name, p := range t.section("Parameters") {
		if secretParam.MatchString(name) && !alwaysTrue(dig(p, "NoEcho")) {
			out = append(out, "parameter "+name+": looks secret but has no NoEcho")
		}
	}
	for _, r := range t.resources() {
		walk(r.props, nil, func(path []string, v any) {
			if len(path) > 0 && path[len(path)-1] == "MasterUserPassword" {
				out = append(out, r.name+": MasterUserPassword; use ManageMasterUserPassword")
			}
		})
		switch r.typ {
		case "AWS::RDS::DBInstance", "AWS::RDS::DBCluster":
			if r.props["SourceDBInstanceIdentifier"] == nil && !alwaysTrue(r.props["ManageMasterUserPassword"]) {
				out = append(out, r.name+": ManageMasterUserPassword is not true")
			}
		case "AWS::ElastiCache::ReplicationGroup":
			if !isSecretsManagerReference(r.props["AuthToken"]) {
				out = append(out, r.name+": AuthToken is not a {{resolve:secretsmanager:...}} reference")
			}
		case "AWS::SecretsManager::Secret":
			if r.props["SecretString"] != nil {
				out = append(out, r.name+": SecretString in the template; use GenerateSecretString")
			}
		}
	}
	return out
}

func isSecretsManagerReference(v any) bool {
	const prefix = "{{resolve:secretsmanager:"
	if fn, arg, ok := intrinsic(v); ok && fn == "Fn::Sub" {
		if args, isList := arg.([]any); isList && len(args) > 0 {
			arg = args[0]
		}
		v = arg
	}
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, prefix) && strings.HasSuffix(s, "}}")
}

// walk calls fn for every value under v, with the path of keys to it.
func walk(v any, path []string, fn func(path []string, v any)) {
	fn(path, v)
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			walk(child, append(path[:len(path):len(path)], k), fn)
		}
	case []any:
		for i, child := range v {
			walk(child, append(path[:len(path):len(path)], strconv.Itoa(i)), fn)
		}
	}
}
