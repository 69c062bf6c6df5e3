package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"time"
)

// SMTP sends through a submission server with STARTTLS (required) and PLAIN
// auth when the URL carries credentials: smtp://user:pass@host:587.
type SMTP struct {
	Addr     string
	Host     string
	Username string
	Password string
	From     string
	// TLS overrides the TLS settings (tests trust their own CA).
	TLS   *tls.Config
	Clock func() time.Time
}

var _ Sender = (*SMTP)(nil)

// NewSMTP parses CRUMB_SMTP_URL.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, errors.New("mail: CRUMB_SMTP_URL must look like smtp://user:pass@host:587")
	}
	s := &SMTP{Addr: u.Host, Host: u.Hostname(), From: from}
	if u.Port() == "" {
		s.Addr = net.JoinHostPort(u.Hostname(), "587")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// Send delivers m. The connection's deadline follows ctx.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	now := time.Now
	if s.Clock != nil {
		now = s.Clock
	}
	msg, err := MIME(s.From, m, now())
	if err != nil {
		return fmt.Errorf("mail: render: %w", err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("mail: smtp dial: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(time.Minute))
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return fmt.Errorf("mail: smtp hello: %w", err)
	}
	defer c.Close()
	tlsCfg := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		tlsCfg = s.TLS.Clone()
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = s.Host
		}
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return errors.New("mail: smtp server does not offer STARTTLS")
	}
	if err := c.StartTLS(tlsCfg); err != nil {
		return fmt.Errorf("mail: starttls: %w", err)
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("mail: smtp auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: end data: %w", err)
	}
	return c.Quit()
}
