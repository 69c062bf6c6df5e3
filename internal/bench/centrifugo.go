//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
)

// CentrifugoInstall is how to get the Centrifugo the benchmark compares with.
const CentrifugoInstall = "go install github.com/centrifugal/centrifugo/v6@v6.9.1"

// FindCentrifugo returns the centrifugo binary: path if given, else the one
// on PATH; its error says how to install it.
func FindCentrifugo(path string) (string, error) {
	if path == "" {
		path = "centrifugo"
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("bench: no centrifugo (%v): install it with %q (GOBIN=$PWD/.bin keeps it in the repository's ignored .bin), then put it on PATH or pass --centrifugo PATH; --no-centrifugo leaves it out", err, CentrifugoInstall)
	}
	return p, nil
}

// centrifugoTarget drives Centrifugo v6 with its defaults (memory broker,
// JSON protocol) except: anonymous clients may connect and subscribe to
// any channel, and the HTTP API needs no key. Each subscriber connects
// and subscribes to one channel; each publish goes through the HTTP API.
type centrifugoTarget struct {
	*child
	pad string
}

const centrifugoChannel = "dept1"

func newCentrifugo(ctx context.Context, exe string) (*centrifugoTarget, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	c, err := startChild(ctx, exe, addr, []string{"--client.insecure", "--http_api.insecure"}, []string{
		"CENTRIFUGO_HTTP_SERVER_ADDRESS=" + host, "CENTRIFUGO_HTTP_SERVER_PORT=" + port,
		"CENTRIFUGO_HEALTH_ENABLED=true", "CENTRIFUGO_LOG_LEVEL=error",
	}, "/health")
	if err != nil {
		return nil, err
	}
	return &centrifugoTarget{child: c, pad: strings.Repeat("x", 120)}, nil
}

func (t *centrifugoTarget) socket(int) (string, http.Header) {
	return wsURL(t.url) + "/connection/websocket", nil
}

// hello is the connect and subscribe commands, in one message (the JSON
// protocol takes several commands, one a line).
func (t *centrifugoTarget) hello() []byte {
	return []byte(`{"id":1,"connect":{}}` + "\n" + `{"id":2,"subscribe":{"channel":"` + centrifugoChannel + `"}}`)
}

// publish sends data shaped and sized like our employee.updated frame.
func (t *centrifugoTarget) publish(ctx context.Context, k int) error {
	body := fmt.Sprintf(`{"channel":%q,"data":{"type":"event","seq":%d,"topic":"dept:1","event":"employee.updated","at":"2026-11-26T18:00:00Z","data":{"id":2,"name":"B%d Bench","role":"employee","department_ids":[1],"active":true,"resubscribe":false,"pad":"%s"}}}`,
		centrifugoChannel, k, k, t.pad[:20])
	req, _ := http.NewRequestWithContext(ctx, "POST", t.url+"/api/publish", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.Contains(string(b), `"error"`) {
		return errors.New("bench: centrifugo publish: " + res.Status + " " + string(b))
	}
	return nil
}
