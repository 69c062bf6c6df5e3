package mail_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// testTLS makes a certificate for localhost and a client config trusting it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "localhost"}
}

type received struct {
	from, to, user string
	tls            bool
	data           string
}

type backend struct {
	mu   sync.Mutex
	msgs []received
}

func (b *backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{b: b, cur: received{tls: isTLS}}, nil
}

type session struct {
	b   *backend
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "mailer" || pass != "test-only-pass" {
			return errors.New("bad credentials")
		}
		s.cur.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.cur.user == "" {
		return gosmtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error { s.cur.to = to; return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func TestSMTPStartTLSAuth(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	be := &backend{}
	srv := gosmtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = serverTLS
	srv.AllowInsecureAuth = false // AUTH only after STARTTLS
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	_, port, _ := net.SplitHostPort(ln.Addr().String())
	tests := []struct {
		desc    string
		url     string
		wantErr bool
	}{
		{"good credentials", "smtp://mailer:test-only-pass@localhost:" + port, false},
		{"bad credentials", "smtp://mailer:wrong@localhost:" + port, true},
	}
	for _, tc := range tests {
		s, err := mail.NewSMTP(tc.url, "CrumbCommander <no-reply@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		s.TLS = clientTLS
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.Send(ctx, mail.Message{To: "ann@example.com", Subject: "Schedule for the week of 2026-11-30 ✓", Text: "Mon 09:00–17:00", HTML: "<p>Mon</p>"})
		cancel()
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v", tc.desc, err)
		}
		if err != nil && strings.Contains(err.Error(), "wrong") {
			t.Errorf("%s: error leaks the password: %v", tc.desc, err)
		}
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(be.msgs))
	}
	m := be.msgs[0]
	if !m.tls || m.user != "mailer" || m.from != "no-reply@example.com" || m.to != "ann@example.com" {
		t.Errorf("delivery %+v", m)
	}
	for _, want := range []string{"multipart/alternative", "text/plain; charset=utf-8", "text/html; charset=utf-8", "Subject: =?utf-8?q?"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("message lacks %q:\n%s", want, m.data)
		}
	}
}

func TestDevBox(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		clock := testutil.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
		box := &mail.DevBox{DB: d, Clock: clock.Now}
		ctx := context.Background()
		for _, to := range []string{"ann@example.com", "bob@example.com", "ann@example.com"} {
			if err := box.Send(ctx, mail.Message{To: to, Subject: "s", Text: "t", HTML: "<p>h</p>"}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		tests := []struct {
			desc   string
			to     string
			before int64
			limit  int
			want   []int64
		}{
			{"all newest first", "", 0, 10, []int64{3, 2, 1}},
			{"by recipient", "ann@example.com", 0, 10, []int64{3, 1}},
			{"page", "", 3, 1, []int64{2}},
		}
		for _, tc := range tests {
			got, err := box.List(ctx, tc.to, tc.before, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			if len(ids) != len(tc.want) || (len(ids) > 0 && ids[0] != tc.want[0]) {
				t.Errorf("%s: ids %v, want %v", tc.desc, ids, tc.want)
			}
		}
		got, _ := box.List(ctx, "", 0, 1)
		if !got[0].At.Equal(time.Date(2026, 11, 26, 12, 2, 0, 0, time.UTC)) || got[0].HTML != "<p>h</p>" {
			t.Errorf("stored %+v", got[0])
		}
	})
}
