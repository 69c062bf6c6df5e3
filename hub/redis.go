package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/outbox"
)

// DefaultRedisChannel is the pub/sub channel hubs share.
const DefaultRedisChannel = "crumb:events"

var _ Broker = (*RedisBroker)(nil)

// RedisBroker fans events out to the hubs of every node over Redis pub/sub.
// Pub/sub keeps nothing: a hub that was disconnected resyncs from the
// database when it reconnects.
type RedisBroker struct {
	Client  redis.UniversalClient
	Channel string
	Log     *slog.Logger
}

// NewRedisBroker returns a broker on client's default channel.
func NewRedisBroker(client redis.UniversalClient, log *slog.Logger) *RedisBroker {
	if log == nil {
		log = slog.Default()
	}
	return &RedisBroker{Client: client, Channel: DefaultRedisChannel, Log: log}
}

// wireEvent is an event on the wire; unlike outbox.Event it carries the
// managers-only flag.
type wireEvent struct {
	Seq          int64           `json:"s"`
	Topic        string          `json:"t"`
	Type         string          `json:"e"`
	Data         json.RawMessage `json:"d"`
	At           time.Time       `json:"a"`
	ManagersOnly bool            `json:"m,omitempty"`
}

// Publish sends each event as one message, in one round trip.
func (b *RedisBroker) Publish(ctx context.Context, events []outbox.Event) error {
	if len(events) == 0 {
		return nil
	}
	pipe := b.Client.Pipeline()
	for _, e := range events {
		msg, err := json.Marshal(wireEvent{e.Seq, e.Topic, e.Type, e.Data, e.At, e.ManagersOnly})
		if err != nil {
			return fmt.Errorf("hub: encode event %d: %w", e.Seq, err)
		}
		pipe.Publish(ctx, b.Channel, msg)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("hub: redis publish: %w", err)
	}
	return nil
}

// Subscribe listens until ctx ends. go-redis reconnects and resubscribes by
// itself; every subscription confirmation after the first means messages
// may have been lost in between, so it calls resync.
func (b *RedisBroker) Subscribe(ctx context.Context, deliver func(outbox.Event), resync func()) error {
	ps := b.Client.Subscribe(ctx, b.Channel)
	// Receive does not watch ctx; closing the subscription ends it.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	defer ps.Close()
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !errors.Is(err, redis.Nil) {
				b.Log.Warn("hub: redis subscription interrupted", "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				resync()
			}
		case *redis.Message:
			var w wireEvent
			if err := json.Unmarshal([]byte(m.Payload), &w); err != nil {
				b.Log.Warn("hub: bad event message", "err", err)
				continue
			}
			deliver(outbox.Event{Seq: w.Seq, Topic: w.Topic, Type: w.Type, Data: w.Data, At: w.At, ManagersOnly: w.ManagersOnly})
		}
	}
}
