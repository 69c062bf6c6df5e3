// Package cloud holds the adapters to the outside world, one small package
// each: secrets (Secrets Manager), blob (S3 or a local folder), mail (SMTP,
// SES v2 or the dev mailbox), metrics (CloudWatch), sns (signed HTTP
// notifications) and scaling (Auto Scaling lifecycle actions). Callers
// declare the small interface they need; this package only builds clients.
package cloud

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// AWSConfig loads the default credential chain (instance role, environment)
// for region. endpoint, when set, overrides every service's endpoint (tests
// and local emulators: CRUMB_AWS_ENDPOINT_URL).
func AWSConfig(ctx context.Context, region, endpoint string) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return aws.Config{}, fmt.Errorf("cloud: aws config: %w", err)
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}
