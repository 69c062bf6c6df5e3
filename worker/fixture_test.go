package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// fixture is a store with one department, a manager and two employees, a
// private Redis database, and worker handlers wired to the dev mailbox.
type fixture struct {
	t        *testing.T
	d        *db.DB
	clock    *testutil.Clock
	people   *people.Service
	writer   *outbox.Writer
	box      *mail.DevBox
	sms      *sms.DevBox
	notify   *notify.Store
	redis    asynq.RedisClientOpt
	client   *asynq.Client
	insp     *asynq.Inspector
	h        *worker.Handlers
	dept     int64
	manager  int64
	ann, bob int64
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	ps := &people.Service{W: w, Passwords: testutil.CheapHasher()}
	if err := ps.EnsureStore(ctx, "Test Store", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, d: d, clock: clock, people: ps, writer: w}
	name, color := "Bakery", "#aa5500"
	dep, err := ps.CreateDepartment(ctx, auth.System, people.DepartmentInput{Name: &name, Color: &color})
	if err != nil {
		t.Fatal(err)
	}
	f.dept = dep.ID
	f.manager = f.person("Mia", "mia@example.com", auth.RoleManager)
	f.ann = f.person("Ann", "ann@example.com", auth.RoleEmployee)
	f.bob = f.person("Bob", "bob@example.com", auth.RoleEmployee)

	rc, n := testutil.Redis(t)
	_ = rc
	f.redis = asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}
	f.client = asynq.NewClient(f.redis)
	f.insp = asynq.NewInspector(f.redis)
	t.Cleanup(func() { f.client.Close(); f.insp.Close() })
	f.box = &mail.DevBox{DB: d, Clock: clock.Now}
	f.sms = &sms.DevBox{DB: d, Clock: clock.Now}
	f.notify = &notify.Store{DB: d, Clock: clock.Now, Writer: w, SMS: f.sms, BaseURL: "http://crumb.test",
		Zone: func(ctx context.Context) (*time.Location, error) {
			st, err := ps.GetStore(ctx)
			return st.Location(), err
		}}
	rep := &reports.Service{W: w, Queue: worker.ReportQueue{Client: f.client},
		Blob:    &blob.Dir{Root: t.TempDir(), BaseURL: "http://crumb.test", Key: make([]byte, 32), Clock: clock.Now},
		Sources: map[string]reports.Source{}}
	f.h = &worker.Handlers{Deps: worker.Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.Now,
		Store: ps.GetStore, Writer: w, Notify: f.notify, Mail: f.box, BaseURL: "http://crumb.test",
		Queue: f.client, Inspector: f.insp, Reports: rep, SMS: f.sms,
	}}
	return f
}

func (f *fixture) person(first, email string, role auth.Role) int64 {
	f.t.Helper()
	last := "Tester"
	depts := []int64{f.dept}
	pw := "a-long-test-password"
	e, err := f.people.CreateEmployee(context.Background(), auth.System, people.EmployeeInput{FirstName: &first, LastName: &last,
		Email: &email, Role: &role, DepartmentIDs: &depts, Password: &pw})
	if err != nil {
		f.t.Fatalf("create %s: %v", email, err)
	}
	return e.ID
}

// emit commits one event and returns it with its seq.
func (f *fixture) emit(topic, typ string, data any) outbox.Event {
	f.t.Helper()
	var out outbox.Event
	err := f.writer.Do(context.Background(), func(tx *outbox.Tx) error {
		tx.Emit(topic, typ, data)
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	evs, err := outbox.Reader{DB: f.d}.After(context.Background(), 0, []string{topic}, 1000)
	if err != nil || len(evs) == 0 {
		f.t.Fatalf("read back event: %v", err)
	}
	out = evs[len(evs)-1]
	return out
}

// events returns the events of a type on a topic.
func (f *fixture) events(topic, typ string) []outbox.Event {
	f.t.Helper()
	evs, err := outbox.Reader{DB: f.d}.After(context.Background(), 0, []string{topic}, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []outbox.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) mailbox(to string) []mail.Stored {
	f.t.Helper()
	msgs, err := f.box.List(context.Background(), to, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	return msgs
}

// enqueueEvent does what the relay does: TasksForEvent, then Enqueue with
// TaskID "<type>:<seq>". It returns how many enqueues were refused as
// duplicates.
func (f *fixture) enqueueEvent(e outbox.Event) int {
	f.t.Helper()
	tasks, err := worker.TasksForEvent(e)
	if err != nil {
		f.t.Fatal(err)
	}
	dups := 0
	for _, task := range tasks {
		_, err := f.client.Enqueue(task, asynq.TaskID(worker.EventTaskID(task, e.Seq)))
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			dups++
		} else if err != nil {
			f.t.Fatal(err)
		}
	}
	return dups
}

// serve runs an asynq server on the fixture's Redis until the test ends.
func (f *fixture) serve(cfg asynq.Config, h asynq.Handler) {
	f.t.Helper()
	srv := asynq.NewServer(f.redis, cfg)
	if err := srv.Start(h); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(srv.Shutdown)
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flakySender fails its first n sends, then delivers to next.
type flakySender struct {
	mu    sync.Mutex
	fails int
	calls int
	next  mail.Sender
}

func (s *flakySender) Send(ctx context.Context, m mail.Message) error {
	s.mu.Lock()
	s.calls++
	fail := s.calls <= s.fails
	s.mu.Unlock()
	if fail {
		return errors.New("smtp: 451 try again later")
	}
	return s.next.Send(ctx, m)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
