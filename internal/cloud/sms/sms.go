// Package sms sends text messages to phone numbers: through Amazon SNS
// (Publish with PhoneNumber), or into the dev mailbox (embedded mode), where
// admins read them beside the e-mails.
package sms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/crumbcommander/crumb/internal/db"
)

// Sender delivers one text message to an E.164 phone number.
type Sender interface {
	Send(ctx context.Context, to, body string) error
}

// PublishAPI is the part of the SNS client used here.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ PublishAPI = (*sns.Client)(nil)

// SNS sends through Amazon SNS Publish to a phone number, as transactional
// SMS. OriginationNumber (a long code, toll-free number or 10DLC number in
// E.164) or SenderID names the sender; an empty one leaves SNS to choose.
type SNS struct {
	API               PublishAPI
	OriginationNumber string
	SenderID          string
}

var _ Sender = (*SNS)(nil)

// Send publishes body to the phone number to.
func (s *SNS) Send(ctx context.Context, to, body string) error {
	attrs := map[string]types.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if s.OriginationNumber != "" {
		attrs["AWS.MM.SMS.OriginationNumber"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.OriginationNumber)}
	}
	if s.SenderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.SenderID)}
	}
	if _, err := s.API.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String(to), Message: aws.String(body), MessageAttributes: attrs}); err != nil {
		return fmt.Errorf("sms: sns publish: %w", err)
	}
	return nil
}

// DevBox stores messages in the dev mailbox (the mailbox table) with the
// phone number as the recipient and "SMS" as the subject, so the admins'
// mailbox screen shows them.
type DevBox struct {
	DB    *db.DB
	Clock func() time.Time
}

var _ Sender = (*DevBox)(nil)

// DevSubject is the subject of every SMS in the dev mailbox.
const DevSubject = "SMS"

// Send stores the message.
func (d *DevBox) Send(ctx context.Context, to, body string) error {
	now := time.Now
	if d.Clock != nil {
		now = d.Clock
	}
	_, err := d.DB.ExecContext(ctx, `INSERT INTO mailbox (to_addr, subject, text_body, html_body, created_at) VALUES (?, ?, ?, ?, ?)`,
		to, DevSubject, body, "", now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("sms: store in dev mailbox: %w", err)
	}
	return nil
}

// Segments is how many SMS parts body takes: 160 characters in one GSM-7
// part (153 per part when split), 70 in one UCS-2 part (67 when split).
func Segments(body string) int {
	n, gsm := 0, true
	for _, r := range body {
		n++
		if r > 0x7e || (r < 0x20 && r != '\n' && r != '\r') {
			gsm = false
		}
	}
	single, multi := 160, 153
	if !gsm {
		single, multi = 70, 67
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

// ErrSpendLimit is returned by Metered.Send when the month's SMS spend
// would pass the limit; nothing is sent.
var ErrSpendLimit = errors.New("sms: monthly spend limit reached")

// Metered counts the month's spend in the sms_spend table (our own counter,
// not the AWS account's MonthlySpendLimit attribute, so that the limit also
// holds in the dev mailbox and is visible to this app) and refuses a message
// that would pass LimitMicroUSD. Each segment costs PriceMicroUSD.
type Metered struct {
	Next          Sender
	DB            *db.DB
	Clock         func() time.Time
	LimitMicroUSD int64
	PriceMicroUSD int64
}

var _ Sender = (*Metered)(nil)

// Send reserves the message's cost, sends, and gives the cost back when
// the send fails.
func (m *Metered) Send(ctx context.Context, to, body string) error {
	month := m.Clock().UTC().Format("2006-01")
	cost := int64(Segments(body)) * m.PriceMicroUSD
	if err := m.reserve(ctx, month, cost, 1); err != nil {
		return err
	}
	if err := m.Next.Send(ctx, to, body); err != nil {
		if _, rerr := m.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE sms_spend SET messages = messages - 1, micro_usd = micro_usd - ? WHERE month = ?`, cost, month); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

// reserve adds cost to the month unless that passes the limit.
func (m *Metered) reserve(ctx context.Context, month string, cost, n int64) error {
	if cost > m.LimitMicroUSD {
		return ErrSpendLimit
	}
	res, err := m.DB.ExecContext(ctx, `UPDATE sms_spend SET messages = messages + ?, micro_usd = micro_usd + ? WHERE month = ? AND micro_usd + ? <= ?`,
		n, cost, month, cost, m.LimitMicroUSD)
	if err != nil {
		return fmt.Errorf("sms: reserve spend: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return nil
	}
	_, err = m.DB.ExecContext(ctx, `INSERT INTO sms_spend (month, messages, micro_usd) VALUES (?, ?, ?)`, month, n, cost)
	if db.IsDuplicate(err) {
		return ErrSpendLimit // the month exists, so the update found it over the limit
	}
	if err != nil {
		return fmt.Errorf("sms: reserve spend: %w", err)
	}
	return nil
}

// Spent returns the month's messages and spend (micro-USD).
func Spent(ctx context.Context, d *db.DB, month string) (messages, microUSD int64, err error) {
	err = d.QueryRowContext(ctx, `SELECT messages, micro_usd FROM sms_spend WHERE month = ?`, month).Scan(&messages, &microUSD)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return messages, microUSD, err
}
