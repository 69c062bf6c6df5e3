package hub

import (
	"context"
	"sync"
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

// add puts c on the ready list (c.mu is held by the caller).
func (s *shard) add(c *conn) {
	s.mu.Lock()
	s.ready = append(s.ready, c)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run writes for ready sockets until ctx ends. A socket with more frames
// after its turn goes to the back of the list: every ready socket gets a
// turn per round.
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
			if c.flushOnce() {
				s.mu.Lock()
				s.ready = append(s.ready, c)
				s.mu.Unlock()
			}
			batch[i] = nil
		}
	}
}
