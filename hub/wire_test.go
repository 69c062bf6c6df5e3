package hub

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// coderWebsocketVersion is the coder/websocket release whose write path the
// hub's frame writing was checked against (see wsTransport).
const coderWebsocketVersion = "v1.8.15"

// TestCoderWebsocketVersion pins coder/websocket: the hub writes data
// frames on the connection the library writes its control frames to, which
// relies on how this release buffers and flushes them (wsTransport). Before
// moving to another release, read its write.go and accept.go for those two
// properties, run TestWireInterleavesControlAndDataFrames with -race
// -count=20, then update coderWebsocketVersion. (Test binaries carry no
// dependency versions in their build information, so the test reads
// go.mod, which names the version built under module graph pruning.)
func TestCoderWebsocketVersion(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	replace, found := false, ""
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(strings.SplitN(line, "//", 2)[0])
		switch {
		case len(f) == 0:
		case f[0] == "replace" && len(f) > 1 && f[1] == "(":
			replace = true
		case f[0] == ")":
			replace = false
		case slices.Contains(f, "github.com/coder/websocket") && (replace || f[0] == "replace" || slices.Contains(f, "=>")):
			t.Fatalf("go.mod replaces coder/websocket (%s); the hub's frame writing is checked against %s only", line, coderWebsocketVersion)
		case f[0] == "github.com/coder/websocket" && len(f) > 1:
			found = f[1]
		case f[0] == "require" && len(f) > 2 && f[1] == "github.com/coder/websocket":
			found = f[2]
		}
	}
	if found != coderWebsocketVersion {
		t.Fatalf("go.mod requires coder/websocket %q; the hub's frame writing is checked against %s (see wsTransport)", found, coderWebsocketVersion)
	}
}

// How each client of the wire test ends.
const (
	endDrain  = iota // reads to the end: reconnect, then 1012
	endRevoke        // its session is revoked mid-stream: 4001
	endLeave         // closes the socket itself mid-stream: the server echoes 1000
	endSlow          // stops reading until evicted: 1008
)

// TestWireInterleavesControlAndDataFrames checks the hub's hand-built data
// frames on the wire, interleaved with every kind of control frame the
// library writes (pings from the server, pongs to the client's pings, close
// frames of its own, of the hub's and in answer to the client's), under
// load and with frames of every length encoding. Each client is gorilla's
// (an implementation independent of coder/websocket, which refuses bad
// frames), and every byte it receives is also parsed by the strict parser
// below: whole frames, no reserved bits, no mask, control frames final
// and short, shortest length encodings, valid UTF-8 and JSON, nothing
// after the close frame, every event once and in order.
func TestWireInterleavesControlAndDataFrames(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{QueueSize: 64, WriteTimeout: 30 * time.Second, PingInterval: time.Hour})
	const slowUser = 23
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
		up := NewUpgrade(w)
		ws, err := websocket.Accept(up, r, nil)
		if err != nil {
			return
		}
		if uid == slowUser { // a small send buffer fills at once
			up.wire.conn.(*net.TCPConn).SetWriteBuffer(4096)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // the library's pings, as fast as they are answered
			for ctx.Err() == nil {
				if ws.Ping(ctx) != nil {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		p := auth.Principal{UserID: uid, SessionID: uid, Role: auth.RoleEmployee, DeptIDs: []int64{3}}
		h.Serve(ctx, ws, up, p, 0, false)
	}))
	defer srv.Close()

	clients := map[int64]*strictClient{}
	ends := map[int64]int{10: endDrain, 11: endDrain, 12: endDrain, 20: endRevoke, 21: endLeave, slowUser: endSlow}
	for uid, end := range ends {
		clients[uid] = dialStrict(t, srv.URL, uid, end)
	}
	for uid, c := range clients {
		if uid != slowUser {
			c.waitTexts(t, 1)
		}
	}

	const events, batch = 600, 12
	sent, slowReading, left, revoked := 0, false, false, false
	// The slow client reads again once it is evicted: the close frame
	// waits for the write it stalled.
	readWhenEvicted := func() {
		if !slowReading && h.Stats().Evicted == 1 {
			slowReading = true
			clients[slowUser].startReading()
		}
	}
	for sent < events {
		var evs []ev
		for range batch {
			sent++
			evs = append(evs, ev{topic: "dept:3", typ: "wire.test", data: wirePayload(sent)})
		}
		if !left && sent >= events/4 {
			left = true
			clients[21].leave()
		}
		if !revoked && sent >= events/2 {
			revoked = true
			evs = append(evs, ev{topic: "user:20", typ: auth.EventSessionRevoked, data: auth.SessionRevoked{UserID: 20, SessionID: 20}})
		}
		h.emit(evs...)
		// Paced by the steady readers, so that only the slow one is
		// evicted.
		for uid, c := range clients {
			if ends[uid] == endDrain {
				c.waitEvents(t, sent)
			}
		}
		readWhenEvicted()
	}
	testutil.Eventually(t, 5*time.Second, "the slow client's eviction", func() bool { return h.Stats().Evicted == 1 })
	readWhenEvicted()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}

	want := map[int]gorilla.CloseError{
		endDrain: {Code: 1012, Text: "server draining"}, endRevoke: {Code: 4001, Text: "session ended"},
		endLeave: {Code: 1000, Text: "bye"}, endSlow: {Code: 1008, Text: "slow consumer: reconnect with since"},
	}
	for uid, c := range clients {
		t.Run(fmt.Sprint(uid), func(t *testing.T) {
			c.check(t, want[ends[uid]], ends[uid] == endDrain, events)
		})
	}
}

