package testutil

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSEndpointEnv names the AWS emulator (moto server) the tests use;
// scripts/test starts one and sets it. Without it the first test that asks
// starts a private moto server for its test binary.
const AWSEndpointEnv = "CRUMB_TEST_AWS_ENDPOINT"

// motoStartTimeout bounds the wait for a private moto server to answer.
const motoStartTimeout = 60 * time.Second

// motoScript runs moto's threaded server on the given port until its stdin
// closes: the server ends with the test binary however that ends, even when
// killed, and Cleanup closes stdin to stop it sooner.
const motoScript = `import sys
from moto.server import ThreadedMotoServer
s = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
s.start()
sys.stdin.read()
s.stop()
`

var moto struct {
	once     sync.Once
	endpoint string
	err      error
}

// AWSEndpoint returns the base URL of the AWS emulator: CRUMB_TEST_AWS_ENDPOINT
// when set, else a moto server started once for this test binary. When moto
// is missing the test fails under CI=true and is skipped elsewhere.
func AWSEndpoint(t testing.TB) string {
	t.Helper()
	if v := os.Getenv(AWSEndpointEnv); v != "" {
		return v
	}
	moto.once.Do(func() { moto.endpoint, moto.err = startMoto() })
	if moto.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("AWS emulator: %v (install moto: pip install 'moto[server]')", moto.err)
		}
		t.Skipf("AWS emulator: %v (install moto: pip install 'moto[server]')", moto.err)
	}
	return moto.endpoint
}

// PrivateAWSEndpoint starts a moto server of this test's own, for tests
// that read the emulator's whole recorded state (/moto-api/data.json),
// which fails once other tests' S3 buckets come and go on a shared one.
func PrivateAWSEndpoint(t testing.TB) string {
	t.Helper()
	endpoint, err := startMoto()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("AWS emulator: %v (install moto: pip install 'moto[server]')", err)
		}
		t.Skipf("AWS emulator: %v (install moto: pip install 'moto[server]')", err)
	}
	return endpoint
}

// startMoto starts `python3 -m moto.server`'s threaded server on a free port
// and waits until it answers.
func startMoto() (string, error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("python3 not found: %w", err)
	}
	if err := exec.Command(py, "-c", "import moto.server").Run(); err != nil {
		return "", fmt.Errorf("python3 cannot import moto.server: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(py, "-c", motoScript, strconv.Itoa(port))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start moto: %w", err)
	}
	go func() { _ = cmd.Wait() }() // reaps the server once stdin closes
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitForHTTP(endpoint+"/moto-api/data.json", motoStartTimeout); err != nil {
		stdin.Close()
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("moto on port %d: %w", port, err)
	}
	// stdin stays open for the life of the test binary; its exit closes it.
	return endpoint, nil
}

// freePort asks the kernel for a port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitForHTTP polls url until it answers 200 or timeout passes.
func waitForHTTP(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s: %w", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// AWSConfig returns an SDK configuration that talks to the emulator with
// dummy credentials in us-east-1.
func AWSConfig(t testing.TB) aws.Config {
	t.Helper()
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(AWSEndpoint(t)),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
}

// UniqueName returns prefix plus a random suffix: tests share one emulator,
// across packages too, so each names its own buckets, secrets and topics.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
