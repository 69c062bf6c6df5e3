package deploy

import (
	"fmt"
	"strings"
)

// requiredTags must be on every taggable resource.
var requiredTags = []string{"Project", "Environment"}

// taggableTypes are the resource types these templates may use that accept
// tags in CloudFormation, with the property that carries them.
var taggableTypes = map[string]string{
	"AWS::AutoScaling::AutoScalingGroup":        "Tags",
	"AWS::CloudFormation::Stack":                "Tags",
	"AWS::CloudWatch::Alarm":                    "Tags",
	"AWS::EC2::EIP":                             "Tags",
	"AWS::EC2::InternetGateway":                 "Tags",
	"AWS::EC2::LaunchTemplate":                  "TagSpecifications",
	"AWS::EC2::NatGateway":                      "Tags",
	"AWS::EC2::RouteTable":                      "Tags",
	"AWS::EC2::SecurityGroup":                   "Tags",
	"AWS::EC2::Subnet":                          "Tags",
	"AWS::EC2::VPC":                             "Tags",
	"AWS::EC2::VPCEndpoint":                     "Tags",
	"AWS::ElastiCache::ParameterGroup":          "Tags",
	"AWS::ElastiCache::ReplicationGroup":        "Tags",
	"AWS::ElastiCache::SubnetGroup":             "Tags",
	"AWS::ElasticLoadBalancingV2::LoadBalancer": "Tags",
	"AWS::ElasticLoadBalancingV2::TargetGroup":  "Tags",
	"AWS::IAM::Role":                            "Tags",
	"AWS::KMS::Key":                             "Tags",
	"AWS::Logs::LogGroup":                       "Tags",
	"AWS::RDS::DBInstance":                      "Tags",
	"AWS::RDS::DBParameterGroup":                "Tags",
	"AWS::RDS::DBSubnetGroup":                   "Tags",
	"AWS::S3::Bucket":                           "Tags",
	"AWS::SecretsManager::Secret":               "Tags",
	"AWS::SNS::Topic":                           "Tags",
}

// untaggableTypes take no tags in CloudFormation. A type in neither list fails
// the check, so that a new type is classified on purpose.
var untaggableTypes = map[string]bool{
	"AWS::AutoScaling::LifecycleHook":             true,
	"AWS::AutoScaling::ScalingPolicy":             true,
	"AWS::CloudWatch::Dashboard":                  true,
	"AWS::EC2::Route":                             true,
	"AWS::EC2::SecurityGroupEgress":               true,
	"AWS::EC2::SecurityGroupIngress":              true,
	"AWS::EC2::SubnetRouteTableAssociation":       true,
	"AWS::EC2::VPCGatewayAttachment":              true,
	"AWS::ElasticLoadBalancingV2::Listener":       true,
	"AWS::IAM::InstanceProfile":                   true,
	"AWS::IAM::ManagedPolicy":                     true,
	"AWS::IAM::Policy":                            true,
	"AWS::Route53::RecordSet":                     true,
	"AWS::S3::BucketPolicy":                       true,
	"AWS::SNS::Subscription":                      true,
	"AWS::SNS::TopicPolicy":                       true,
	"AWS::SecretsManager::RotationSchedule":       true,
	"AWS::SecretsManager::SecretTargetAttachment": true,
}

func checkTags(t *cfnTemplate) []string {
	var out []string
	missing := func(where string, tags any) {
		keys := tagKeys(tags)
		for _, k := range requiredTags {
			if !keys[k] {
				out = append(out, where+": no "+k+" tag")
			}
		}
	}
	for _, r := range t.resources() {
		prop, taggable := taggableTypes[r.typ]
		switch {
		case !taggable && !untaggableTypes[r.typ]:
			out = append(out, r.name+": type "+r.typ+" is in neither taggableTypes nor untaggableTypes")
		case !taggable:
		case prop == "TagSpecifications":
			missing(r.name+" (launch-template)", specTags(r.props["TagSpecifications"], "launch-template"))
			data := dig(r.props, "LaunchTemplateData", "TagSpecifications")
			missing(r.name+" (instance)", specTags(data, "instance"))
			missing(r.name+" (volume)", specTags(data, "volume"))
		default:
			missing(r.name, r.props[prop])
		}
	}
	return out
}

// specTags returns the Tags of the TagSpecification for resourceType.
func specTags(specs any, resourceType string) any {
	list, _ := specs.([]any)
	for _, s := range list {
		if dig(s, "ResourceType") == resourceType {
			return dig(s, "Tags")
		}
	}
	return nil
}

// managedPolicyAllowed are the AWS managed policies a role may attach.
var managedPolicyAllowed = []string{"policy/AmazonSSMManagedInstanceCore"}

// starResourceActions may use Resource "*" (the API has no resource ARN),
// and only with a Condition narrowing them.
var starResourceActions = map[string]bool{"cloudwatch:PutMetricData": true}

func checkIAMLeastPrivilege(t *cfnTemplate) []string {
	var out []string
	for _, r := range t.resources() {
		var docs []any
		switch r.typ {
		case "AWS::IAM::Role":
			for _, p := range asList(r.props["Policies"]) {
				docs = append(docs, dig(p, "PolicyDocument"))
			}
			out = append(out, checkManagedPolicies(r)...)
		case "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy":
			docs = append(docs, r.props["PolicyDocument"])
		}
		for _, doc := range docs {
			for i, s := range asList(dig(doc, "Statement")) {
				for _, v := range checkStatement(s) {
					out = append(out, fmt.Sprintf("%s statement %d: %s", r.name, i, v))
				}
			}
		}
	}
	return out
}

func checkManagedPolicies(r cfnResource) []string {
	var out []string
	for _, arn := range asList(r.props["ManagedPolicyArns"]) {
		if fn, _, ok := intrinsic(arn); ok && fn == "Ref" {
			continue // a policy of this template, checked on its own
		}
		s := fmt.Sprint(arn)
		if fn, arg, ok := intrinsic(arn); ok && fn == "Fn::Sub" {
			s = fmt.Sprint(arg)
		}
		allowed := false
		for _, suffix := range managedPolicyAllowed {
			allowed = allowed || strings.HasSuffix(s, suffix)
		}
		if !allowed {
			out = append(out, fmt.Sprintf("%s: managed policy %s is not in managedPolicyAllowed", r.name, s))
		}
	}
	return out
}

func checkStatement(s any) []string {
	if dig(s, "Effect") != "Allow" {
		return nil
	}
	var out []string
	if dig(s, "NotAction") != nil || dig(s, "NotResource") != nil {
		out = append(out, "Allow with NotAction or NotResource")
	}
	actions := asList(dig(s, "Action"))
	for _, a := range actions {
		if a := fmt.Sprint(a); a == "*" || strings.HasSuffix(a, ":*") {
			out = append(out, "wildcard action "+a)
		}
	}
	for _, res := range asList(dig(s, "Resource")) {
		if res != "*" {
			continue
		}
		for _, a := range actions {
			if !starResourceActions[fmt.Sprint(a)] {
				out = append(out, fmt.Sprintf("Resource * for %v", a))
			}
		}
		if dig(s, "Condition") == nil {
			out = append(out, "Resource * without a Condition")
		}
	}
	return out
}

// asList treats a scalar as a one-element list, as IAM and DependsOn do.
func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}
