package hub

import (
	"context"
	"sync"
	"time"
)

// shard is one writer goroutine and the sockets with frames waiting for it.
// A few shards write for every socket, so a busy hub has a few runnable
// writers instead of one per socket (which starves the request handlers,
// the relay and the dispatcher of CPU), and an idle socket costs no
// goroutine besides its reader. A write that stalls (a peer that stopped
// reading) holds up its shard for at most WriteTimeout; the stalled
// client's queue then overflows and it is closed with 1008.
type shard struct {
	mu    sync.Mutex
	ready []*conn
	wake  chan struct{}
}

func newShards(n int) []*shard {
	s := make([]*shard, n)
	for i := range s {
		s[i] = &shard{wake: make(chan struct{}, 1)}
	}
	return s
}

func (h *Hub) shardOf(c *conn) *shard { return h.shards[c.id%uint64(len(h.shards))] }

// add puts c on the ready list (c.mu is held by the caller); signal wakes
// the writer.
func (s *shard) add(c *conn) {
	s.mu.Lock()
	s.ready = append(s.ready, c)
	s.mu.Unlock()
}

func (s *shard) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run writes for ready sockets until ctx ends. A socket with more frames
// after its turn goes to the back of the list: every ready socket gets a
// turn per round. Writes share one deadline context, renewed whenever less
// than half of timeout is left: every write still has a deadline between
// timeout/2 and timeout, without a timer per write.
func (s *shard) run(ctx, parent context.Context, timeout time.Duration) {
	var batch []*conn
	d := writeDeadline{parent: parent, timeout: timeout}
	defer d.stop()
	for {
		s.mu.Lock()
		batch, s.ready = s.ready, batch[:0]
		s.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		for i, c := range batch {
			if c.flushOnce(d.ctx()) {
				s.mu.Lock()
				s.ready = append(s.ready, c)
				s.mu.Unlock()
			}
			batch[i] = nil
		}
	}
}

// writeDeadline is a shard's shared write deadline.
type writeDeadline struct {
	parent  context.Context
	timeout time.Duration
	cur     context.Context
	cancel  context.CancelFunc
	until   time.Time
}

// ctx returns a context with between timeout/2 and timeout left.
func (d *writeDeadline) ctx() context.Context {
	if now := time.Now(); d.cur == nil || d.until.Sub(now) < d.timeout/2 {
		d.stop()
		d.cur, d.cancel = context.WithTimeout(d.parent, d.timeout)
		d.until = now.Add(d.timeout)
	}
	return d.cur
}

func (d *writeDeadline) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}
