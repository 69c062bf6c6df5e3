package hub

import (
	"context"
	"sync"

	"github.com/crumbcommander/crumb/internal/outbox"
)

// Broker carries committed events from the relay of any node to the hubs of
// every node. Delivery is at least once and roughly in order; the hub puts
// events back in seq order, drops duplicates and fills gaps from the
// database, so a broker may lose or repeat messages without clients noticing.
type Broker interface {
	// Publish hands events to every subscribed hub.
	Publish(ctx context.Context, events []outbox.Event) error
	// Subscribe calls deliver for every published event until ctx ends.
	// It calls resync after it (re)connects, when events may have been
	// missed, so that the hub catches up from the database.
	Subscribe(ctx context.Context, deliver func(outbox.Event), resync func()) error
}

var _ Broker = (*MemoryBroker)(nil)

// MemoryBroker is the broker of a single process (the embedded default).
type MemoryBroker struct {
	mu   sync.RWMutex
	subs map[int]func(outbox.Event)
	next int
}

// NewMemoryBroker returns an in-process broker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{subs: make(map[int]func(outbox.Event))}
}

// Publish calls every subscriber in turn. Subscribers only queue the event,
// so this never waits on a socket.
func (b *MemoryBroker) Publish(_ context.Context, events []outbox.Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, fn := range b.subs {
		for _, e := range events {
			fn(e)
		}
	}
	return nil
}

// Subscribe registers deliver until ctx ends.
func (b *MemoryBroker) Subscribe(ctx context.Context, deliver func(outbox.Event), resync func()) error {
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = deliver
	b.mu.Unlock()
	resync()
	<-ctx.Done()
	b.mu.Lock()
	delete(b.subs, id)
	b.mu.Unlock()
	return nil
}
