package app

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Sockets get small buffers (hub.NewUpgrade); nothing may be lost on the
// way: a client frame sent in the same packet as the handshake (read by
// net/http before the hijack) is answered, and a frame larger than the
// buffer arrives whole.
func TestWSSmallBuffersLoseNothing(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /api/v1/ws HTTP/1.1\r\nHost: " + strings.TrimPrefix(n.URL, "http://") + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " + testOrigin + "\r\n" +
		"Authorization: Bearer " + f.Employee + "\r\n\r\n"
	// The request and a first frame in one write, then a message larger
	// than the read buffer (still under ReadLimit).
	if _, err := conn.Write(append([]byte(req), maskedText(`{"type":"ping"}`)...)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(maskedText(`{"type":"ping","pad":"` + strings.Repeat("p", 3*hub.SocketReadBufferSize) + `"}`)); err != nil {
		t.Fatal(err)
	}
	pongs := 0
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", res, err)
	}
	want := map[string]bool{`{"type":"pong"}`: false, `"type":"ready"`: false}
	big := strings.Repeat("x", 3*hub.SocketWriteBufferSize)
	sent := false
	for {
		msg := readServerText(t, br)
		if msg == `{"type":"pong"}` {
			pongs++
		}
		for k := range want {
			if strings.Contains(msg, k) {
				want[k] = true
			}
		}
		if pongs == 2 && want[`"type":"ready"`] && !sent {
			sent = true
			if err := n.App.Writer.Do(context.Background(), func(tx *outbox.Tx) error {
				tx.Emit(outbox.UserTopic(f.EmployeeID), "test.big", map[string]string{"pad": big})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Contains(msg, "test.big") {
			if !strings.Contains(msg, big) {
				t.Fatalf("large frame cut: %d bytes", len(msg))
			}
			return
		}
	}
}

// maskedText is a client text frame (clients must mask).
func maskedText(s string) []byte {
	key := []byte{1, 2, 3, 4}
	b := []byte{0x81, 0x80 | byte(len(s))}
	if len(s) >= 126 {
		b = []byte{0x81, 0x80 | 126, byte(len(s) >> 8), byte(len(s))}
	}
	b = append(b, key...)
	for i := range len(s) {
		b = append(b, s[i]^key[i%4])
	}
	return b
}

// readServerText reads the next unmasked server text frame, skipping
// control frames (the keepalive's pings).
func readServerText(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	for {
		op, p := readServerFrame(t, br)
		if op == 1 {
			return p
		}
	}
}

func readServerFrame(t *testing.T, br *bufio.Reader) (byte, string) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatal(err)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		io.ReadFull(br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		io.ReadFull(br, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0f, string(p)
}
