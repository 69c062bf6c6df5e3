package relay

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// recorder is a broker that remembers what was published.
type recorder struct {
	mu   sync.Mutex
	seqs []int64
}

func (r *recorder) Publish(_ context.Context, evs []outbox.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range evs {
		r.seqs = append(r.seqs, e.Seq)
	}
	return nil
}

func (r *recorder) Subscribe(ctx context.Context, _ func(outbox.Event), _ func()) error {
	<-ctx.Done()
	return nil
}

func TestSweepPublishesEnqueuesOnceAndMarks(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		_, rdb := testutil.Redis(t)
		opt := asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: rdb}
		client := asynq.NewClient(opt)
		defer client.Close()
		inspector := asynq.NewInspector(opt)
		defer inspector.Close()

		// Committed without a notifier: the crash between commit and publish.
		w := outbox.NewWriter(d, nil)
		for i := range 3 {
			if err := w.Do(ctx, func(tx *outbox.Tx) error {
				tx.Emit(outbox.UserTopic(7), "test.mail", i)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		// And one a writer committed but died before numbering.
		if _, err := d.ExecContext(ctx, "INSERT INTO events (topic, type, payload, created_at) VALUES ('user:7', 'test.mail', '3', ?)", time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		b := &recorder{}
		r := (&Relay{Broker: b, Events: outbox.Reader{DB: d}, Sequence: w.Sequence, Enqueuer: client, SweepAge: time.Nanosecond,
			Clock: func() time.Time { return time.Now().Add(time.Second) },
			Tasks: func(e outbox.Event) ([]*asynq.Task, error) {
				return []*asynq.Task{asynq.NewTask("test:mail", e.Data)}, nil
			}}).Init()
		n, err := r.Sweep(ctx)
		if err != nil || n != 4 {
			t.Fatalf("sweep = %d, %v; want 4", n, err)
		}
		// A second relay of the same events (a retry) enqueues nothing new.
		evs, _ := outbox.Reader{DB: d}.Range(ctx, 0, 10)
		if err := r.Relay(ctx, evs); err != nil {
			t.Fatal(err)
		}
		tasks, err := inspector.ListPendingTasks("default")
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 4 {
			t.Fatalf("%d tasks pending, want 4", len(tasks))
		}
		for _, ti := range tasks {
			found := false
			for _, e := range evs {
				found = found || ti.ID == fmt.Sprintf("test:mail:%d", e.Seq)
			}
			if !found {
				t.Errorf("task id %q is not type:seq", ti.ID)
			}
		}
		if n, err := r.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep = %d, %v; want 0 (marked relayed)", n, err)
		}
		if len(b.seqs) != 8 {
			t.Errorf("published %v", b.seqs)
		}
	})
}
