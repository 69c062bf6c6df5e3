// Package deploy holds the CloudFormation templates, nginx config and systemd
// units, and the tests that validate them.
package deploy
