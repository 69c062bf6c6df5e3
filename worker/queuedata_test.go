package worker_test

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// TestQueueDataCountsPendingOnly: QueueSize, which the worker group scales
// on per instance, counts the tasks a new worker could start now, not the
// scheduled or archived ones that asynq's queue size also holds.
func TestQueueDataCountsPendingOnly(t *testing.T) {
	_, n := testutil.Redis(t)
	opt := asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}
	client, insp := asynq.NewClient(opt), asynq.NewInspector(opt)
	t.Cleanup(func() { client.Close(); insp.Close() })
	q := asynq.Queue(worker.QueueDefault)
	for _, o := range [][]asynq.Option{{q}, {q}, {q, asynq.ProcessIn(time.Hour)}, {q, asynq.TaskID("to-archive")}} {
		if _, err := client.Enqueue(asynq.NewTask("noop", nil), o...); err != nil {
			t.Fatal(err)
		}
	}
	if err := insp.ArchiveTask(worker.QueueDefault, "to-archive"); err != nil {
		t.Fatal(err)
	}
	ds, err := worker.QueueData(insp)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, d := range ds {
		if d.Name == "QueueSize" {
			got[d.Dimensions["Queue"]] = d.Value
		}
	}
	if got[worker.QueueDefault] != 2 || got[worker.QueueReports] != 0 {
		t.Errorf("QueueSize = %v, want 2 pending in %s", got, worker.QueueDefault)
	}
}
