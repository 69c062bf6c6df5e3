package deploy

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	nginxConfPath = "nginx/crumb.conf"
	nginxHost     = "crumb.example.com" // server_name in crumb.conf
	certInConf    = "/etc/nginx/tls/crumb.crt"
	keyInConf     = "/etc/nginx/tls/crumb.key"
)

// writeTestCert writes a self-signed certificate for nginxHost and 127.0.0.1
// into dir and returns a pool that trusts it.
func writeTestCert(t *testing.T, dir string) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: nginxHost},
		DNSNames:              []string{nginxHost},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "crumb.crt"), filepath.Join(dir, "crumb.key")
	writePEM(t, certPath, "CERTIFICATE", der)
	writePEM(t, keyPath, "EC PRIVATE KEY", keyDER)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// nginxPrefix prepares a prefix folder with a test certificate and a main
// nginx.conf that includes crumb.conf after edit; it returns the main file.
func nginxPrefix(t *testing.T, edit func(conf string) string) (dir, mainConf string, pool *x509.CertPool) {
	t.Helper()
	dir = t.TempDir()
	certPath, keyPath, pool := writeTestCert(t, dir)
	src, err := os.ReadFile(nginxConfPath)
	if err != nil {
		t.Fatal(err)
	}
	conf := mustReplace(t, string(src), certInConf, certPath)
	conf = mustReplace(t, conf, keyInConf, keyPath)
	if edit != nil {
		conf = edit(conf)
	}
	included := filepath.Join(dir, "crumb.conf")
	if err := os.WriteFile(included, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[2]s;
}
`, dir, included)
	mainConf = filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainConf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, mainConf, pool
}

func mustReplace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("%s no longer contains %q; update the test", nginxConfPath, old)
	}
	return strings.ReplaceAll(s, old, new)
}

// TestNginxConfig runs `nginx -t` on crumb.conf with only the certificate
// paths changed, and checks the settings a syntax test cannot see.
func TestNginxConfig(t *testing.T) {
	nginx := requireTool(t, "nginx", "/usr/sbin/nginx")
	dir, mainConf, _ := nginxPrefix(t, nil)
	out, err := exec.Command(nginx, "-t", "-p", dir, "-c", mainConf, "-e", filepath.Join(dir, "error.log")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("[warn]")) {
		t.Errorf("nginx -t warns:\n%s", out)
	}
	src, _ := os.ReadFile(nginxConfPath)
	ws := regexp.MustCompile(`(?s)location = /api/v1/ws \{(.*?)\}`).FindSubmatch(src)
	if ws == nil || !bytes.Contains(ws[1], []byte("proxy_read_timeout 3600s;")) {
		t.Error("the /api/v1/ws location has no proxy_read_timeout 3600s")
	}
	if !bytes.Contains(src, []byte("client_max_body_size 1m;")) {
		t.Error("no client_max_body_size 1m")
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProxy runs nginx with crumb.conf on loopback ports in front of backend.
func startProxy(t *testing.T, backend string) (httpPort, httpsPort int, pool *x509.CertPool) {
	t.Helper()
	nginx := requireTool(t, "nginx", "/usr/sbin/nginx")
	httpPort, httpsPort = freePort(t), freePort(t)
	dir, mainConf, pool := nginxPrefix(t, func(conf string) string {
		conf = mustReplace(t, conf, "listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort))
		conf = mustReplace(t, conf, "listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", httpsPort))
		conf = mustReplace(t, conf, "server 127.0.0.1:8080;", "server "+backend+";")
		return regexp.MustCompile(`(?m)^\s*listen \[::\].*\n`).ReplaceAllString(conf, "")
	})
	var stderr bytes.Buffer
	cmd := exec.Command(nginx, "-p", dir, "-c", mainConf, "-e", filepath.Join(dir, "error.log"))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", httpsPort))
		if err == nil {
			c.Close()
			return httpPort, httpsPort, pool
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start: %v\n%s\n%s", err, stderr.String(), log)
		}
	}
}

// testBackend stands in for crumb serve: it echoes the request headers it got,
// sets security headers of its own (which nginx must not duplicate), and
// echoes one WebSocket message on /api/v1/ws.
func testBackend(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		reply := fmt.Sprintf("%s via %s", msg, r.Header.Get("X-Forwarded-Proto"))
		_ = c.Write(ctx, typ, []byte(reply))
		c.Close(websocket.StatusNormalClosure, "")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = bytes.NewBuffer(nil).ReadFrom(r.Body)
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Strict-Transport-Security", "max-age=1")
		w.Header().Set("Content-Type", "application/json")
		headers := map[string]string{"Host": r.Host}
		for k := range r.Header {
			headers[k] = r.Header.Get(k)
		}
		_ = json.NewEncoder(w).Encode(headers)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestNginxProxy runs nginx with crumb.conf (ports and upstream moved to test
// values) and checks what a browser and the app would see.
func TestNginxProxy(t *testing.T) {
	backend := testBackend(t)
	httpPort, httpsPort, pool := startProxy(t, strings.TrimPrefix(backend.URL, "http://"))
	tlsConf := &tls.Config{RootCAs: pool, ServerName: nginxHost}
	client := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: tlsConf},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	base := fmt.Sprintf("https://127.0.0.1:%d", httpsPort)
	do := func(t *testing.T, method, url string, body []byte) (*http.Response, map[string]string) {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = nginxHost
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		seen := map[string]string{}
		_ = json.NewDecoder(resp.Body).Decode(&seen)
		return resp, seen
	}

	t.Run("HTTP redirects to HTTPS", func(t *testing.T) {
		resp, _ := do(t, "GET", fmt.Sprintf("http://127.0.0.1:%d/my/shifts?week=2", httpPort), nil)
		want := "https://" + nginxHost + "/my/shifts?week=2"
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Errorf("got %d Location %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
	})
	t.Run("forwarded headers reach the app", func(t *testing.T) {
		_, seen := do(t, "GET", base+"/api/v1/me", nil)
		want := map[string]string{
			"Host": nginxHost, "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1",
			"X-Real-Ip": "127.0.0.1", "Upgrade": "",
		}
		for k, v := range want {
			if seen[k] != v {
				t.Errorf("app saw %s=%q, want %q", k, seen[k], v)
			}
		}
	})
	t.Run("security headers once each", func(t *testing.T) {
		resp, _ := do(t, "GET", base+"/", nil)
		want := map[string]string{
			"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
			"X-Frame-Options":           "DENY",
			"X-Content-Type-Options":    "nosniff",
			"Referrer-Policy":           "strict-origin-when-cross-origin",
			"Server":                    "nginx",
		}
		for k, v := range want {
			if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s: got %q, want exactly [%q]", k, got, v)
			}
		}
	})
	t.Run("bodies over 1 MiB refused", func(t *testing.T) {
		resp, _ := do(t, "POST", base+"/api/v1/shifts", make([]byte, 1<<20+1))
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("got %d, want 413", resp.StatusCode)
		}
		if resp, _ := do(t, "POST", base+"/api/v1/shifts", make([]byte, 1000)); resp.StatusCode != http.StatusOK {
			t.Errorf("small body: got %d, want 200", resp.StatusCode)
		}
	})
	t.Run("WebSocket upgrade", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, fmt.Sprintf("wss://127.0.0.1:%d/api/v1/ws", httpsPort), &websocket.DialOptions{
			HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}},
			Host:       nginxHost,
		})
		if err != nil {
			t.Fatalf("dial through nginx: %v", err)
		}
		defer c.CloseNow()
		if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		_, msg, err := c.Read(ctx)
		if err != nil || string(msg) != "hello via https" {
			t.Errorf("got %q, %v; want %q", msg, err, "hello via https")
		}
	})
}
