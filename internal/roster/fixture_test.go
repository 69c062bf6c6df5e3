package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// fixture is a store in America/Halifax with two departments: A (a manager
// and five employees) and B (a manager and one employee).
type fixture struct {
	t       *testing.T
	d       *db.DB
	svc     *Service
	clock   *testutil.Clock
	admin   auth.Principal
	deptA   int64
	deptB   int64
	mgrA    auth.Principal
	mgrB    auth.Principal
	emps    []auth.Principal // in A
	empB    auth.Principal
	nextEID int
}

var ctx = context.Background()

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	clock := testutil.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	ppl := &people.Service{W: w}
	if err := ppl.EnsureStore(ctx, "Test Store", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, d: d, svc: &Service{W: w, People: ppl}, clock: clock, admin: auth.System}
	f.deptA, f.deptB = f.dept("A"), f.dept("B")
	f.mgrA = f.person(auth.RoleManager, f.deptA)
	f.mgrB = f.person(auth.RoleManager, f.deptB)
	for i := 0; i < 5; i++ {
		f.emps = append(f.emps, f.person(auth.RoleEmployee, f.deptA))
	}
	f.empB = f.person(auth.RoleEmployee, f.deptB)
	f.admin = f.person(auth.RoleAdmin)
	return f
}

func (f *fixture) dept(name string) int64 {
	f.t.Helper()
	res, err := f.d.ExecContext(ctx, "INSERT INTO departments (name, color, version, created_at, updated_at) VALUES (?, '#000000', 1, ?, ?)",
		name, f.clock.Now().UTC(), f.clock.Now().UTC())
	if err != nil {
		f.t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

// person inserts a user directly (no password hashing: tests build
// principals themselves).
func (f *fixture) person(role auth.Role, depts ...int64) auth.Principal {
	f.t.Helper()
	f.nextEID++
	now := f.clock.Now().UTC()
	res, err := f.d.ExecContext(ctx, `INSERT INTO users (email, password_hash, first_name, last_name, role, max_hours_per_week, version, created_at, updated_at)
		VALUES (?, 'x', ?, 'Test', ?, 40, 1, ?, ?)`, fmt.Sprintf("p%d@example.com", f.nextEID), fmt.Sprintf("P%d", f.nextEID), string(role), now, now)
	if err != nil {
		f.t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	for _, d := range depts {
		if _, err := f.d.ExecContext(ctx, "INSERT INTO user_departments (user_id, department_id) VALUES (?, ?)", id, d); err != nil {
			f.t.Fatal(err)
		}
	}
	if depts == nil {
		depts = []int64{}
	}
	return auth.Principal{UserID: id, Role: role, DeptIDs: depts}
}

func ptr[T any](v T) *T { return &v }

// local is an instant given as Halifax wall-clock time.
func local(s string) string {
	loc, _ := time.LoadLocation("America/Halifax")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t.Format(time.RFC3339)
}

func shiftIn(dept int64, emp *int64, from, to string) ShiftInput {
	in := ShiftInput{DepartmentID: &dept, StartsAt: ptr(local(from)), EndsAt: ptr(local(to)), Position: ptr("Counter")}
	if emp != nil {
		in.EmployeeID = NullableID{Set: true, Value: emp}
	}
	return in
}

func (f *fixture) mustCreate(p auth.Principal, in ShiftInput) ShiftResult {
	f.t.Helper()
	sh, err := f.svc.CreateShift(ctx, p, in)
	if err != nil {
		f.t.Fatalf("create shift: %v", err)
	}
	return sh
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

type storedEvent struct {
	Topic, Type string
	Data        map[string]any
}

// events returns the events after seq.
func (f *fixture) events(after int64) []storedEvent {
	f.t.Helper()
	rows, err := f.d.QueryContext(ctx, "SELECT topic, type, payload FROM events WHERE seq > ? ORDER BY seq", after)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		var payload string
		if err := rows.Scan(&e.Topic, &e.Type, &payload); err != nil {
			f.t.Fatal(err)
		}
		json.Unmarshal([]byte(payload), &e.Data)
		out = append(out, e)
	}
	return out
}

func (f *fixture) lastSeq() int64 {
	var n int64
	f.d.QueryRowContext(ctx, "SELECT seq FROM outbox_seq WHERE id = 1").Scan(&n)
	return n
}

func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	return e
}

func peopleListParams() paging.ListParams { return paging.ListParams{} }
