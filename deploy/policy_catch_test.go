package deploy

import (
	"strings"
	"testing"
)

// TestPolicyChecksCatchViolations feeds each check small templates: the bad
// ones must be reported with the given text, the good ones (want == "") not at all.
func TestPolicyChecksCatchViolations(t *testing.T) {
	runCatchCases(t, []catchCase{
		{
			desc:  "MySQL open to the world",
			check: checkAdminPortsClosed,
			yaml: `
Resources:
  Db:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress:
        - { IpProtocol: tcp, FromPort: 3306, ToPort: 3306, CidrIp: 0.0.0.0/0 }`,
			want: "port 3306 open to the internet",
		},
		{
			desc:  "port range covering Redis, standalone rule, IPv6",
			check: checkAdminPortsClosed,
			yaml: `
Resources:
  Wide:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: { GroupId: sg-1, IpProtocol: tcp, FromPort: 6000, ToPort: 7000, CidrIpv6: "::/0" }`,
			want: "port 6379 open to the internet",
		},
		{
			desc:  "all protocols open",
			check: checkAdminPortsClosed,
			yaml: `
Resources:
  All:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: { GroupId: sg-1, IpProtocol: "-1", CidrIp: 0.0.0.0/0 }`,
			want: "port 22 open to the internet",
		},
		{
			desc:  "world CIDR hidden in a parameter default",
			check: checkAdminPortsClosed,
			yaml: `
Parameters:
  Anywhere: { Type: String, Default: 0.0.0.0/0 }
Resources:
  Ssh:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: { GroupId: sg-1, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Anywhere }`,
			want: "port 22 open to the internet",
		},
		{
			desc:  "ports from the app and worker groups are fine",
			check: checkAdminPortsClosed,
			yaml: `
Resources:
  FromApp:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: { GroupId: sg-1, IpProtocol: tcp, FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: sg-2 }`,
		},
		{
			desc:  "app port open to the world",
			check: checkInternetIngressIsWeb,
			yaml: `
Resources:
  App:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress:
        - { IpProtocol: tcp, FromPort: 8080, ToPort: 8080, CidrIp: 0.0.0.0/0 }`,
			want: "want only 80 or 443",
		},
		{
			desc:  "HTTPS from the world is fine",
			check: checkInternetIngressIsWeb,
			yaml: `
Resources:
  Alb:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress:
        - { IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0 }`,
		},
		{
			desc:  "SSH from inside the VPC",
			check: checkNoSSH,
			yaml: `
Resources:
  Ssh:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: { GroupId: sg-1, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8 }`,
			want: "allows SSH",
		},
		{
			desc:  "unencrypted RDS",
			check: checkDatabaseEncrypted,
			yaml: `
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties: { Engine: mysql, StorageEncrypted: false }`,
			want: "StorageEncrypted is not true",
		},
		{
			desc:  "RDS that accepts plaintext connections",
			check: checkDatabaseEncrypted,
			yaml: `
Resources:
  Params:
    Type: AWS::RDS::DBParameterGroup
    Properties: { Family: mysql8.4, Description: x, Parameters: { require_secure_transport: "OFF" } }
  Db:
    Type: AWS::RDS::DBInstance
    Properties: { Engine: mysql, StorageEncrypted: true, DBParameterGroupName: !Ref Params }`,
			want: "require_secure_transport",
		},
		{
			desc:  "RDS encrypted only in prod",
			check: checkDatabaseEncrypted,
			yaml: `
Conditions:
  IsProd: !Equals [a, b]
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties: { Engine: mysql, StorageEncrypted: !If [IsProd, true, false] }`,
			want: "StorageEncrypted is not true",
		},
		{
			desc:  "Redis without transit encryption",
			check: checkCacheEncrypted,
			yaml: `
Resources:
  Cache:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties: { AtRestEncryptionEnabled: true }`,
			want: "TransitEncryptionEnabled is not true",
		},
		{
			desc:  "bucket without encryption, public access block or TLS policy",
			check: checkBucketsLocked,
			yaml: `
Resources:
  Reports:
    Type: AWS::S3::Bucket
    Properties: {}`,
			want: "no default encryption",
		},
		{
			desc:  "bucket policy that does not deny plain HTTP",
			check: checkBucketsLocked,
			yaml: `
Resources:
  Reports:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: { SSEAlgorithm: AES256 }
      PublicAccessBlockConfiguration:
        { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true }
  ReportsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Reports
      PolicyDocument:
        Statement:
          - { Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "*" }`,
			want: "no bucket policy denying aws:SecureTransport false",
		},
		{
			desc:  "launch template allowing IMDSv1",
			check: checkLaunchTemplates,
			yaml: `
Resources:
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        MetadataOptions: { HttpTokens: optional }`,
			want: "HttpTokens is not required",
		},
		{
			desc:  "unencrypted root volume",
			check: checkLaunchTemplates,
			yaml: `
Resources:
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        MetadataOptions: { HttpTokens: required }
        BlockDeviceMappings:
          - { DeviceName: /dev/xvda, Ebs: { VolumeSize: 20 } }`,
			want: "block device 0 is not encrypted",
		},
		{
			desc:  "launch configuration",
			check: checkLaunchTemplates,
			yaml: `
Resources:
  Lc:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties: { ImageId: ami-1, InstanceType: t4g.small }`,
			want: "use an AWS::EC2::LaunchTemplate",
		},
		{
			desc:  "plaintext master password, as in the original report",
			check: checkNoPlaintextSecrets,
			yaml: `
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties: { Engine: mysql, MasterUsername: admin, MasterUserPassword: hunter2hunter2 }`,
			want: "MasterUserPassword",
		},
		{
			desc:  "password parameter without NoEcho",
			check: checkNoPlaintextSecrets,
			yaml: `
Parameters:
  DbPassword: { Type: String }
Resources: {}`,
			want: "has no NoEcho",
		},
		{
			desc:  "literal Redis AUTH token",
			check: checkNoPlaintextSecrets,
			yaml: `
Resources:
  Cache:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties: { AuthToken: not-a-reference-0123456789 }`,
			want: "AuthToken is not a {{resolve:secretsmanager:...}} reference",
		},
		{
			desc:  "secret value written in the template",
			check: checkNoPlaintextSecrets,
			yaml: `
Resources:
  Token:
    Type: AWS::SecretsManager::Secret
    Properties: { SecretString: example }`,
			want: "use GenerateSecretString",
		},
		{
			desc:  "AUTH token from Secrets Manager is fine",
			check: checkNoPlaintextSecrets,
			yaml: `
Resources:
  Token:
    Type: AWS::SecretsManager::Secret
    Properties: { GenerateSecretString: { PasswordLength: 64 } }
  Cache:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties: { AuthToken: !Sub "{{resolve:secretsmanager:${Token}}}" }`,
		},
		{
			desc:  "untagged subnet",
			check: checkTags,
			yaml: `
Resources:
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: { Tags: [{ Key: Project, Value: crumb }] }`,
			want: "Subnet: no Environment tag",
		},
		{
			desc:  "launch template whose volumes are untagged",
			check: checkTags,
			yaml: `
Resources:
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      TagSpecifications:
        - ResourceType: launch-template
          Tags: [{ Key: Project, Value: p }, { Key: Environment, Value: e }]
      LaunchTemplateData:
        TagSpecifications:
          - ResourceType: instance
            Tags: [{ Key: Project, Value: p }, { Key: Environment, Value: e }]`,
			want: "Lt (volume): no Project tag",
		},
		{
			desc:  "resource type nobody classified",
			check: checkTags,
			yaml: `
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {}`,
			want: "is in neither taggableTypes nor untaggableTypes",
		},
		{
			desc:  "wildcard S3 action",
			check: checkIAMLeastPrivilege,
			yaml: `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - { Effect: Allow, Action: "s3:*", Resource: arn:aws:s3:::b/* }`,
			want: "wildcard action s3:*",
		},
		{
			desc:  "PutMetricData on any namespace",
			check: checkIAMLeastPrivilege,
			yaml: `
Resources:
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - { Effect: Allow, Action: cloudwatch:PutMetricData, Resource: "*" }`,
			want: "Resource * without a Condition",
		},
		{
			desc:  "secrets readable on every resource",
			check: checkIAMLeastPrivilege,
			yaml: `
Resources:
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: secretsmanager:GetSecretValue
            Resource: "*"
            Condition: { StringEquals: { aws:ResourceTag/Project: crumb } }`,
			want: "Resource * for secretsmanager:GetSecretValue",
		},
		{
			desc:  "administrator access",
			check: checkIAMLeastPrivilege,
			yaml: `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]`,
			want: "is not in managedPolicyAllowed",
		},
	})
}

// catchCase is a small template and what one check must say about it.
type catchCase struct {
	desc  string
	check func(*cfnTemplate) []string
	yaml  string
	want  string // "" for a good snippet: no violation at all
}

func runCatchCases(t *testing.T, cases []catchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			tpl, err := parseTemplate("snippet.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(tc.check(tpl), "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("good snippet reported:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("want a violation containing %q, got:\n%s", tc.want, got)
			}
		})
	}
}
