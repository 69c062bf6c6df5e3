package hub

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
)

// Buffers of an upgraded socket. net/http hands a hijacked connection a
// 4 KiB reader and a 4 KiB writer, which would be most of what an idle
// socket costs. Client messages are small (a ping is 21 bytes on the wire,
// a bakery count about 100; at most ReadLimit), so 256 bytes is plenty for
// reading: a larger message goes through in more than one read. The hub
// writes its data frames straight to the connection (conn.writeRaw);
// coder/websocket's writer only carries control frames (close, ping, pong:
// at most 127 bytes on the wire), and each must fit in the buffer so that
// it goes out in one write, whole, between two data frames.
const (
	SocketReadBufferSize  = 256
	SocketWriteBufferSize = 256
)

// Upgrade wraps the ResponseWriter a socket is accepted on: pass it to
// websocket.Accept, then its Conn to Hub.Serve. The hijacked connection
// gets small buffers instead of net/http's (bytes the server had already
// read past the request are kept), and Conn is that connection, which the
// hub writes its prebuilt frames to.
type Upgrade struct {
	http.ResponseWriter
	conn net.Conn
}

// NewUpgrade wraps w for websocket.Accept.
func NewUpgrade(w http.ResponseWriter) *Upgrade { return &Upgrade{ResponseWriter: w} }

// Conn is the hijacked connection (nil before the upgrade).
func (u *Upgrade) Conn() net.Conn { return u.conn }

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
	u.conn = conn
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, SocketWriteBufferSize)), nil
}
