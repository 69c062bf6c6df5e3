package hub

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// ErrDraining is returned by Serve when the hub no longer takes sockets.
var ErrDraining = errors.New("hub: not accepting sockets")

// ErrTooManySockets is returned by Serve when the person already holds
// Options.MaxPerPerson sockets on this node.
var ErrTooManySockets = errors.New("hub: too many sockets for one person")

// Serve runs an upgraded socket of an authenticated principal until it
// closes. With resume, the events after since on the principal's topics are
// replayed from the database first; then {"type":"ready","seq":N}; then
// live events. It blocks; its goroutine is the socket's reader. up is the
// Upgrade ws was accepted on, whose connection the hub writes its data
// frames to.
func (h *Hub) Serve(ctx context.Context, ws *websocket.Conn, up *Upgrade, p auth.Principal, since int64, resume bool) error {
	if up == nil || up.wire == nil {
		ws.Close(websocket.StatusInternalError, "try again")
		return errors.New("hub: Serve needs the Upgrade the socket was accepted on")
	}
	ws.SetReadLimit(ReadLimit)
	return h.serve(ctx, wsTransport{ws: ws, wire: up.wire}, p, since, resume)
}

// serve is Serve on any transport.
func (h *Hub) serve(ctx context.Context, t transport, p auth.Principal, since int64, resume bool) error {
	c := &conn{h: h, t: t, p: p, id: h.nextID.Add(1), replaying: true}
	head, err := h.register(c)
	switch {
	case errors.Is(err, ErrTooManySockets):
		t.close(StatusTooManySockets, "too many sockets")
		return err
	case err != nil:
		t.close(StatusServiceRestart, "server draining")
		return err
	}
	defer h.unregister(c)
	defer t.closeNow()
	if !p.Expires.IsZero() {
		// The session's end closes the socket as a logout would.
		expiry := time.AfterFunc(p.Expires.Sub(h.opts.Clock()), func() {
			c.closeAfter(nil, StatusSessionRevoked, "session expired")
		})
		defer expiry.Stop()
	}

	lastSent := head
	if resume {
		var err error
		if lastSent, err = h.replay(ctx, c, since); err != nil {
			return err
		}
	}
	c.goLive(lastSent)
	h.read(c)
	return nil
}

// replay writes the missed events directly (live events are held in
// c.live meanwhile) and returns the last seq it read. A since older than
// retention gets reset and a close.
func (h *Hub) replay(ctx context.Context, c *conn, since int64) (int64, error) {
	// c.write sets a deadline on each write; live writes have the
	// watchdog instead.
	defer c.t.setWriteDeadline(time.Time{})
	oldest, newest, err := h.opts.Store.Bounds(ctx)
	if err != nil {
		c.closeWith(websocket.StatusInternalError, "try again")
		return 0, err
	}
	if tooOld(since, oldest, newest) {
		if err := c.write(frameReset); err == nil {
			c.closeWith(websocket.StatusNormalClosure, "reset")
		}
		return 0, errors.New("hub: since is past retention")
	}
	topics := topicsOf(c.p)
	last := since
	for {
		var evs []outbox.Event
		if c.p.IsAdmin() {
			evs, err = h.opts.Store.Range(ctx, last, replayPage)
		} else {
			evs, err = h.opts.Store.After(ctx, last, topics, replayPage)
		}
		if err != nil {
			c.closeWith(websocket.StatusInternalError, "try again")
			return 0, err
		}
		for _, e := range evs {
			last = e.Seq
			if !visible(c.p, e) {
				continue
			}
			if err := c.write(encodeEvent(e)); err != nil {
				return 0, err
			}
		}
		if len(evs) < replayPage {
			return last, nil
		}
	}
}

// tooOld reports whether events after since may have been deleted by
// retention. Seqs are dense (a rolled-back transaction returns its seqs),
// so a stored minimum above since+1 means a deleted event.
func tooOld(since, oldest, newest int64) bool {
	switch {
	case since > newest: // a client from another database
		return true
	case since == 0:
		return false
	case oldest == 0: // nothing stored
		return since < newest
	default:
		return oldest > since+1
	}
}

// goLive sends the live events held during replay that the replay did not
// cover, then ready, and from then on queues live events directly. The
// ready seq is where the client resumes next time.
func (c *conn) goLive(lastSent int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replaying = false
	if c.closed {
		return
	}
	for _, pe := range c.live {
		if pe.seq > lastSent {
			lastSent = pe.seq
			c.enqueueLocked(pe.frame)
		}
	}
	c.live = nil
	c.last = lastSent
	ready := max(lastSent, c.h.head.Load())
	if !c.closed {
		c.enqueueLocked(encodeReady(ready))
	}
}

// read handles client messages until the socket closes. Messages over
// ReadLimit close it with 1009 (the library does that).
func (h *Hub) read(c *conn) {
	for {
		// No deadline: a reader waits for its client indefinitely (the
		// keepalive drops dead peers, Run's end closes every socket), and
		// a context without Done spares a timer registration per socket.
		b, err := c.t.read(context.Background())
		if err != nil {
			return
		}
		var m struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &m); err != nil || m.Type == "" {
			continue
		}
		if m.Type == "ping" {
			c.send(framePong)
			continue
		}
		h.handlersMu.RLock()
		fn := h.handlers[m.Type]
		h.handlersMu.RUnlock()
		if fn == nil {
			continue
		}
		reply, err := fn(h.ctx, c.p, b)
		switch {
		case err != nil:
			c.send(encodeError(m.Type, err))
		case reply != nil:
			if f, ok := encodeReply(reply); ok {
				c.send(f)
			}
		}
	}
}

// control closes sockets whose session ended or whose topics changed. The
// events come through the broker like any other, so this works across nodes.
func (h *Hub) control(e outbox.Event) {
	switch e.Type {
	case auth.EventSessionRevoked:
		var r auth.SessionRevoked
		if json.Unmarshal(e.Data, &r) != nil {
			return
		}
		h.closeUser(e.Topic, StatusSessionRevoked, "session ended", func(c *conn) bool {
			if r.SessionID != 0 {
				return c.p.SessionID == r.SessionID
			}
			return c.p.SessionID != r.KeepSessionID
		})
	case eventEmployeeUpdated:
		var u struct {
			Resubscribe bool `json:"resubscribe"`
		}
		if json.Unmarshal(e.Data, &u) != nil || !u.Resubscribe {
			return
		}
		h.closeUser(e.Topic, StatusResubscribe, "your access changed: reconnect", func(*conn) bool { return true })
	}
}

// eventEmployeeUpdated is people.EventEmployeeUpdated; the hub reads only
// its "resubscribe" flag and does not import the people package.
const eventEmployeeUpdated = "employee.updated"

func (h *Hub) closeUser(topic string, code websocket.StatusCode, reason string, match func(*conn) bool) {
	h.mu.RLock()
	var hit []*conn
	for c := range h.topics[topic] {
		if match(c) {
			hit = append(hit, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range hit {
		c.closeAfter(nil, code, reason)
	}
}
