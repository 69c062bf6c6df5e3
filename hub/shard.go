package hub

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// shard is one writer goroutine and the sockets with frames waiting for it.
// A few shards write for every socket, so a busy hub has a few runnable
// writers instead of one per socket (which starves the request handlers,
// the relay and the dispatcher of CPU), and an idle socket costs no
// goroutine besides its reader. A write that stalls (a peer that stopped
// reading) holds up its shard until the write watchdog cuts it, at most
// WriteTimeout and a quarter; the stalled client's socket is closed.
type shard struct {
	mu    sync.Mutex
	ready []*conn
	wake  chan struct{}

	// The socket being written to and since when (unix ns), for the
	// watchdog; nil between writes.
	writing atomic.Pointer[conn]
	since   atomic.Int64
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
// turn per round. The writes themselves carry no context deadline, which
// would cost a timer registration per write (a fifth of the writer's CPU
// on a busy hub); the watchdog bounds them instead.
func (s *shard) run(ctx context.Context) {
	var batch []*conn
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
			s.since.Store(time.Now().UnixNano())
			s.writing.Store(c)
			more := c.flushOnce()
			s.writing.Store(nil)
			if more {
				s.mu.Lock()
				s.ready = append(s.ready, c)
				s.mu.Unlock()
			}
			batch[i] = nil
		}
	}
}

// watchWrites is the deadline of every shard write: four times per timeout
// it closes the socket of any write that has been going on for longer than
// timeout, which makes that write fail at once (and the shard go on).
func (h *Hub) watchWrites(ctx context.Context, timeout time.Duration) {
	t := time.NewTicker(timeout / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, s := range h.shards {
				// since is stored before writing, so a fresh write is
				// never mistaken for the stalled one it replaced.
				c := s.writing.Load()
				if c != nil && now.UnixNano()-s.since.Load() > int64(timeout) && s.writing.Load() == c && c.cut.CompareAndSwap(false, true) {
					h.timedOut.Add(1)
					c.t.closeNow()
				}
			}
		}
	}
}
