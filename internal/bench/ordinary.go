//go:build linux

package bench

import (
	"bytes"
	"context"
	"time"

	"github.com/coder/websocket"
)

// The ordinary client is a subscriber as a typical Go consumer writes it:
// one coder/websocket connection and one goroutine per socket, reading
// message after message (each read allocates the message). It costs the
// load generator far more CPU per delivery than the lean client, so the
// servers are measured under both.

// ordinary is the goroutine side of a client.
type ordinary struct {
	ws     *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// redial, when set, reconnects a socket that was cut, resuming after
	// the last event seq it had (the hub's since); the cluster's kill phase
	// uses it. Publishes are then one at a time, so a socket sees them in
	// order and lastK tells a duplicate.
	redial func(ctx context.Context, since int64) (*websocket.Conn, error)
	seq    int64
	lastK  int
}

// startOrdinary runs an ordinary client on ws: it sends hello (if any)
// and starts the socket's reader.
func startOrdinary(s *state, ws *websocket.Conn, hello []byte, redial func(context.Context, int64) (*websocket.Conn, error)) (*client, error) {
	ws.SetReadLimit(1 << 20)
	rctx, cancel := context.WithCancel(context.Background())
	o := &ordinary{ws: ws, ctx: rctx, cancel: cancel, done: make(chan struct{}), redial: redial}
	c := &client{fd: -1, ord: o}
	if hello != nil {
		wctx, wcancel := context.WithTimeout(rctx, 10*time.Second)
		err := ws.Write(wctx, websocket.MessageText, hello)
		wcancel()
		if err != nil {
			cancel()
			ws.CloseNow()
			return nil, err
		}
	} else {
		c.ready = true
		s.ready.Add(1)
	}
	s.alive.Add(1)
	go o.run(s, c)
	return c, nil
}

func (o *ordinary) run(s *state, c *client) {
	defer close(o.done)
	defer func() {
		o.ws.CloseNow()
		if c.dead.CompareAndSwap(false, true) {
			s.alive.Add(-1)
		}
	}()
	for {
		_, b, err := o.ws.Read(o.ctx)
		if err != nil {
			if o.ctx.Err() != nil {
				return
			}
			if websocket.CloseStatus(err) == websocket.StatusPolicyViolation {
				s.evicted.Add(1)
			}
			if o.redial == nil {
				return
			}
			o.ws.CloseNow()
			ws, err := o.redial(o.ctx, o.seq)
			if err != nil {
				return
			}
			ws.SetReadLimit(1 << 20)
			o.ws = ws
			s.reconnects.Add(1)
			continue
		}
		if o.redial != nil {
			o.trackSeq(b)
		}
		if reply := s.text(c, b); reply != nil {
			o.ws.Write(o.ctx, websocket.MessageText, reply)
		}
	}
}

var seqKey = []byte(`"seq":`)

// trackSeq keeps the highest seq of the hub's frames (events and ready).
func (o *ordinary) trackSeq(b []byte) {
	i := bytes.Index(b, seqKey)
	if i < 0 {
		return
	}
	var n int64
	for _, ch := range b[i+len(seqKey):] {
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int64(ch-'0')
	}
	o.seq = max(o.seq, n)
}

// seen reports whether publish k is new to this socket (always, unless
// publishes are ordered: see redial).
func (o *ordinary) seen(k int) bool {
	if o.redial == nil {
		return true
	}
	if k <= o.lastK {
		return false
	}
	o.lastK = k
	return true
}

// close ends the socket and waits for its reader.
func (o *ordinary) close(c *client) {
	o.cancel()
	<-o.done
}
