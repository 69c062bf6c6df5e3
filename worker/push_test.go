package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestPushReminder: a reminder reaches the device once per reminder id.
func TestPushReminder(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var hits atomic.Int32
		ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusCreated)
		}))
		defer ps.Close()
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		keys, err := push.LoadKeys(ctx, d, "", "", now)
		if err != nil {
			t.Fatal(err)
		}
		res, err := d.ExecContext(ctx, "INSERT INTO users (first_name, last_name, email, password_hash, role, active, max_hours_per_week, version, created_at, updated_at) VALUES ('R', 'M', 'r@example.com', '', 'employee', 1, 40, 1, ?, ?)", now, now)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := res.LastInsertId()
		svc := &push.Service{DB: d, Keys: keys, Clock: func() time.Time { return now }, Subscriber: "ops@example.com", AllowLoopbackHTTP: true}
		var sub push.Subscription
		sub.Endpoint = ps.URL + "/r"
		sub.Keys.P256dh = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
		sub.Keys.Auth = "tBHItJI5svbpez7KI4CCXg"
		if err := svc.Subscribe(ctx, auth.Principal{UserID: uid}, sub, ""); err != nil {
			t.Fatal(err)
		}
		clock := func() time.Time { return now }
		h := &Handlers{Deps: Deps{Push: svc, Clock: clock, Notify: &notify.Store{DB: d, Clock: clock}}}
		n := note{ref: "reminder:9:1", userID: uid, kind: notify.KindReminder, event: "reminder"}
		start := now.Add(12 * time.Hour)
		for i := 0; i < 2; i++ {
			if err := h.pushReminder(ctx, asynq.NewTask(TypeEmailReminder, nil), n, start, start.Add(8*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if hits.Load() != 1 {
			t.Errorf("push service got %d reminders, want 1", hits.Load())
		}
	})
}
