// Package scaling completes Auto Scaling lifecycle actions once this
// instance has drained.
package scaling

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

// API is the part of the Auto Scaling client used here.
type API interface {
	CompleteLifecycleAction(ctx context.Context, in *autoscaling.CompleteLifecycleActionInput, optFns ...func(*autoscaling.Options)) (*autoscaling.CompleteLifecycleActionOutput, error)
}

var _ API = (*autoscaling.Client)(nil)

// Action names one pending lifecycle action.
type Action struct {
	Group      string `json:"AutoScalingGroupName"`
	Hook       string `json:"LifecycleHookName"`
	Token      string `json:"LifecycleActionToken"`
	InstanceID string `json:"EC2InstanceId"`
	Transition string `json:"LifecycleTransition"`
}

// Completer completes lifecycle actions.
type Completer struct{ API API }

// Complete tells Auto Scaling to CONTINUE the action (terminate now).
func (c Completer) Complete(ctx context.Context, a Action) error {
	_, err := c.API.CompleteLifecycleAction(ctx, &autoscaling.CompleteLifecycleActionInput{
		AutoScalingGroupName:  aws.String(a.Group),
		LifecycleHookName:     aws.String(a.Hook),
		LifecycleActionToken:  aws.String(a.Token),
		InstanceId:            aws.String(a.InstanceID),
		LifecycleActionResult: aws.String("CONTINUE"),
	})
	if err != nil {
		return fmt.Errorf("scaling: complete lifecycle action: %w", err)
	}
	return nil
}

// HealthAPI is the part of the Auto Scaling client MarkUnhealthy uses.
type HealthAPI interface {
	SetInstanceHealth(ctx context.Context, in *autoscaling.SetInstanceHealthInput, optFns ...func(*autoscaling.Options)) (*autoscaling.SetInstanceHealthOutput, error)
}

var _ HealthAPI = (*autoscaling.Client)(nil)

// MarkUnhealthy tells Auto Scaling that instanceID is unhealthy, so that its
// group replaces it now, also within the health check grace period (a
// process that crash-loops at boot must not keep its place either).
func MarkUnhealthy(ctx context.Context, api HealthAPI, instanceID string) error {
	_, err := api.SetInstanceHealth(ctx, &autoscaling.SetInstanceHealthInput{
		InstanceId:               aws.String(instanceID),
		HealthStatus:             aws.String("Unhealthy"),
		ShouldRespectGracePeriod: aws.Bool(false),
	})
	if err != nil {
		return fmt.Errorf("scaling: set instance health of %s: %w", instanceID, err)
	}
	return nil
}
