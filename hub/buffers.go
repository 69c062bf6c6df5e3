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
// socket costs. Client messages are small (pings, bakery counts; at most
// ReadLimit) and event frames a few hundred bytes, so less is plenty: a
// larger frame or message goes through in more than one read or write.
const (
	SocketReadBufferSize  = 512
	SocketWriteBufferSize = 1 << 10
)

// SmallBuffers wraps the ResponseWriter a socket is accepted on (pass the
// result to websocket.Accept) so that the hijacked connection gets
// small buffers instead of net/http's. Bytes the server had
// already read past the request are kept.
func SmallBuffers(w http.ResponseWriter) http.ResponseWriter { return smallBuffers{w} }

type smallBuffers struct{ http.ResponseWriter }

// WriteHeaderNow keeps Gin's writer behaviour that websocket.Accept relies on.
func (w smallBuffers) WriteHeaderNow() {
	if g, ok := w.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		g.WriteHeaderNow()
	}
}

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
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
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, SocketWriteBufferSize)), nil
}
