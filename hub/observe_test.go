package hub

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestObserveHearsEveryDispatchedEvent: the observer hears each event once,
// in seq order, whether the broker delivered it or the hub read it from the
// database to fill a gap; duplicates are not heard again.
func TestObserveHearsEveryDispatchedEvent(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var mu sync.Mutex
		var heard []int64
		heardSeqs := func() []int64 {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(heard)
		}
		broker := NewMemoryBroker()
		store := outbox.Reader{DB: d}
		h := New(Options{Store: store, Broker: broker, GapTimeout: 20 * time.Millisecond, Observe: func(e outbox.Event) {
			mu.Lock()
			heard = append(heard, e.Seq)
			mu.Unlock()
		}})
		done := make(chan error, 1)
		go func() { done <- h.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		<-h.Started()

		// A writer with no relay: its events are numbered but published by
		// hand below.
		w := outbox.NewWriter(d, nil)
		emit := func() outbox.Event {
			t.Helper()
			if err := w.Do(ctx, func(tx *outbox.Tx) error {
				tx.Emit(outbox.DeptTopic(1), "test.n", nil)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			evs, err := store.Range(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			return evs[len(evs)-1]
		}
		waitFor := func(want []int64) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for !slices.Equal(heardSeqs(), want) {
				if time.Now().After(deadline) {
					t.Fatalf("heard %v, want %v", heardSeqs(), want)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		// Delivered, or found by the subscription's first catch-up read if
		// the broker had no subscriber yet.
		e1 := emit()
		if err := broker.Publish(ctx, []outbox.Event{e1}); err != nil {
			t.Fatal(err)
		}
		waitFor([]int64{e1.Seq})
		// e2 is lost by the broker: e3 waits for the gap, which is read
		// from the database; both are heard, in order.
		e2, e3 := emit(), emit()
		if err := broker.Publish(ctx, []outbox.Event{e3}); err != nil {
			t.Fatal(err)
		}
		waitFor([]int64{e1.Seq, e2.Seq, e3.Seq})
		// Duplicates are dropped before the observer.
		e4 := emit()
		if err := broker.Publish(ctx, []outbox.Event{e1, e3, e4}); err != nil {
			t.Fatal(err)
		}
		waitFor([]int64{e1.Seq, e2.Seq, e3.Seq, e4.Seq})
	})
}
