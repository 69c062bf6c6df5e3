// Package metrics publishes custom metrics to CloudWatch.
package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Namespace is where every CrumbCommander metric goes.
const Namespace = "CrumbCommander"

// maxPerCall is PutMetricData's limit on data points per request.
const maxPerCall = 1000

// API is the part of the CloudWatch client used here.
type API interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

var _ API = (*cloudwatch.Client)(nil)

// Datum is one measurement.
type Datum struct {
	Name       string
	Value      float64
	Unit       types.StandardUnit
	Dimensions map[string]string
}

// Publisher sends data points to CloudWatch.
type Publisher struct{ API API }

// Publish sends ds, stamped at, in as few calls as the API allows.
func (p Publisher) Publish(ctx context.Context, at time.Time, ds []Datum) error {
	for len(ds) > 0 {
		n := min(len(ds), maxPerCall)
		in := &cloudwatch.PutMetricDataInput{Namespace: aws.String(Namespace)}
		for _, d := range ds[:n] {
			md := types.MetricDatum{MetricName: aws.String(d.Name), Value: aws.Float64(d.Value), Unit: d.Unit, Timestamp: aws.Time(at.UTC())}
			if md.Unit == "" {
				md.Unit = types.StandardUnitCount
			}
			for k, v := range d.Dimensions {
				md.Dimensions = append(md.Dimensions, types.Dimension{Name: aws.String(k), Value: aws.String(v)})
			}
			in.MetricData = append(in.MetricData, md)
		}
		if _, err := p.API.PutMetricData(ctx, in); err != nil {
			return fmt.Errorf("metrics: put metric data: %w", err)
		}
		ds = ds[n:]
	}
	return nil
}
