package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// A new shift's e-mail says it is new, a swapped-away shift's says whom it
// went to (as the push and the app's banner do), a change says changed.
func TestShiftEmailTexts(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		start := time.Date(2037, 12, 1, 13, 0, 0, 0, time.UTC)
		emp := f.ann
		shift := []worker.Shift{{ID: 7, DepartmentID: f.dept, EmployeeID: &emp, StartsAt: start, EndsAt: start.Add(8 * time.Hour), Status: "published", Version: 2}}
		tests := []struct {
			desc, typ, reason, swappedTo, subject, lead string
		}{
			{"created published", worker.EventShiftAssigned, "updated", "", "You have a new shift", "You have a new shift:"},
			{"swapped to me", worker.EventShiftAssigned, "swapped", "", "You have a new shift", "You have a new shift (swapped to you):"},
			{"swapped away", worker.EventShiftCancelled, "swapped", "Bob Tester", "Swapped to Bob Tester", "Swapped to Bob Tester: this shift is no longer yours:"},
			{"cancelled", worker.EventShiftCancelled, "cancelled", "", "A shift was cancelled", "This shift was cancelled:"},
			{"changed", worker.EventShiftChanged, "updated", "", "Your shift changed", "This shift changed:"},
		}
		for i, tc := range tests {
			e := f.emit(outbox.UserTopic(f.ann), tc.typ, worker.ShiftEvent{EmployeeID: f.ann, DepartmentID: f.dept, Reason: tc.reason, SwappedTo: tc.swappedTo, Shifts: shift})
			tasks, err := worker.TasksForEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if task.Type() == worker.TypeEmailShift {
					if err := f.h.Mux().ProcessTask(ctx, task); err != nil {
						t.Fatal(err)
					}
				}
			}
			msgs := f.mailbox("ann@example.com")
			if len(msgs) != i+1 {
				t.Fatalf("%s: %d e-mails, want %d", tc.desc, len(msgs), i+1)
			}
			m := msgs[0]
			for _, x := range msgs {
				if x.ID > m.ID {
					m = x
				}
			}
			if m.Subject != tc.subject || !strings.Contains(m.Text, tc.lead) {
				t.Errorf("%s: %q\n%s\nwant %q and %q", tc.desc, m.Subject, m.Text, tc.subject, tc.lead)
			}
		}
	})
}