// wirePayload is event n's data: lengths in all three frame encodings.
func wirePayload(n int) map[string]any {
	size := 20
	switch {
	case n%50 == 0:
		size = 70000 // 64-bit length
	case n%7 == 0:
		size = 300 // 16-bit length
	}
	return map[string]any{"n": n, "pad": strings.Repeat(string(rune('a'+n%26)), size), "size": size}
}

// strictClient is one gorilla client and a copy of every byte it read.
type strictClient struct {
	ws   *gorilla.Conn
	rec  *recordingConn
	end  int
	read chan struct{} // closed when the reader may start (the slow client waits)
	done chan struct{} // closed when the reader ended

	mu      sync.Mutex
	texts   []string
	events  int
	closeBy *gorilla.CloseError
	err     error
	changed chan struct{}
	stop    chan struct{}
	once    sync.Once
}

func dialStrict(t *testing.T, url string, uid int64, end int) *strictClient {
	t.Helper()
	c := &strictClient{end: end, read: make(chan struct{}), done: make(chan struct{}), changed: make(chan struct{}, 1), stop: make(chan struct{})}
	d := gorilla.Dialer{
		HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if end == endSlow {
				conn.(*net.TCPConn).SetReadBuffer(4096)
			}
			c.rec = &recordingConn{Conn: conn}
			return c.rec, nil
		},
	}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(url, "http")+"?user="+fmt.Sprint(uid), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.ws = ws
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() {
		c.once.Do(func() { close(c.stop) })
		ws.Close()
		<-c.done
	})
	go c.readLoop()
	if end != endSlow {
		close(c.read)
		go c.writeLoop()
	}
	return c
}

func (c *strictClient) startReading() { close(c.read) }

// leave sends the client's close frame; the reader goes on until the
// server's answer.
func (c *strictClient) leave() {
	c.once.Do(func() { close(c.stop) })
	c.ws.WriteControl(gorilla.CloseMessage, gorilla.FormatCloseMessage(1000, "bye"), time.Now().Add(5*time.Second))
}

func (c *strictClient) readLoop() {
	defer close(c.done)
	<-c.read
	for {
		typ, b, err := c.ws.ReadMessage()
		c.mu.Lock()
		if err != nil {
			var ce *gorilla.CloseError
			if errors.As(err, &ce) {
				c.closeBy = ce
			} else {
				c.err = err
			}
			c.mu.Unlock()
			c.signal()
			return
		}
		if typ != gorilla.TextMessage {
			c.err = fmt.Errorf("message of type %d", typ)
		}
		c.texts = append(c.texts, string(b))
		if strings.HasPrefix(string(b), `{"type":"event"`) {
			c.events++
		}
		c.mu.Unlock()
		c.signal()
	}
}

// writeLoop sends WebSocket pings (the library answers with pongs) and
// {"type":"ping"} messages (the hub answers with pong data frames) until
// the client leaves or the test ends.
func (c *strictClient) writeLoop() {
	for {
		select {
		case <-c.stop:
			return
		case <-c.done:
			return
		case <-time.After(time.Millisecond):
		}
		if c.ws.WriteControl(gorilla.PingMessage, []byte("p"), time.Now().Add(5*time.Second)) != nil {
			return
		}
		if c.ws.WriteMessage(gorilla.TextMessage, []byte(`{"type":"ping"}`)) != nil {
			return
		}
	}
}

