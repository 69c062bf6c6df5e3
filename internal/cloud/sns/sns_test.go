package sns

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// testSigner is a locally made SNS signing certificate.
type testSigner struct {
	key     *rsa.PrivateKey
	certPEM []byte
}

func newSigner(t *testing.T) *testSigner {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Sign fills m's signature fields.
func (s *testSigner) Sign(t *testing.T, m *Message) {
	t.Helper()
	canon, err := Canonical(m)
	if err != nil {
		t.Fatal(err)
	}
	var sig []byte
	if m.SignatureVersion == "1" {
		d := sha1.Sum([]byte(canon))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(canon))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// certServer answers every GET with the certificate, counting fetches.
func certServer(s *testSigner, fetches *atomic.Int32) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		fetches.Add(1)
		return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(s.certPEM)), Header: http.Header{}}, nil
	})}
}

const certURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"

func notification(version string) Message {
	return Message{Type: TypeNotification, MessageID: "m-1", TopicArn: "arn:aws:sns:us-east-1:123456789012:crumb-ops",
		Subject: "ALARM", Message: `{"AlarmName":"backlog","NewStateValue":"ALARM"}`, Timestamp: "2026-11-26T12:00:00.000Z",
		SignatureVersion: version, SigningCertURL: certURL}
}

func TestVerify(t *testing.T) {
	signer := newSigner(t)
	other := newSigner(t)
	tests := []struct {
		desc    string
		msg     func(t *testing.T) Message
		wantErr bool
	}{
		{"valid v1", func(t *testing.T) Message { m := notification("1"); signer.Sign(t, &m); return m }, false},
		{"valid v2", func(t *testing.T) Message { m := notification("2"); signer.Sign(t, &m); return m }, false},
		{"valid without subject", func(t *testing.T) Message {
			m := notification("2")
			m.Subject = ""
			signer.Sign(t, &m)
			return m
		}, false},
		{"valid subscription confirmation", func(t *testing.T) Message {
			m := Message{Type: TypeSubscriptionConfirmation, MessageID: "m-2", Token: "tok", TopicArn: "arn:aws:sns:us-east-1:1:t",
				Message: "confirm", SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=tok",
				Timestamp: "2026-11-26T12:00:00.000Z", SignatureVersion: "1", SigningCertURL: certURL}
			signer.Sign(t, &m)
			return m
		}, false},
		{"tampered message", func(t *testing.T) Message {
			m := notification("2")
			signer.Sign(t, &m)
			m.Message = `{"AlarmName":"backlog","NewStateValue":"OK"}`
			return m
		}, true},
		{"signed by another key", func(t *testing.T) Message { m := notification("1"); other.Sign(t, &m); return m }, true},
		{"wrong host", func(t *testing.T) Message {
			m := notification("2")
			m.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
			signer.Sign(t, &m)
			return m
		}, true},
		{"other region", func(t *testing.T) Message {
			m := notification("2")
			m.SigningCertURL = "https://sns.eu-west-1.amazonaws.com/cert.pem"
			signer.Sign(t, &m)
			return m
		}, true},
		{"plain http", func(t *testing.T) Message {
			m := notification("2")
			m.SigningCertURL = "http://sns.us-east-1.amazonaws.com/cert.pem"
			signer.Sign(t, &m)
			return m
		}, true},
		{"unknown signature version", func(t *testing.T) Message {
			m := notification("2")
			signer.Sign(t, &m)
			m.SignatureVersion = "3"
			return m
		}, true},
	}
	var fetches atomic.Int32
	v := &Verifier{Region: "us-east-1", HTTP: certServer(signer, &fetches)}
	for _, tc := range tests {
		m := tc.msg(t)
		err := v.Verify(context.Background(), &m)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.desc, err, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v is not ErrInvalid", tc.desc, err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("certificate fetched %d times, want 1 (cached)", n)
	}
}

func TestConfirmOnlyOnSNSHost(t *testing.T) {
	var visited []string
	v := &Verifier{Region: "us-east-1", HTTP: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		visited = append(visited, r.URL.String())
		return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(nil)), Header: http.Header{}}, nil
	})}}
	good := &Message{SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t"}
	bad := &Message{SubscribeURL: "https://attacker.example/?Action=ConfirmSubscription"}
	if err := v.Confirm(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	if err := v.Confirm(context.Background(), bad); err == nil {
		t.Error("confirm to a foreign host succeeded")
	}
	if len(visited) != 1 || visited[0] != good.SubscribeURL {
		t.Errorf("visited %v", visited)
	}
}
