package db_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// TestMySQLOverVerifiedTLS runs a throwaway MariaDB that refuses insecure
// transport (as the RDS parameter group does) with a certificate from a
// test CA: with CAFile the app connects; without TLS it is refused; with
// another CA the certificate is not trusted.
func TestMySQLOverVerifiedTLS(t *testing.T) {
	daemon, install := "/usr/sbin/mariadbd", "/usr/bin/mariadb-install-db"
	if _, err := os.Stat(daemon); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; scripts/test installs MariaDB", daemon)
		}
		t.Skip("MariaDB is not installed here")
	}
	dir := t.TempDir()
	ca, caKey := newCA(t, "crumb test CA")
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	other, _ := newCA(t, "some other CA")
	writePEM(t, filepath.Join(dir, "other.pem"), "CERTIFICATE", other.Raw)
	cert, key := newServerCert(t, ca, caKey)
	writePEM(t, filepath.Join(dir, "server.pem"), "CERTIFICATE", cert)
	writePEM(t, filepath.Join(dir, "server-key.pem"), "EC PRIVATE KEY", key)

	data := filepath.Join(dir, "data")
	// A private tmpdir: the bootstrap's temporary tables must not share
	// /tmp with other MariaDB processes on the machine.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	// The server runs as whoever runs the tests (root must say so).
	var asUser []string
	if os.Geteuid() == 0 {
		asUser = []string{"--user=root"}
	}
	if out, err := exec.Command(install, append([]string{"--no-defaults", "--datadir=" + data, "--tmpdir=" + tmp, "--auth-root-authentication-method=normal",
		"--skip-test-db"}, asUser...)...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()
	srv := exec.Command(daemon, append([]string{"--no-defaults", "--datadir=" + data, "--tmpdir=" + tmp, "--bind-address=127.0.0.1",
		fmt.Sprintf("--port=%d", port), "--socket=" + filepath.Join(dir, "sock"),
		"--require-secure-transport=ON", "--ssl-ca=" + filepath.Join(dir, "ca.pem"),
		"--ssl-cert=" + filepath.Join(dir, "server.pem"), "--ssl-key=" + filepath.Join(dir, "server-key.pem")}, asUser...)...)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if i == 200 {
			t.Fatal("the TLS MariaDB never listened")
		}
		time.Sleep(50 * time.Millisecond)
	}
	url := fmt.Sprintf("mysql://root@localhost:%d/mysql", port)
	ctx := context.Background()

	d, err := db.Open(ctx, url, db.Options{CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	var cipher, name string
	if err := d.QueryRowContext(ctx, "SHOW STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
		t.Fatalf("session cipher %q, %v: not over TLS", cipher, err)
	}
	d.Close()

	if d, err := db.Open(ctx, url, db.Options{}); err == nil {
		d.Close()
		t.Fatal("a plain connection was accepted; the server requires TLS")
	}
	if d, err := db.Open(ctx, url, db.Options{CAFile: filepath.Join(dir, "other.pem")}); err == nil {
		d.Close()
		t.Fatal("a server certificate from an untrusted CA was accepted")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted CA: %v, want a certificate error", err)
	}
	if _, err := db.Open(ctx, url, db.Options{CAFile: filepath.Join(dir, "missing.pem")}); err == nil || !strings.Contains(err.Error(), "CA file") {
		t.Errorf("missing CA file: %v", err)
	}
}

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func newServerCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (cert, key []byte) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	return der, kd
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
