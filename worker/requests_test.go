package worker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// requestTask is the notify:request task of an event, or nil.
func requestTask(t *testing.T, e outbox.Event) *asynq.Task {
	t.Helper()
	tasks, err := worker.TasksForEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	var out *asynq.Task
	for _, task := range tasks {
		if task.Type() == worker.TypeNotifyRequest {
			out = task
		}
	}
	return out
}

// A time-off request and an accepted swap e-mail the department's managers,
// once each, except those who turned e-mail off and the people in the request.
func TestManagersHearOfRequests(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		quiet := f.person("Quinn", "quinn@example.com", auth.RoleManager)
		off := false
		if _, err := f.notify.SetPreferences(ctx, auth.Principal{UserID: quiet, Role: auth.RoleManager}, notify.PreferencesPatch{EmailEnabled: &off}); err != nil {
			t.Fatal(err)
		}
		// Both managers subscribed a device: push is not an e-mail, so the
		// one who turned e-mail off still gets it.
		var mu sync.Mutex
		pushes := map[string]int{}
		ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			pushes[r.URL.Path]++
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
		}))
		defer ps.Close()
		keys, err := push.LoadKeys(ctx, d, "", "", f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		f.h.Push = &push.Service{DB: d, Keys: keys, Clock: f.clock.Now, Subscriber: "ops@example.com", AllowLoopbackHTTP: true}
		for who, path := range map[int64]string{f.manager: "/mia", quiet: "/quinn"} {
			var sub push.Subscription
			sub.Endpoint = ps.URL + path
			sub.Keys.P256dh = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
			sub.Keys.Auth = "tBHItJI5svbpez7KI4CCXg"
			if err := f.h.Push.Subscribe(ctx, auth.Principal{UserID: who}, sub, ""); err != nil {
				t.Fatal(err)
			}
		}
		run := func(e outbox.Event) {
			t.Helper()
			task := requestTask(t, e)
			if task == nil {
				t.Fatalf("%s on %s: no request task", e.Type, e.Topic)
			}
			if err := f.h.Mux().ProcessTask(ctx, task); err != nil {
				t.Fatal(err)
			}
		}

		tests := []struct {
			desc    string
			event   func() outbox.Event
			subject string
			text    []string
		}{
			{
				desc: "time off",
				event: func() outbox.Event {
					return f.emit(outbox.DeptTopic(f.dept), worker.EventTimeOffRequested, worker.TimeOffEvent{ID: 31, EmployeeID: f.ann,
						StartsOn: "2026-12-24", EndsOn: "2026-12-26", Status: "pending", Reason: "family"})
				},
				subject: "Ann Tester asks for time off",
				text:    []string{"2026-12-24 to 2026-12-26", "Note: family", "http://crumb.test/dashboard"},
			},
			{
				desc: "accepted swap",
				event: func() outbox.Event {
					return f.emit(outbox.DeptTopic(f.dept), worker.EventSwapRequested, worker.SwapDecision{ID: 8, ShiftID: 5, FromEmployeeID: f.ann, ToEmployeeID: f.bob,
						Status: "accepted", ShiftStartsAt: time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC), ShiftEndsAt: time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC),
						DepartmentName: "Bakery", FromName: "Ann Tester", ToName: "Bob Tester"})
				},
				subject: "Ann Tester asks for a shift swap",
				text:    []string{"the Bakery shift on Mon Dec 7 09:00–17:00 to Bob Tester, who accepted", "http://crumb.test/dashboard"},
			},
		}
		for i, tc := range tests {
			e := tc.event()
			run(e)
			run(e) // a redelivery sends nothing more
			got := f.mailbox("mia@example.com")
			if len(got) != i+1 {
				t.Fatalf("%s: the manager has %d e-mails, want %d", tc.desc, len(got), i+1)
			}
			m := got[0]
			for _, g := range got {
				if g.Subject == tc.subject {
					m = g
				}
			}
			if m.Subject != tc.subject {
				t.Errorf("%s: subject %q, want %q", tc.desc, m.Subject, tc.subject)
			}
			for _, want := range tc.text {
				if !strings.Contains(m.Text, want) {
					t.Errorf("%s: e-mail without %q:\n%s", tc.desc, want, m.Text)
				}
			}
		}
		for _, who := range []string{"quinn@example.com", "ann@example.com", "bob@example.com"} {
			if n := len(f.mailbox(who)); n != 0 {
				t.Errorf("%s got %d e-mails", who, n)
			}
		}
		// A manager's own request goes to the other managers only.
		run(f.emit(outbox.DeptTopic(f.dept), worker.EventTimeOffRequested, worker.TimeOffEvent{ID: 32, EmployeeID: f.manager,
			StartsOn: "2027-01-04", EndsOn: "2027-01-04", Status: "pending"}))
		if n := len(f.mailbox("mia@example.com")); n != 2 {
			t.Errorf("the manager was told of her own request: %d e-mails", n)
		}
		mu.Lock()
		if pushes["/mia"] != 2 || pushes["/quinn"] != 3 {
			t.Errorf("pushes %v, want 2 to the manager and 3 to the one without e-mail", pushes)
		}
		mu.Unlock()
		// A swap the colleague has not accepted yet, and the people's own
		// copies of the event, ask nothing of the managers.
		for _, e := range []outbox.Event{
			{Seq: 90, Topic: outbox.DeptTopic(f.dept), Type: worker.EventSwapRequested, Data: mustJSON(t, map[string]any{"id": 9, "status": "pending"})},
			{Seq: 91, Topic: outbox.UserTopic(f.bob), Type: worker.EventSwapRequested, Data: mustJSON(t, map[string]any{"id": 9, "status": "accepted"})},
		} {
			if task := requestTask(t, e); task != nil {
				t.Errorf("%s on %s: a request task", e.Type, e.Topic)
			}
		}
	})
}
