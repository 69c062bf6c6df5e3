package hub

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/internal/auth"
)

// Close codes the hub uses besides the standard ones (see doc.go).
const (
	StatusSessionRevoked websocket.StatusCode = 4001
	StatusResubscribe    websocket.StatusCode = 4002
	StatusTooManySockets websocket.StatusCode = 4003
	StatusServiceRestart                      = websocket.StatusServiceRestart
)

// conn is one socket. It is kept small: idle sockets are most of a hub's
// memory. Its only goroutine is the reader (in Serve); frames are written by
// the hub's shard writers (shard.go).
//
// Data frames (built whole by textFrame) go to the transport as they are:
// the frames of an event are not framed again per client (see wsTransport
// for how they reach the wire beside the library's control frames, and
// why none follows a close frame).
type conn struct {
	h  *Hub
	t  transport
	p  auth.Principal
	id uint64

	mu          sync.Mutex
	queue       [][]byte  // frames waiting to be written, at most QueueSize
	live        []pending // live events held while replaying
	last        int64     // highest seq queued or written: never send one again
	replaying   bool
	scheduled   bool // on its shard's ready list or being written
	closed      bool // no more frames; the writer closes with closeCode
	closeCode   websocket.StatusCode
	closeReason string
	evicted     atomic.Bool // the writer stops writing at once
	cut         atomic.Bool // the write watchdog closed it
	spare       [][]byte    // an empty array for the next queue
}

// spareQueue is the largest queue array a socket keeps for reuse.
const spareQueue = 16

type pending struct {
	seq   int64
	frame []byte
}

// push queues the event frame seq unless it was already sent. It does not
// wake the socket's writer: fanout wakes every writer once it has queued
// the frame on every socket (Hub.wakeWriters), so each writer takes its
// whole share in one round instead of a few sockets at a time.
func (c *conn) push(seq int64, frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || seq <= c.last {
		return
	}
	if c.replaying {
		if len(c.live) >= c.h.opts.ReplayBuffer {
			c.evictLocked()
			return
		}
		c.live = append(c.live, pending{seq, frame})
		return
	}
	c.last = seq
	c.enqueueQuietLocked(frame)
}

// send queues a frame that carries no seq (pong, replies).
func (c *conn) send(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.enqueueLocked(frame)
	}
}

func (c *conn) enqueueLocked(frame []byte) {
	if c.enqueueQuietLocked(frame) {
		c.h.shardOf(c).signal()
	}
}

// enqueueQuietLocked queues frame and puts the socket on its writer's list;
// it reports whether the writer must be woken for it.
func (c *conn) enqueueQuietLocked(frame []byte) bool {
	if len(c.queue) >= c.h.opts.QueueSize {
		c.evictLocked()
		return false
	}
	c.queue = append(c.queue, frame)
	return c.scheduleLocked()
}

func (c *conn) startFlushLocked() {
	if c.scheduleLocked() {
		c.h.shardOf(c).signal()
	}
}

// scheduleLocked puts the socket on its writer's ready list unless it is
// there (or being written) already.
func (c *conn) scheduleLocked() bool {
	if c.scheduled {
		return false
	}
	c.scheduled = true
	c.h.shardOf(c).add(c)
	return true
}

// evictLocked closes a client that does not keep up (1008). It drops what
// waits for it; the client resumes with since= and loses nothing.
func (c *conn) evictLocked() {
	c.closed = true
	c.evicted.Store(true)
	c.queue, c.live = nil, nil
	c.h.evicted.Add(1)
	// The shard stops writing to it at once and it leaves the hub (its
	// topics, Stats.Conns and crumb_ws_sockets, its person's socket count)
	// at once; the close frame waits for any write in progress (bounded
	// by WriteTimeout, see watchWrites). The reader's unregister later is
	// a no-op. unregister takes the hub's lock, which fanout holds while
	// taking c.mu: hence the goroutine.
	go func() {
		c.h.unregister(c)
		c.closeWith(websocket.StatusPolicyViolation, "slow consumer: reconnect with since")
	}()
}

// closeWith runs the close handshake. Its close frame goes out once no
// data frame is being written, and no data frame follows it (the
// transport's contract).
func (c *conn) closeWith(code websocket.StatusCode, reason string) {
	c.t.close(code, reason)
}

// closeAfter queues a last frame (may be nil) and closes with code once the
// queue is written.
func (c *conn) closeAfter(frame []byte, code websocket.StatusCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if frame != nil && len(c.queue) < c.h.opts.QueueSize+1 {
		c.queue = append(c.queue, frame)
	}
	c.closed, c.closeCode, c.closeReason = true, code, reason
	c.startFlushLocked()
}

// flushOnce writes what is queued (on a shard writer) and reports whether
// more is queued; it closes the socket when closeAfter asked for it. The
// close handshake runs on its own goroutine so that it never holds up the
// shard.
func (c *conn) flushOnce() (more bool) {
	c.mu.Lock()
	// The spare array becomes the queue and is no longer spare: the batch
	// written next must never share an array with the queue filling
	// meanwhile (writev rewrites the batch's elements, clear empties them).
	q := c.queue
	c.queue, c.spare = c.spare[:0], nil
	c.mu.Unlock()
	ok := len(q) == 0 || c.writeAll(q)
	c.mu.Lock()
	defer c.mu.Unlock()
	// The written batch's array (emptied, so it pins no frames) is the
	// next queue's: a socket does not allocate a queue per event.
	clear(q)
	if cap(q) <= spareQueue {
		c.spare = q[:0]
	}
	if !ok {
		c.closed, c.queue, c.scheduled = true, nil, false
		go c.t.closeNow()
		return false
	}
	if len(c.queue) > 0 {
		return true
	}
	c.scheduled = false
	if c.closeCode != 0 {
		code, reason := c.closeCode, c.closeReason
		c.closeCode = 0
		go c.closeWith(code, reason)
	}
	return false
}

// writeAll writes a batch of frames, on a shard writer. The writes carry
// no deadline of their own (a timer registration each); the hub's write
// watchdog bounds them (watchWrites).
func (c *conn) writeAll(q [][]byte) bool {
	if c.evicted.Load() {
		return true
	}
	if err := c.t.writeFrames(q); err != nil {
		return false
	}
	c.h.sent.Add(int64(len(q)))
	return true
}

// write sends one frame with a deadline; only the replay, before the
// socket goes live, writes this way. A write that outlasts it fails and is
// counted like the watchdog's cuts.
func (c *conn) write(f []byte) error {
	c.t.setWriteDeadline(time.Now().Add(c.h.opts.WriteTimeout))
	err := c.t.writeFrames([][]byte{f})
	switch {
	case err == nil:
		c.h.sent.Add(1)
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.h.timedOut.Add(1)
	}
	return err
}

// ping drops the peer if it does not answer within d. A ping that fails
// because the socket is closing leaves it to its close handshake: cutting
// it then could cut the last data frames before the close frame.
func (c *conn) ping(d time.Duration) {
	ctx, cancel := context.WithTimeout(c.h.ctx, d)
	defer cancel()
	if err := c.t.ping(ctx); err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		c.t.closeNow()
	}
}
