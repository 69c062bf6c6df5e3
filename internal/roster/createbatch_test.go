package roster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// holdCreates makes the next batch of creates wait until n are queued, so
// the creates a test sends one after another land in one batch.
func (f *fixture) holdCreates(n int) {
	b := &f.svc.creates
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queued == nil {
		b.queued = sync.NewCond(&b.mu)
	}
	b.holdFor = n
}

func (f *fixture) queuedCreates() int {
	b := &f.svc.creates
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// waitQueued waits until n creates are queued (the batch is held).
func (f *fixture) waitQueued(n int) {
	f.t.Helper()
	for i := 0; f.queuedCreates() != n; i++ {
		if i == 10000 {
			f.t.Fatalf("%d creates queued, want %d", f.queuedCreates(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

type createReq struct {
	p  auth.Principal
	in ShiftInput
}

type createAnswer struct {
	Result ShiftResult
	Err    *apperr.Error
}

func answer(t *testing.T, res ShiftResult, err error) createAnswer {
	t.Helper()
	if err == nil {
		return createAnswer{Result: res}
	}
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("unexpected error: %v", err)
	}
	return createAnswer{Err: e}
}

// origin is the request origin of the i-th create of a test.
func origin(i int) context.Context {
	return outbox.WithOrigin(ctx, outbox.Origin{IP: fmt.Sprintf("10.0.0.%d", i), RequestID: fmt.Sprintf("req-%d", i)})
}

// createBatch sends reqs one after another into one held batch and returns
// their answers in order.
func (f *fixture) createBatch(reqs []createReq) []createAnswer {
	f.t.Helper()
	f.holdCreates(len(reqs))
	out := make([]createAnswer, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.CreateShift(origin(i), r.p, r.in)
			out[i] = answer(f.t, res, err)
		}()
		if i < len(reqs)-1 { // the last one starts the batch
			f.waitQueued(i + 1)
		}
	}
	wg.Wait()
	return out
}

// createOneByOne sends reqs through the single-create path, in order.
func (f *fixture) createOneByOne(reqs []createReq) []createAnswer {
	f.t.Helper()
	out := make([]createAnswer, len(reqs))
	for i, r := range reqs {
		c := origin(i)
		st, sh, err := f.svc.prepareCreate(c, r.p, r.in)
		var res ShiftResult
		if err == nil {
			res, err = f.svc.createAlone(c, r.p, st, sh)
		}
		out[i] = answer(f.t, res, err)
	}
	return out
}

// written is what the creates left in the database, ids included.
type written struct {
	Shifts, Audits, Events []string
}

func (f *fixture) written() written {
	f.t.Helper()
	var w written
	for _, q := range []struct {
		dst   *[]string
		query string
	}{
		{&w.Shifts, "SELECT id, department_id, COALESCE(employee_id, 0), starts_at, ends_at, position, status, version FROM shifts ORDER BY id"},
		{&w.Audits, "SELECT COALESCE(actor_id, 0), action, entity, COALESCE(entity_id, 0), ip, request_id, detail FROM audit_log WHERE action = 'shift.create' ORDER BY id"},
		{&w.Events, "SELECT topic, type, payload FROM events WHERE type LIKE '%shift.%' ORDER BY seq"},
	} {
		rows, err := f.d.QueryContext(ctx, q.query)
		if err != nil {
			f.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				f.t.Fatal(err)
			}
			for i, v := range vals {
				switch x := v.(type) {
				case []byte:
					vals[i] = string(x)
				case time.Time:
					vals[i] = x.UTC().Format(time.RFC3339Nano)
				}
			}
			*q.dst = append(*q.dst, fmt.Sprint(vals...))
		}
		rows.Close()
	}
	return w
}

// batchCase builds, on a fresh fixture, people in every situation the rules
// know, and a run of creates that meets each of them, some against creates
// earlier in the same run.
func batchCase(t *testing.T, d *db.DB) (*fixture, []createReq) {
	f := newFixture(t, d)
	e := func(i int) *int64 { return &f.emps[i].UserID }
	// emps[2] is available on Wednesdays 10:00-18:00 only.
	if _, err := f.svc.SetAvailability(ctx, f.mgrA, f.emps[2].UserID, []AvailabilityWindow{{Weekday: 3, Start: "10:00", End: "18:00"}}); err != nil {
		t.Fatal(err)
	}
	// emps[3] has approved time off on 2026-12-02.
	off, err := f.svc.RequestTimeOff(ctx, f.emps[3], TimeOffInput{StartsOn: "2026-12-02", EndsOn: "2026-12-02"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DecideTimeOff(ctx, f.mgrA, off.ID, true); err != nil {
		t.Fatal(err)
	}
	// emps[4] has left.
	if _, err := d.ExecContext(ctx, "UPDATE users SET active = ? WHERE id = ?", false, f.emps[4].UserID); err != nil {
		t.Fatal(err)
	}
	published := func(in ShiftInput) ShiftInput { in.Status = ptr(StatusPublished); return in }
	reqs := []createReq{
		{f.mgrA, shiftIn(f.deptA, e(0), "2026-12-02 09:00", "2026-12-02 17:00")},             // 201
		{f.mgrA, shiftIn(f.deptA, e(0), "2026-12-02 16:00", "2026-12-02 20:00")},             // 409: overlaps the first
		{f.mgrA, shiftIn(f.deptA, e(0), "2026-12-03 01:00", "2026-12-03 05:00")},             // 201, min_rest after the first
		{f.mgrA, published(shiftIn(f.deptA, e(1), "2026-12-02 09:00", "2026-12-02 17:00"))},  // 201, published: e1 is told
		{f.mgrA, shiftIn(f.deptA, e(1), "2026-12-02 06:00", "2026-12-02 09:00")},             // 201, back to back
		{f.mgrA, shiftIn(f.deptA, e(1), "2026-12-02 12:00", "2026-12-02 13:00")},             // 409: overlaps the published one
		{f.mgrA, shiftIn(f.deptA, e(2), "2026-12-02 09:00", "2026-12-02 17:00")},             // 201, availability
		{f.mgrA, shiftIn(f.deptA, e(3), "2026-12-02 09:00", "2026-12-02 17:00")},             // 409: time off
		{f.mgrA, shiftIn(f.deptA, &f.empB.UserID, "2026-12-03 09:00", "2026-12-03 17:00")},   // 422: not in A
		{f.mgrA, shiftIn(f.deptA, ptr(int64(9999)), "2026-12-03 09:00", "2026-12-03 17:00")}, // 404: nobody
		{f.admin, shiftIn(999, nil, "2026-12-03 09:00", "2026-12-03 17:00")},                 // 404: no department
		{f.admin, shiftIn(999, e(0), "2026-12-05 09:00", "2026-12-05 17:00")},                // 404: no department
		{f.mgrA, shiftIn(f.deptA, e(4), "2026-12-03 09:00", "2026-12-03 17:00")},             // 422: inactive
		{f.mgrB, published(shiftIn(f.deptB, nil, "2026-12-02 09:00", "2026-12-02 17:00"))},   // 201, open
		{f.mgrB, shiftIn(f.deptB, &f.empB.UserID, "2026-12-02 09:00", "2026-12-02 17:00")},   // 201
	}
	return f, reqs
}

// TestCombinedCreatesAsIfOneByOne: a batch answers every create and writes
// exactly what the same creates, sent one by one through the single path,
// answer and write on another database: the same shifts, ids, warnings,
// conflicts, audit rows (each with its own request's origin) and events.
// It runs twice: with ids derived from the first (consecutive ids, as on
// SQLite and MariaDB) and with ids read back (MySQL 8's interleaved ids).
func TestCombinedCreatesAsIfOneByOne(t *testing.T) {
	t.Parallel()
	for _, readBack := range []bool{false, true} {
		t.Run(fmt.Sprintf("read back ids %v", readBack), func(t *testing.T) {
			testCombinedCreatesAsIfOneByOne(t, readBack)
		})
	}
}

func testCombinedCreatesAsIfOneByOne(t *testing.T, readBackIDs bool) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		d.InterleavedIDs = readBackIDs
		f, reqs := batchCase(t, d)
		got := f.createBatch(reqs)
		ref, refReqs := batchCase(t, testutil.NewDB(t, d.Dialect))
		want := ref.createOneByOne(refReqs)

		codes := make([]string, len(got))
		for i, a := range got {
			codes[i] = "201"
			if a.Err != nil {
				codes[i] = string(a.Err.Code)
			}
		}
		wantCodes := []string{"201", "conflict", "201", "201", "201", "conflict", "201", "conflict",
			"validation_failed", "not_found", "not_found", "not_found", "validation_failed", "201", "201"}
		if !reflect.DeepEqual(codes, wantCodes) {
			t.Fatalf("answers %v, want %v", codes, wantCodes)
		}
		for i := range got {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want[i])
			if string(g) != string(w) {
				t.Errorf("create %d:\n batch     %s\n one by one %s", i, g, w)
			}
		}
		if c := got[1].Err.Conflicts; len(c) != 1 || c[0].ShiftID != got[0].Result.ID {
			t.Errorf("in-batch overlap conflicts = %+v, want shift %d", c, got[0].Result.ID)
		}
		if w := got[2].Result.Warnings; len(w) != 1 || w[0].Kind != WarnMinRest {
			t.Errorf("rest after an in-batch shift: warnings %+v", w)
		}
		if w := got[6].Result.Warnings; len(w) != 1 || w[0].Kind != WarnAvailability {
			t.Errorf("availability warnings %+v", w)
		}
		gw, ww := f.written(), ref.written()
		if len(gw.Shifts) != 7 || len(gw.Audits) != 7 || len(gw.Events) != 8 {
			t.Errorf("%d shifts, %d audit rows, %d events written; want 7, 7, 8", len(gw.Shifts), len(gw.Audits), len(gw.Events))
		}
		for _, part := range []struct {
			name      string
			got, want []string
		}{{"shifts", gw.Shifts, ww.Shifts}, {"audit rows", gw.Audits, ww.Audits}, {"events", gw.Events, ww.Events}} {
			if !reflect.DeepEqual(part.got, part.want) {
				t.Errorf("%s differ:\n batch      %q\n one by one %q", part.name, part.got, part.want)
			}
		}
		// Each audit row carries its own request's origin.
		for i, a := range got {
			if a.Err != nil {
				continue
			}
			var ip, rid string
			if err := d.QueryRowContext(ctx, "SELECT ip, request_id FROM audit_log WHERE action = 'shift.create' AND entity_id = ?", a.Result.ID).Scan(&ip, &rid); err != nil {
				t.Fatal(err)
			}
			if ip != fmt.Sprintf("10.0.0.%d", i) || rid != fmt.Sprintf("req-%d", i) {
				t.Errorf("create %d: audit origin %s %s", i, ip, rid)
			}
		}
		if n := f.count(overlapQuery); n != 0 {
			t.Errorf("%d overlapping pairs stored", n)
		}
	})
}

// TestCombinedCreatesValidationNeverQueues: bad input and forbidden creates
// are answered before the batch, even while it is held.
func TestCombinedCreatesValidationNeverQueues(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e0 := f.emps[0].UserID
		f.holdCreates(2)
		done := make(chan createAnswer)
		go func() {
			res, err := f.svc.CreateShift(ctx, f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 09:00", "2026-12-02 17:00"))
			done <- answer(t, res, err)
		}()
		f.waitQueued(1)
		_, err := f.svc.CreateShift(ctx, f.mgrA, shiftIn(f.deptA, &e0, "2026-12-03 17:00", "2026-12-03 09:00"))
		wantCode(t, err, apperr.ValidationFailed)
		_, err = f.svc.CreateShift(ctx, f.emps[1], shiftIn(f.deptA, nil, "2026-12-03 09:00", "2026-12-03 17:00"))
		wantCode(t, err, apperr.Forbidden)
		if n := f.queuedCreates(); n != 1 {
			t.Fatalf("%d creates queued, want 1", n)
		}
		go func() {
			res, err := f.svc.CreateShift(ctx, f.mgrA, shiftIn(f.deptA, &e0, "2026-12-04 09:00", "2026-12-04 17:00"))
			done <- answer(t, res, err)
		}()
		for i := 0; i < 2; i++ {
			if a := <-done; a.Err != nil {
				t.Errorf("create: %v", a.Err)
			}
		}
	})
}

