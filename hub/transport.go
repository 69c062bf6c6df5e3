package hub

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// transport is one socket as the hub uses it. The hub builds every data
// frame itself (textFrame) and hands whole frames to writeFrames; reading,
// pings and the close handshake stay with the WebSocket library. The hub's
// logic (topics, queues, eviction, the write watchdog, resume, close codes)
// sees nothing else, so it is unit-tested with a recording transport
// (transport_test.go) and without sockets.
type transport interface {
	// writeFrames writes whole frames in order, in one write where the
	// connection allows it. The hub never calls it concurrently. Once a
	// close frame has been written (by close, or by the library answering
	// the client's close or refusing a message) it writes nothing and
	// fails.
	writeFrames(frames [][]byte) error
	// setWriteDeadline bounds the writes that follow (zero: no bound).
	setWriteDeadline(t time.Time) error
	// read returns the payload of the client's next message.
	read(ctx context.Context) ([]byte, error)
	// ping sends a ping and waits for its pong or ctx's end.
	ping(ctx context.Context) error
	// close runs the close handshake with code and reason.
	close(code websocket.StatusCode, reason string) error
	// closeNow drops the connection without a handshake; a write in
	// progress fails at once.
	closeNow() error
}

// wsTransport is a socket accepted by coder/websocket whose data frames the
// hub writes straight to the upgraded connection (its wire), bypassing the
// library's writer and its per-socket buffer and locks.
//
// This relies on two properties of coder/websocket v1.8.15 that its API
// does not promise, pinned by TestCoderWebsocketVersion and checked on the
// wire by TestWireInterleavesControlAndDataFrames with an independent
// client:
//   - the library writes each control frame (ping, pong, close: at most 127
//     bytes) through the hijacked bufio.Writer of SocketWriteBufferSize
//     bytes and flushes it whole, so each reaches the wire in one Write,
//     which the wire orders with the hub's data frames and reads as a
//     whole frame (a close frame ends the wire's writes);
//   - Accept keeps the bytes the hijacked bufio.Reader holds and then reads
//     the connection through it, so a client's first frame sent right
//     behind the request is not lost (Upgrade.Hijack).
type wsTransport struct {
	ws   *websocket.Conn
	wire *wire
}

var _ transport = wsTransport{}

func (t wsTransport) writeFrames(q [][]byte) error { return t.wire.writeFrames(q) }

func (t wsTransport) setWriteDeadline(d time.Time) error { return t.wire.conn.SetWriteDeadline(d) }

func (t wsTransport) read(ctx context.Context) ([]byte, error) {
	_, b, err := t.ws.Read(ctx)
	return b, err
}

func (t wsTransport) ping(ctx context.Context) error { return t.ws.Ping(ctx) }

func (t wsTransport) close(code websocket.StatusCode, reason string) error {
	return t.ws.Close(code, reason)
}

func (t wsTransport) closeNow() error { return t.ws.CloseNow() }
