package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReferenceChecksCatchViolations: checkReferences and checkParametersUsed
// report each kind of dangling name.
func TestReferenceChecksCatchViolations(t *testing.T) {
	runCatchCases(t, []catchCase{
		{
			desc:  "Ref to nothing",
			check: checkReferences,
			yaml: `
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: !Ref Missing }`,
			want: `"Missing" is not a parameter or resource`,
		},
		{
			desc:  "GetAtt of a missing resource",
			check: checkReferences,
			yaml: `
Resources: {}
Outputs:
  Arn: { Value: !GetAtt Gone.Arn }`,
			want: `"Gone" is not a parameter or resource`,
		},
		{
			desc:  "Sub variable that does not exist",
			check: checkReferences,
			yaml: `
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: !Sub "${AWS::Region}-${Nope}" }`,
			want: `"Nope" is not a parameter or resource`,
		},
		{
			desc:  "Sub attribute of a missing resource",
			check: checkReferences,
			yaml: `
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: !Sub "${Bucket.Arn}/*" }`,
			want: `"Bucket" is not a parameter or resource`,
		},
		{
			desc:  "Fn::If on an undefined condition",
			check: checkReferences,
			yaml: `
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: !If [IsProd, a, b] }`,
			want: `condition "IsProd" does not exist`,
		},
		{
			desc:  "resource Condition that does not exist",
			check: checkReferences,
			yaml: `
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Condition: IsProd`,
			want: `condition "IsProd" does not exist`,
		},
		{
			desc:  "!Condition inside a condition that does not exist",
			check: checkReferences,
			yaml: `
Parameters:
  Environment: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
  Big: !And [!Condition IsProd, !Condition IsLarge]
Resources: {}`,
			want: `condition "IsLarge" does not exist`,
		},
		{
			desc:  "condition on a resource",
			check: checkReferences,
			yaml: `
Conditions:
  Odd: !Equals [!Ref Topic, x]
Resources:
  Topic: { Type: AWS::SNS::Topic }`,
			want: "Conditions may refer only to parameters",
		},
		{
			desc:  "unguarded reference to a conditional resource",
			check: checkReferences,
			yaml: `
Parameters:
  Environment: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  Nat2: { Type: AWS::EC2::NatGateway, Condition: IsProd }
  Route: { Type: AWS::EC2::Route, Properties: { NatGatewayId: !Ref Nat2 } }`,
			want: "exists only when IsProd holds",
		},
		{
			desc:  "guarded reference to a conditional resource is fine",
			check: checkReferences,
			yaml: `
Parameters:
  Environment: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  Nat1: { Type: AWS::EC2::NatGateway }
  Nat2: { Type: AWS::EC2::NatGateway, Condition: IsProd }
  Route: { Type: AWS::EC2::Route, Properties: { NatGatewayId: !If [IsProd, !Ref Nat2, !Ref Nat1] } }
Outputs:
  Nat2: { Condition: IsProd, Value: !GetAtt [Nat2, Id] }`,
		},
		{
			desc:  "FindInMap on a missing mapping key",
			check: checkReferences,
			yaml: `
Mappings:
  EnvConfig: { dev: { Size: small } }
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: !FindInMap [EnvConfig, dev, Colour] }`,
			want: "has no key Colour",
		},
		{
			desc:  "DependsOn a missing resource",
			check: checkReferences,
			yaml: `
Resources:
  Topic: { Type: AWS::SNS::Topic, DependsOn: [Queue] }`,
			want: `"Queue" is not a parameter or resource`,
		},
		{
			desc:  "unused parameter",
			check: checkParametersUsed,
			yaml: `
Parameters:
  Forgotten: { Type: String }
Resources: {}`,
			want: "parameter Forgotten is never used",
		},
	})
}

// TestReferencesCatchMissingStackOutput checks the nested-stack part of
// checkReferences, which reads the child template from disk.
func TestReferencesCatchMissingStackOutput(t *testing.T) {
	dir := t.TempDir()
	child := "Resources: {}\nOutputs:\n  VpcId: { Value: vpc-1 }\n"
	if err := os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(child), 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, err := parseTemplate("root.yaml", []byte(`
Resources:
  Net: { Type: AWS::CloudFormation::Stack, Properties: { TemplateURL: child.yaml } }
Outputs:
  Good: { Value: !GetAtt Net.Outputs.VpcId }
  Bad: { Value: !Sub "${Net.Outputs.SubnetIds}" }`))
	if err != nil {
		t.Fatal(err)
	}
	tpl.dir = dir
	got := checkReferences(tpl)
	if len(got) != 1 || !strings.Contains(got[0], "has no output SubnetIds") {
		t.Errorf("want exactly the missing SubnetIds output reported, got %q", got)
	}
}
