package hub

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// Buffers of an upgraded socket. net/http hands a hijacked connection a
// 4 KiB reader and a 4 KiB writer, which would be most of what an idle
// socket costs. Client messages are small (a ping is 21 bytes on the wire,
// a bakery count about 100; at most ReadLimit), so 256 bytes is plenty for
// reading: a larger message goes through in more than one read. The hub
// writes its data frames straight to the connection (wire.writeFrames);
// coder/websocket's writer only carries control frames (close, ping, pong:
// at most 127 bytes on the wire), and each must fit in the buffer so that
// it goes out in one write, whole, between two data frames.
const (
	SocketReadBufferSize  = 256
	SocketWriteBufferSize = 256
)

// Upgrade wraps the ResponseWriter a socket is accepted on: pass it to
// websocket.Accept, then to Hub.Serve with the accepted socket. The
// hijacked connection gets small buffers instead of net/http's (bytes the
// server had already read past the request are kept), and its writes go
// through a wire, which the hub writes its prebuilt frames to.
type Upgrade struct {
	http.ResponseWriter
	wire *wire
}

// NewUpgrade wraps w for websocket.Accept.
func NewUpgrade(w http.ResponseWriter) *Upgrade { return &Upgrade{ResponseWriter: w} }

// wire is the write side of an upgraded connection, shared by the hub's
// data frames (writeFrames) and coder/websocket's control frames (Write,
// from the library's SocketWriteBufferSize writer, one whole frame per
// flush). Each call writes whole frames under mu, so frames never
// interleave; once a close frame has gone out, whoever sent it, nothing
// more is written (RFC 6455, 5.5.1).
type wire struct {
	conn   net.Conn
	mu     sync.Mutex
	closed bool // a close frame was written
}

// Write is the library's path: p is one control frame.
func (w *wire) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, net.ErrClosed
	}
	if len(p) > 0 && p[0]&0x0f == opClose {
		w.closed = true
	}
	return w.conn.Write(p)
}

// opClose is the close frame's opcode (RFC 6455, 5.2).
const opClose = 0x8

// writeFrames is the hub's path: whole data frames, in one write, or one
// writev for several on TCP (a TLS connection writes them one by one,
// each whole). WriteTo consumes q's elements; the caller clears q after.
func (w *wire) writeFrames(q [][]byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return net.ErrClosed
	}
	if len(q) == 1 {
		_, err := w.conn.Write(q[0])
		return err
	}
	bufs := net.Buffers(q)
	_, err := bufs.WriteTo(w.conn)
	return err
}

// WriteHeaderNow keeps Gin's writer behaviour that websocket.Accept relies on.
func (u *Upgrade) WriteHeaderNow() {
	if g, ok := u.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		g.WriteHeaderNow()
	}
}

func (u *Upgrade) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := u.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hub: the response writer cannot be hijacked")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, SocketReadBufferSize)
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent right behind the request. They must end up
		// inside the new reader's buffer: websocket.Accept keeps what is
		// buffered and resets the reader onto the bare connection.
		early, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(n, SocketReadBufferSize))
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	u.wire = &wire{conn: conn}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(u.wire, SocketWriteBufferSize)), nil
}
