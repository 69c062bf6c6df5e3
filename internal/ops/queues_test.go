package ops_test

import (
	"errors"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/ops"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

func TestQueuesAdminView(t *testing.T) {
	_, n := testutil.Redis(t)
	opt := asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}
	client, insp := asynq.NewClient(opt), asynq.NewInspector(opt)
	defer client.Close()
	defer insp.Close()
	admin := auth.Principal{UserID: 1, Role: auth.RoleAdmin}
	q := &ops.Queues{Inspector: insp}

	if _, err := q.Overview(auth.Principal{UserID: 2, Role: auth.RoleManager}); !errors.Is(err, auth.ErrForbidden) {
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Forbidden {
			t.Errorf("manager: err = %v", err)
		}
	}
	stats, err := q.Overview(admin)
	if err != nil || len(stats) != 3 || stats[0].Size != 0 {
		t.Fatalf("empty overview %+v %v", stats, err)
	}
	// One archived task in reports (a report export that gave up).
	if _, err := client.Enqueue(asynq.NewTask(worker.TypeReportExport, []byte(`{"report_id":1}`)), asynq.Queue(worker.QueueReports), asynq.TaskID("report:1")); err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask(worker.QueueReports, "report:1"); err != nil {
		t.Fatal(err)
	}
	stats, _ = q.Overview(admin)
	if stats[2].Queue != worker.QueueReports || stats[2].Archived != 1 {
		t.Errorf("reports stats %+v", stats[2])
	}
	failed, err := q.Failed(admin, worker.QueueReports, "archived", 1)
	if err != nil || len(failed) != 1 || failed[0].ID != "report:1" || failed[0].Type != worker.TypeReportExport {
		t.Fatalf("archived %+v %v", failed, err)
	}
	if err := q.Retry(admin, worker.QueueReports, "report:1"); err != nil {
		t.Fatal(err)
	}
	if info, _ := insp.GetTaskInfo(worker.QueueReports, "report:1"); info.State != asynq.TaskStatePending {
		t.Errorf("after retry the task is %v", info.State)
	}
	tests := []struct {
		desc  string
		queue string
		id    string
	}{
		{"unknown queue", "nope", "x"},
		{"unknown task", worker.QueueReports, "nope"},
	}
	for _, tc := range tests {
		var ae *apperr.Error
		if err := q.Retry(admin, tc.queue, tc.id); !errors.As(err, &ae) || ae.Code != apperr.NotFound {
			t.Errorf("%s: err = %v", tc.desc, err)
		}
	}
}