func (c *strictClient) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *strictClient) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok, err, closed := cond(), c.err, c.closeBy
		c.mu.Unlock()
		if err != nil {
			t.Fatalf("waiting for %s: the client failed: %v", what, err)
		}
		if ok {
			return
		}
		if closed != nil && c.end == endDrain {
			t.Fatalf("waiting for %s: closed early: %v", what, closed)
		}
		select {
		case <-c.changed:
		case <-deadline.C:
			t.Fatalf("waiting for %s", what)
		}
	}
}

func (c *strictClient) waitTexts(t *testing.T, n int) {
	t.Helper()
	c.waitFor(t, fmt.Sprintf("%d messages", n), func() bool { return len(c.texts) >= n })
}

func (c *strictClient) waitEvents(t *testing.T, n int) {
	t.Helper()
	c.waitFor(t, fmt.Sprintf("%d events", n), func() bool { return c.events >= n })
}

// check compares what gorilla read with the strict parse of the bytes on
// the wire, and both with what the client should have got.
func (c *strictClient) check(t *testing.T, want gorilla.CloseError, all bool, events int) {
	<-c.done
	// gorilla answers a close frame; when a ping of this client crossed
	// the server's close frame, coder/websocket cannot answer that ping
	// and drops the connection without waiting for the answer, so the
	// answer fails to write. The close frame itself is checked on the wire
	// below.
	var opErr *net.OpError
	answerFailed := errors.As(c.err, &opErr) && opErr.Op == "write"
	if c.err != nil && !answerFailed {
		t.Fatalf("gorilla refused the stream: %v", c.err)
	}
	if !answerFailed && (c.closeBy == nil || c.closeBy.Code != want.Code || c.closeBy.Text != want.Text) {
		t.Errorf("closed with %v, want %d %q", c.closeBy, want.Code, want.Text)
	}
	frames, err := parseServerStream(c.rec.bytes())
	if err != nil {
		t.Fatalf("strict parse: %v", err)
	}
	var texts []string
	var pings, pongs int
	var last wireFrame
	for _, f := range frames {
		switch f.op {
		case 1:
			texts = append(texts, string(f.payload))
		case 9:
			pings++
		case 10:
			pongs++
		}
		last = f
	}
	if last.op != 8 || last.code != want.Code || last.reason != want.Text {
		t.Errorf("last frame on the wire: opcode %d, %d %q; want close %d %q", last.op, last.code, last.reason, want.Code, want.Text)
	}
	if len(texts) != len(c.texts) {
		t.Fatalf("%d text frames on the wire, gorilla read %d messages", len(texts), len(c.texts))
	}
	var prev int64
	n := 0
	for i, s := range texts {
		if s != c.texts[i] {
			t.Fatalf("text %d differs between the wire and gorilla", i)
		}
		var m struct {
			frameMsg
			Data struct {
				N    int    `json:"n"`
				Pad  string `json:"pad"`
				Size int    `json:"size"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("text %d is not JSON: %v", i, err)
		}
		switch m.Type {
		case "event":
			if m.Seq <= prev {
				t.Fatalf("event seq %d after %d", m.Seq, prev)
			}
			prev = m.Seq
			if m.Event != "wire.test" {
				continue
			}
			n++
			if m.Data.N != n || len(m.Data.Pad) != m.Data.Size || m.Data.Size != len(wirePayload(n)["pad"].(string)) {
				t.Fatalf("event %d: n %d, pad %d bytes, size %d", n, m.Data.N, len(m.Data.Pad), m.Data.Size)
			}
		case "ready", "pong", "reconnect":
		default:
			t.Fatalf("unexpected text %.80s", s)
		}
	}
	if all {
		if n != events {
			t.Errorf("%d events, want %d", n, events)
		}
		if pings == 0 || pongs == 0 {
			t.Errorf("%d pings and %d pongs on the wire: no control frames were interleaved", pings, pongs)
		}
		if texts[len(texts)-1] == "" || !strings.Contains(texts[len(texts)-1], `"type":"reconnect"`) {
			t.Errorf("last text before the close: %.80s, want reconnect", texts[len(texts)-1])
		}
	}
	t.Logf("%d frames: %d text, %d pings, %d pongs", len(frames), len(texts), pings, pongs)
}

// recordingConn keeps a copy of every byte read from the connection.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.buf = append(r.buf, p[:n]...)
	r.mu.Unlock()
	return n, err
}

func (r *recordingConn) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf
}

type wireFrame struct {
	op      byte
	payload []byte
	code    int    // close frames
	reason  string // close frames
}

// parseServerStream parses what a client read after its handshake as
// server frames (RFC 6455, 5), strictly: the hub and the library send
// neither fragments nor extensions, so every frame is final; nothing may
// follow the close frame.
func parseServerStream(b []byte) ([]wireFrame, error) {
	i := strings.Index(string(b), "\r\n\r\n")
	if i < 0 {
		return nil, errors.New("no handshake response")
	}
	b = b[i+4:]
	var out []wireFrame
	for off := 0; len(b) > 0; {
		if len(out) > 0 && out[len(out)-1].op == 8 {
			return out, fmt.Errorf("%d bytes after the close frame at offset %d", len(b), off)
		}
		if len(b) < 2 {
			return out, fmt.Errorf("truncated header at offset %d", off)
		}
		fin, rsv, op := b[0]&0x80 != 0, b[0]&0x70, b[0]&0x0f
		if !fin || rsv != 0 {
			return out, fmt.Errorf("frame at offset %d: fin %v, reserved bits %#x", off, fin, rsv)
		}
		if b[1]&0x80 != 0 {
			return out, fmt.Errorf("masked server frame at offset %d", off)
		}
		n, h := uint64(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return out, fmt.Errorf("truncated length at offset %d", off)
			}
			n, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
			if n < 126 {
				return out, fmt.Errorf("16-bit length %d at offset %d fits 7 bits", n, off)
			}
		case 127:
			if len(b) < 10 {
				return out, fmt.Errorf("truncated length at offset %d", off)
			}
			n, h = binary.BigEndian.Uint64(b[2:]), 10
			if n <= 0xffff || n>>63 != 0 {
				return out, fmt.Errorf("64-bit length %d at offset %d", n, off)
			}
		}
		if uint64(len(b)-h) < n {
			return out, fmt.Errorf("frame at offset %d says %d bytes, %d left", off, n, len(b)-h)
		}
		f := wireFrame{op: op, payload: b[h : h+int(n)]}
		switch op {
		case 1:
			if !utf8.Valid(f.payload) || !json.Valid(f.payload) {
				return out, fmt.Errorf("text frame at offset %d is not UTF-8 JSON", off)
			}
		case 8, 9, 10:
			if n > 125 {
				return out, fmt.Errorf("control frame %d at offset %d has %d bytes", op, off, n)
			}
			if op == 8 {
				if n == 1 {
					return out, fmt.Errorf("close frame at offset %d has 1 byte", off)
				}
				if n >= 2 {
					f.code, f.reason = int(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
					if !utf8.ValidString(f.reason) || f.code < 1000 || f.code == 1004 || f.code == 1005 || f.code == 1006 || (f.code > 1014 && f.code < 3000) || f.code > 4999 {
						return out, fmt.Errorf("close frame at offset %d: code %d, reason %q", off, f.code, f.reason)
					}
				}
			}
		default:
			return out, fmt.Errorf("opcode %d at offset %d", op, off)
		}
		out = append(out, f)
		b = b[h+int(n):]
		off += h + int(n)
	}
	return out, nil
}

// TestWireWritesNothingAfterClose: once a close frame is on the wire,
// whether the hub's close or the library's answer to the client's, the
// hub's data frames and the library's frames are refused.
func TestWireWritesNothingAfterClose(t *testing.T) {
	t.Parallel()
	server, client := net.Pipe()
	defer client.Close()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	w := &wire{conn: server}
	data := textFrame([]byte(`{"type":"ready","seq":1}`))
	closeFrame := []byte{0x88, 0x02, 0x03, 0xe8}
	if err := w.writeFrames([][]byte{data, data}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte{0x89, 0x00}); err != nil { // a ping
		t.Fatal(err)
	}
	if _, err := w.Write(closeFrame); err != nil {
		t.Fatal(err)
	}
	if err := w.writeFrames([][]byte{data}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("data frame after the close frame: %v, want net.ErrClosed", err)
	}
	if _, err := w.Write([]byte{0x8a, 0x00}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("pong after the close frame: %v, want net.ErrClosed", err)
	}
	server.Close()
	want := slices.Concat(data, data, []byte{0x89, 0x00}, closeFrame)
	if b := <-got; string(b) != string(want) {
		t.Errorf("on the wire: % x\nwant % x", b, want)
	}
}