// TestCombinedCreatesCancelledWhileQueued: a create whose caller gives up
// while it waits for its batch is answered with the context's error and
// not written; the batch goes on with the others.
func TestCombinedCreatesCancelledWhileQueued(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		e := func(i int) *int64 { return &f.emps[i].UserID }
		f.holdCreates(3)
		type res struct {
			i int
			a ShiftResult
			e error
		}
		done := make(chan res, 4)
		send := func(i int, c context.Context) {
			go func() {
				a, err := f.svc.CreateShift(c, f.mgrA, shiftIn(f.deptA, e(i), "2026-12-02 09:00", "2026-12-02 17:00"))
				done <- res{i, a, err}
			}()
		}
		send(0, ctx)
		f.waitQueued(1)
		gone, cancel := context.WithCancel(ctx)
		send(1, gone)
		f.waitQueued(2)
		cancel()
		if r := <-done; r.i != 1 || !errors.Is(r.e, context.Canceled) {
			t.Fatalf("cancelled create answered %d %v", r.i, r.e)
		}
		f.waitQueued(1)
		send(2, ctx)
		send(3, ctx)
		for range 3 {
			if r := <-done; r.e != nil {
				t.Errorf("create %d: %v", r.i, r.e)
			}
		}
		if n := f.count("SELECT COUNT(*) FROM shifts WHERE employee_id = ?", *e(1)); n != 0 {
			t.Errorf("the cancelled create wrote %d shifts", n)
		}
		if n := f.count("SELECT COUNT(*) FROM shifts"); n != 3 {
			t.Errorf("%d shifts, want 3", n)
		}
	})
}

