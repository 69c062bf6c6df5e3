// Package deploy holds no production code: it is the home of the deployment
// files (cloudformation/, nginx/, systemd/, see README.md) and of the tests
// that keep them honest.
//
// The tests parse every CloudFormation template (YAML with the short-form
// tags) and check the house policy: nothing but 80 and 443 open to the
// internet, no SSH, encryption on for RDS, ElastiCache, S3 and EBS, IMDSv2 only,
// no plaintext secrets, tags on every taggable resource, least-privilege IAM,
// and every Ref, GetAtt, Sub variable and Condition resolving (nested stacks
// included). Each check has negative cases proving it catches a bad snippet.
// They also check that the instance user data writes an environment file the
// crumb binary accepts (internal/config), lint the templates with the npm
// cfn-lint validator, run `nginx -t` and a live proxy test on the nginx config,
// and `systemd-analyze verify` on the units.
//
// External tools are installed by install-tools.sh. A missing tool skips its
// test on a developer machine and fails it when CI=true.
package deploy
