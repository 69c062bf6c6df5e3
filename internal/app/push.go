package app

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"time"

	"github.com/crumbcommander/crumb/internal/push"
)

// openPush builds the Web Push service. VAPID keys come from
// CRUMB_VAPID_PUBLIC_KEY/PRIVATE_KEY, or are generated on first start and
// stored in the database, so that every node (and every restart) signs
// with the same pair that browsers subscribed with.
func (a *App) openPush(ctx context.Context) error {
	keys, err := push.LoadKeys(ctx, a.DB, a.Cfg.VAPIDPublicKey, a.Cfg.VAPIDPrivateKey, a.Clock())
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	// The VAPID contact: an https URL as is, otherwise an address (the
	// library adds mailto:).
	subscriber := a.Cfg.BaseURL.String()
	if a.Cfg.BaseURL.Scheme != "https" {
		subscriber = a.Cfg.AdminEmail
		if from, err := mail.ParseAddress(a.Cfg.MailFrom); err == nil && subscriber == "" {
			subscriber = from.Address
		}
	}
	a.Push = &push.Service{DB: a.DB, Keys: keys, Clock: a.Clock, Log: a.Log, Subscriber: subscriber,
		HTTP: &http.Client{Timeout: 15 * time.Second}}
	return nil
}