// TestCombinedCreatesFallBack: when the batch transaction fails for a
// reason that is not one create's fault (here a department deleted between
// the batch's reads and its inserts: the insert breaks its foreign key),
// every create runs again alone and gets its own answer.
func TestCombinedCreatesFallBack(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		gone := f.dept("Closing")
		e0, e1 := f.emps[0].UserID, f.emps[1].UserID
		hooked := 0
		f.svc.creates.afterRead = func(ctx context.Context, tx *outbox.Tx) error {
			hooked++
			if d.IsMySQL() {
				// Another session deletes it and commits: the batch read it
				// as present, its insert finds it gone.
				_, err := d.ExecContext(ctx, "DELETE FROM departments WHERE id = ?", gone)
				return err
			}
			// SQLite's write lock keeps other sessions out while the batch
			// runs, so the batch deletes it itself; the rollback restores it.
			_, err := tx.ExecContext(ctx, "DELETE FROM departments WHERE id = ?", gone)
			return err
		}
		got := f.createBatch([]createReq{
			{f.mgrA, shiftIn(f.deptA, &e0, "2026-12-02 09:00", "2026-12-02 17:00")},
			{f.admin, shiftIn(gone, nil, "2026-12-02 09:00", "2026-12-02 17:00")},
			{f.mgrA, shiftIn(f.deptA, &e1, "2026-12-02 09:00", "2026-12-02 17:00")},
			{f.mgrA, shiftIn(f.deptA, &e1, "2026-12-02 10:00", "2026-12-02 11:00")},
		})
		f.svc.creates.afterRead = nil
		if hooked != 1 {
			t.Errorf("batch transaction ran %d times, want 1", hooked)
		}
		if got[0].Err != nil || got[2].Err != nil {
			t.Errorf("the neighbours failed: %v, %v", got[0].Err, got[2].Err)
		}
		if got[3].Err == nil || got[3].Err.Code != apperr.Conflict {
			t.Errorf("the overlap, run alone, answered %+v", got[3])
		}
		if d.IsMySQL() {
			if got[1].Err == nil || got[1].Err.Code != apperr.NotFound {
				t.Errorf("the create in the deleted department answered %+v", got[1])
			}
		} else if got[1].Err != nil {
			t.Errorf("the create in the restored department answered %v", got[1].Err)
		}
		wantShifts := 2
		if !d.IsMySQL() {
			wantShifts = 3
		}
		if n := f.count("SELECT COUNT(*) FROM shifts"); n != wantShifts {
			t.Errorf("%d shifts stored, want %d", n, wantShifts)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'shift.create'"); n != wantShifts {
			t.Errorf("%d audit rows, want %d", n, wantShifts)
		}
		if n := f.count(overlapQuery); n != 0 {
			t.Errorf("%d overlapping pairs stored", n)
		}
	})
}

// TestCombinedCreatesCallerDeadline: a create whose context ends while its
// batch is held (a database that stopped answering) answers at once with
// its context's error instead of waiting for the batch; the batch, once it
// goes on, may still write it.
func TestCombinedCreatesCallerDeadline(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		reached, release := make(chan struct{}), make(chan struct{})
		f.svc.creates.afterRead = func(context.Context, *outbox.Tx) error {
			close(reached)
			<-release
			return nil
		}
		c, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := f.svc.CreateShift(c, f.mgrA, shiftIn(f.deptA, &f.emps[0].UserID, "2026-12-02 09:00", "2026-12-02 17:00"))
			done <- err
		}()
		<-reached
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) { // while the batch is still held
			t.Fatalf("create answered %v, want its context's error", err)
		}
		close(release)
		testutil.Eventually(t, 10*time.Second, "the held batch to finish", func() bool {
			return f.count("SELECT COUNT(*) FROM shifts") == 1
		})
	})
}
