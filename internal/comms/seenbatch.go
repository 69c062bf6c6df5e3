package comms

import (
	"context"
	"sync"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// maxSeenPerTx bounds the callers whose reads one transaction records.
const maxSeenPerTx = 500

type seenReq struct {
	p   auth.Principal
	ids []int64
}

type seenResult struct {
	reads []Read
	err   error
}

type seenCall struct {
	req  seenReq
	done chan seenResult // buffered: the leader never waits for a caller
}

// seenBatch commits the "seen" calls that arrive together in one
// transaction (group commit, as the roster's combined shift creates do).
// There is no goroutine of its own: the first caller to find no batch
// running leads, committing what is queued until the queue is empty; the
// others wait for their result. When a combined transaction fails, its
// callers are retried one transaction each, so one caller's failure is
// never another's.
type seenBatch struct {
	mu      sync.Mutex
	queue   []*seenCall
	leading bool
}

func (b *seenBatch) do(ctx context.Context, s *Service, r seenReq) ([]Read, error) {
	c := &seenCall{req: r, done: make(chan seenResult, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if lead {
		b.lead(context.WithoutCancel(ctx), s)
	}
	select {
	case res := <-c.done:
		return res.reads, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lead commits batches until the queue is empty.
func (b *seenBatch) lead(ctx context.Context, s *Service) {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxSeenPerTx)
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		if n == 0 {
			b.leading = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		s.commitSeen(ctx, batch)
	}
}

func (s *Service) commitSeen(ctx context.Context, batch []*seenCall) {
	results := make([][]Read, len(batch))
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		posts := map[int64]*Announcement{}
		for i, c := range batch {
			reads, err := markSeenTx(ctx, tx, posts, c.req)
			if err != nil {
				return err
			}
			results[i] = reads
		}
		return nil
	})
	if err == nil {
		for i, c := range batch {
			c.done <- seenResult{reads: results[i]}
		}
		return
	}
	if len(batch) == 1 {
		batch[0].done <- seenResult{err: err}
		return
	}
	for _, c := range batch {
		s.commitSeen(ctx, []*seenCall{c})
	}
}
