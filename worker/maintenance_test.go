package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/idem"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// TestMaintenanceEnforcesEventRetention: the cleanup task, run by a real
// asynq server on Redis, deletes the events older than the store's
// retention and keeps the newer ones.
func TestMaintenanceEnforcesEventRetention(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.h.Sessions = &auth.Sessions{W: f.writer}
		f.h.Idem = &idem.Store{DB: d, Clock: f.clock.Now}
		f.h.Events = outbox.Reader{DB: d}
		f.h.Retention = func(context.Context) (int, error) { return 7, nil }
		old := f.emit(outbox.TopicStore, "test.old", nil)
		f.clock.Advance(8 * 24 * time.Hour)
		recent := f.emit(outbox.TopicStore, "test.recent", nil)
		f.serve(worker.ServerConfig(f.h.Log, 1, time.Second), f.h.Mux())
		task, err := worker.NewMaintenanceTask(f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.client.Enqueue(task); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 20*time.Second, "the old event to be deleted", func() bool { return len(f.events(outbox.TopicStore, "test.old")) == 0 })
		if got := f.events(outbox.TopicStore, "test.recent"); len(got) != 1 || got[0].Seq != recent.Seq {
			t.Fatalf("recent events after cleanup: %+v (old was seq %d)", got, old.Seq)
		}
	})
}
