package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// SMS keywords (AWS End User Messaging's defaults for opt-out and help).
var (
	stopWords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT", "REVOKE"}
	startWords = []string{"START", "UNSTOP", "YES", "OPTIN"}
	helpWords  = []string{"HELP", "INFO"}
)

// HelpText answers HELP.
const HelpText = "CrumbCommander shift alerts. Reply STOP to stop texts, START to resume. Settings: %s/account/preferences"

// InboundSMS applies a text a person sent to our number (the two-way SMS
// hook): STOP records the number as opted out, so no SMS goes to it until
// START; HELP is answered. Anything else is ignored. The opt-out and its
// audit row commit together; a repeated delivery changes nothing.
func (s *Store) InboundSMS(ctx context.Context, messageID, from, body string) error {
	phone, ok := NormalizePhone(from)
	if !ok {
		return nil
	}
	word := strings.ToUpper(strings.TrimSpace(body))
	if i := strings.IndexAny(word, " \n\t"); i > 0 {
		word = word[:i]
	}
	switch {
	case contains(stopWords, word):
		return s.Writer.Do(ctx, func(tx *outbox.Tx) error {
			ignore := "INSERT OR IGNORE"
			if tx.DB.IsMySQL() {
				ignore = "INSERT IGNORE"
			}
			res, err := tx.ExecContext(ctx, ignore+` INTO sms_optouts (phone, opted_out_at, message_id) VALUES (?, ?, ?)`, phone, tx.Now(), trim(messageID, 100))
			if err != nil {
				return fmt.Errorf("notify: sms stop: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				s.auditPhone(ctx, tx, phone, "sms.stop", messageID)
			}
			return nil
		})
	case contains(startWords, word):
		return s.Writer.Do(ctx, func(tx *outbox.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM sms_optouts WHERE phone = ?`, phone)
			if err != nil {
				return fmt.Errorf("notify: sms start: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				s.auditPhone(ctx, tx, phone, "sms.start", messageID)
			}
			return nil
		})
	case contains(helpWords, word):
		if s.SMS == nil {
			return nil
		}
		return s.SMS.Send(ctx, phone, fmt.Sprintf(HelpText, s.BaseURL))
	}
	return nil
}

// auditPhone records a keyword against the people whose phone it is (the
// system acting), or once without a person.
func (s *Store) auditPhone(ctx context.Context, tx *outbox.Tx, phone, action, messageID string) {
	detail := map[string]string{"phone": maskPhone(phone), "message_id": messageID}
	ids, err := s.idsTx(ctx, tx, `SELECT user_id FROM notification_settings WHERE phone = ? ORDER BY user_id`, phone)
	if err != nil || len(ids) == 0 {
		tx.Audit(outbox.Audit{ActorID: auth.System.UserID, Action: action, Entity: "phone", Detail: detail})
		return
	}
	for _, id := range ids {
		tx.Audit(outbox.Audit{ActorID: auth.System.UserID, Action: action, Entity: "user", EntityID: id, Detail: detail})
	}
}

func (s *Store) idsTx(ctx context.Context, tx *outbox.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
