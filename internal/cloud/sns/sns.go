// Package sns verifies Amazon SNS HTTP(S) messages: the signing certificate
// is fetched only over https from sns.<region>.amazonaws.com (and cached),
// and the signature (version 1: SHA1withRSA, version 2: SHA256withRSA) must
// cover the canonical string of the message.
package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Message types.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Message is the JSON body SNS POSTs.
type Message struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token,omitempty"`
	TopicArn         string `json:"TopicArn"`
	Subject          string `json:"Subject,omitempty"`
	Message          string `json:"Message"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL,omitempty"`
	UnsubscribeURL   string `json:"UnsubscribeURL,omitempty"`
}

// ErrInvalid is wrapped by every verification failure that is the message's
// fault. Failing to fetch the signing certificate (DNS, a timeout, an SNS
// 5xx) is not: the message may be genuine and should be delivered again.
var ErrInvalid = errors.New("sns: invalid message")

// Verifier checks message signatures.
type Verifier struct {
	Region string
	// HTTP fetches certificates and confirms subscriptions; tests route it
	// to a local server. Nil uses a client with a 10 s timeout.
	HTTP *http.Client
	// Endpoint, when set (CRUMB_AWS_ENDPOINT_URL, an AWS emulator), is where
	// certificate and subscribe URLs, still required to name the SNS host,
	// are fetched from instead: same path and query, this scheme and host.
	Endpoint string

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

// get fetches an allowed SNS URL, from Endpoint when set.
func (v *Verifier) get(ctx context.Context, raw string) (*http.Response, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: URL", ErrInvalid)
	}
	if v.Endpoint != "" {
		e, err := url.Parse(v.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("sns: endpoint: %w", err)
		}
		u.Scheme, u.Host = e.Scheme, e.Host
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: URL", ErrInvalid)
	}
	if v.Endpoint != "" {
		// An emulator serves every service on one port and tells them apart
		// by the credential scope; these GETs are unsigned on AWS, so only
		// the scope is sent (no key, no signature).
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=none/20000101/"+v.Region+"/sns/aws4_request")
	}
	return v.client().Do(req)
}

func (v *Verifier) client() *http.Client {
	if v.HTTP != nil {
		return v.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// AllowedURL reports whether raw is an https URL on this region's SNS host.
// Both certificate and subscribe URLs must pass.
func (v *Verifier) AllowedURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.User == nil && u.Port() == "" &&
		strings.EqualFold(u.Host, "sns."+v.Region+".amazonaws.com")
}

// Verify checks m's signature.
func (v *Verifier) Verify(ctx context.Context, m *Message) error {
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return fmt.Errorf("%w: signature version %q", ErrInvalid, m.SignatureVersion)
	}
	if !v.AllowedURL(m.SigningCertURL) || !strings.HasSuffix(m.SigningCertURL, ".pem") {
		return fmt.Errorf("%w: certificate URL not on sns.%s.amazonaws.com", ErrInvalid, v.Region)
	}
	canon, err := Canonical(m)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature encoding", ErrInvalid)
	}
	cert, err := v.cert(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: certificate key is not RSA", ErrInvalid)
	}
	var digest []byte
	if h == crypto.SHA1 {
		d := sha1.Sum([]byte(canon))
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(canon))
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
		return fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	return nil
}

// Canonical builds the string SNS signs: "Name\nvalue\n" for the message
// type's fields in byte order, Subject only when present.
func Canonical(m *Message) (string, error) {
	type kv struct{ k, v string }
	var fields []kv
	switch m.Type {
	case TypeNotification:
		fields = []kv{{"Message", m.Message}, {"MessageId", m.MessageID}}
		if m.Subject != "" {
			fields = append(fields, kv{"Subject", m.Subject})
		}
		fields = append(fields, kv{"Timestamp", m.Timestamp}, kv{"TopicArn", m.TopicArn}, kv{"Type", m.Type})
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		fields = []kv{{"Message", m.Message}, {"MessageId", m.MessageID}, {"SubscribeURL", m.SubscribeURL},
			{"Timestamp", m.Timestamp}, {"Token", m.Token}, {"TopicArn", m.TopicArn}, {"Type", m.Type}}
	default:
		return "", fmt.Errorf("%w: type %q", ErrInvalid, m.Type)
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f.k)
		b.WriteByte('\n')
		b.WriteString(f.v)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// cert returns the certificate at u, fetched once.
func (v *Verifier) cert(ctx context.Context, u string) (*x509.Certificate, error) {
	v.mu.Lock()
	c, ok := v.certs[u]
	v.mu.Unlock()
	if ok {
		return c, nil
	}
	resp, err := v.get(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("sns: fetch certificate: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		// SNS's host is having trouble: temporary, not the message's fault.
		return nil, fmt.Errorf("sns: fetch certificate: status %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: certificate: status %d", ErrInvalid, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("sns: read certificate: %w", err)
	}
	block, _ := pem.Decode(body)
	if block == nil {
		return nil, fmt.Errorf("%w: certificate is not PEM", ErrInvalid)
	}
	c, err = x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrInvalid, err)
	}
	v.mu.Lock()
	if v.certs == nil {
		v.certs = map[string]*x509.Certificate{}
	}
	v.certs[u] = c
	v.mu.Unlock()
	return c, nil
}

// Confirm visits the SubscribeURL of a verified SubscriptionConfirmation,
// only when it points at the SNS host.
func (v *Verifier) Confirm(ctx context.Context, m *Message) error {
	if !v.AllowedURL(m.SubscribeURL) {
		return fmt.Errorf("%w: subscribe URL not on sns.%s.amazonaws.com", ErrInvalid, v.Region)
	}
	resp, err := v.get(ctx, m.SubscribeURL)
	if err != nil {
		return fmt.Errorf("sns: confirm subscription: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sns: confirm subscription: status %d", resp.StatusCode)
	}
	return nil
}
