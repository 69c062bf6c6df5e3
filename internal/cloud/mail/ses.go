package mail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// SESAPI is the part of the SES v2 client used here.
type SESAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ SESAPI = (*sesv2.Client)(nil)

// SES sends through Amazon SES v2.
type SES struct {
	API  SESAPI
	From string
}

var _ Sender = (*SES)(nil)

// Send delivers m as a simple (text + HTML) message.
func (s *SES) Send(ctx context.Context, m Message) error {
	utf8 := aws.String("UTF-8")
	_, err := s.API.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
		}},
	})
	if err != nil {
		return fmt.Errorf("mail: ses send: %w", err)
	}
	return nil
}
