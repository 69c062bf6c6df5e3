package outbox_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

type recorder struct {
	mu  sync.Mutex
	got []outbox.Event
}

func (r *recorder) Committed(evs []outbox.Event) {
	r.mu.Lock()
	r.got = append(r.got, evs...)
	r.mu.Unlock()
}

func TestEventsCommitWithTheWrite(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := outbox.NewWriter(d, nil)
		rec := &recorder{}
		w.SetNotifier(rec)

		// A failed transaction leaves neither its write, its events nor its audit.
		boom := errors.New("boom")
		err := w.Do(ctx, func(tx *outbox.Tx) error {
			tx.Emit(outbox.TopicStore, "x.failed", map[string]int{"n": 1})
			tx.Audit(outbox.Audit{Action: "x", Entity: "x"})
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		err = w.Do(ctx, func(tx *outbox.Tx) error {
			tx.Emit(outbox.DeptTopic(3), "shift.created", map[string]int{"id": 7})
			tx.EmitManagers(outbox.DeptTopic(3), "shift.updated", map[string]int{"id": 7})
			tx.Emit(outbox.UserTopic(9), "shift.assigned", map[string]int{"id": 7})
			tx.Audit(outbox.Audit{ActorID: 1, Action: "shift.create", Entity: "shift", EntityID: 7})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.got) != 3 || rec.got[0].Seq != 1 || rec.got[2].Seq != 3 {
			t.Fatalf("notified %+v", rec.got)
		}
		// Do returns once its events are numbered: on MySQL by the
		// sequencer, on SQLite inside the transaction itself.
		var unnumbered int
		if err := d.QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE seq IS NULL").Scan(&unnumbered); err != nil || unnumbered != 0 {
			t.Fatalf("%d unnumbered events after Do (%v)", unnumbered, err)
		}
		evs, err := outbox.Reader{DB: d}.After(ctx, 0, []string{"dept:3"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Type != "shift.created" || evs[0].ManagersOnly || !evs[1].ManagersOnly || evs[1].Type != "shift.updated" {
			t.Fatalf("read back %+v", evs)
		}
		var audits int
		d.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&audits)
		if audits != 1 {
			t.Fatalf("%d audit rows", audits)
		}
	})
}

// Concurrent writers, through two Writers (two processes, each with its own
// sequencer racing the other), must number events in the order they became
// visible: a reader that has seen seq N never later finds a smaller one
// (resume by "since" has no gaps), and seqs are 1..N without holes. One
// writer in four numbers its own events (Tx.NumberHere, as the roster's
// combined creates do) while the others leave theirs to the sequencers.
func TestSequenceIsCommitOrder(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		pair := [2]*outbox.Writer{outbox.NewWriter(d, nil), outbox.NewWriter(d, nil)}
		r := outbox.Reader{DB: d}
		const writers, each = 8, 25
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var readerErr error
		seen := map[int64]bool{}
		var last int64
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			for {
				select {
				case <-stop:
					return
				default:
				}
				evs, err := r.After(ctx, last, []string{"store"}, 1000)
				if err != nil {
					readerErr = err
					return
				}
				for _, e := range evs {
					if e.Seq <= last || seen[e.Seq] {
						readerErr = errors.New("sequence went backwards")
						return
					}
					seen[e.Seq] = true
					last = e.Seq
				}
				time.Sleep(time.Millisecond)
			}
		}()
		for i := 0; i < writers; i++ {
			wg.Add(1)
			w := pair[i%2]
			go func() {
				defer wg.Done()
				for j := 0; j < each; j++ {
					if err := w.Do(ctx, func(tx *outbox.Tx) error {
						if i%4 == 3 {
							tx.NumberHere()
						}
						tx.Emit(outbox.TopicStore, "tick", map[string]int{"j": j})
						tx.Emit(outbox.TopicStore, "tock", map[string]int{"j": j})
						return nil
					}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		<-readerDone
		if readerErr != nil {
			t.Fatal(readerErr)
		}
		// A tailing reader that only ever asks for seq > last must still have
		// seen every event: had one committed with a smaller seq after a
		// larger one was read, it would be missing here.
		for {
			evs, _ := r.After(ctx, last, []string{"store"}, 1000)
			if len(evs) == 0 {
				break
			}
			for _, e := range evs {
				seen[e.Seq] = true
				last = e.Seq
			}
		}
		if len(seen) != 2*writers*each {
			t.Fatalf("a tailing reader saw %d of %d events: commit order differs from seq order", len(seen), 2*writers*each)
		}
		evs, err := r.After(ctx, 0, []string{"store"}, 100000)
		if err != nil {
			t.Fatal(err)
		}
		seqs := make([]int64, len(evs))
		for i, e := range evs {
			seqs[i] = e.Seq
		}
		want := make([]int64, 2*writers*each)
		for i := range want {
			want[i] = int64(i + 1)
		}
		if !slices.Equal(seqs, want) {
			t.Fatalf("seqs are not 1..%d without gaps: %v", len(want), seqs)
		}
	})
}

func TestRelayBookkeeping(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := outbox.NewWriter(d, nil)
		r := outbox.Reader{DB: d}
		for i := 0; i < 3; i++ {
			w.Do(ctx, func(tx *outbox.Tx) error { tx.Emit(outbox.TopicStore, "e", i); return nil })
		}
		un, err := r.Unrelayed(ctx, time.Now().Add(time.Minute), 10)
		if err != nil || len(un) != 3 {
			t.Fatalf("unrelayed %d %v", len(un), err)
		}
		if err := r.MarkRelayed(ctx, []int64{1, 2}, time.Now()); err != nil {
			t.Fatal(err)
		}
		un, _ = r.Unrelayed(ctx, time.Now().Add(time.Minute), 10)
		if len(un) != 1 || un[0].Seq != 3 {
			t.Fatalf("after marking: %+v", un)
		}
		lo, hi, err := r.Bounds(ctx)
		if err != nil || lo != 1 || hi != 3 {
			t.Fatalf("bounds %d %d %v", lo, hi, err)
		}
		n, err := r.DeleteBefore(ctx, time.Now().Add(time.Hour))
		if err != nil || n != 3 {
			t.Fatalf("deleted %d %v", n, err)
		}
	})
}

// A crash between a commit and its numbering leaves events unnumbered:
// nobody reads them (no seq to resume from) until the next round, the
// relay sweep's first step, numbers them after what is already numbered.
func TestUnnumberedEventsWaitForTheSequencer(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := outbox.NewWriter(d, nil)
		r := outbox.Reader{DB: d}
		w.Do(ctx, func(tx *outbox.Tx) error { tx.Emit(outbox.TopicStore, "before", 1); return nil })
		// What a writer that died right after COMMIT leaves behind.
		if _, err := d.ExecContext(ctx, "INSERT INTO events (topic, type, payload, created_at) VALUES ('store', 'orphan', '{}', ?)", time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if evs, _ := r.After(ctx, 0, []string{"store"}, 10); len(evs) != 1 {
			t.Fatalf("before numbering a reader sees %d events, want 1", len(evs))
		}
		if un, _ := r.Unrelayed(ctx, time.Now().Add(time.Minute), 10); len(un) != 1 {
			t.Fatalf("before numbering the sweep sees %d events, want 1", len(un))
		}
		if err := w.Sequence(ctx); err != nil {
			t.Fatal(err)
		}
		evs, err := r.After(ctx, 0, []string{"store"}, 10)
		if err != nil || len(evs) != 2 || evs[1].Type != "orphan" || evs[1].Seq != 2 {
			t.Fatalf("after numbering: %+v %v", evs, err)
		}
		if _, hi, _ := r.Bounds(ctx); hi != 2 {
			t.Fatalf("head %d, want 2", hi)
		}
	})
}

// TestCommitHook: the hook hears the events of each committed transaction
// before Do returns, and nothing of a transaction that failed.
func TestCommitHook(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := outbox.NewWriter(d, nil)
		var heard []string
		w.SetCommitHook(func(evs []outbox.Event) {
			for _, e := range evs {
				heard = append(heard, e.Topic+" "+e.Type)
			}
		})
		boom := errors.New("boom")
		if err := w.Do(ctx, func(tx *outbox.Tx) error {
			tx.Emit(outbox.DeptTopic(1), "x.failed", nil)
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if err := w.Do(ctx, func(tx *outbox.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := w.Do(ctx, func(tx *outbox.Tx) error {
			tx.EmitManagers(outbox.DeptTopic(3), "shift.updated", nil)
			tx.Emit(outbox.TopicStore, "store.updated", nil)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := []string{"dept:3 shift.updated", "store store.updated"}; !slices.Equal(heard, want) {
			t.Fatalf("heard %q, want %q", heard, want)
		}
	})
}

func TestDeptOfTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc  string
		topic string
		id    int64
		ok    bool
	}{
		{"department", outbox.DeptTopic(42), 42, true},
		{"store", outbox.TopicStore, 0, false},
		{"person", outbox.UserTopic(42), 0, false},
		{"malformed", "dept:x", 0, false},
	}
	for _, tc := range tests {
		if id, ok := outbox.DeptOfTopic(tc.topic); id != tc.id || ok != tc.ok {
			t.Errorf("%s: DeptOfTopic(%q) = %d, %v", tc.desc, tc.topic, id, ok)
		}
	}
}

// Audit rows take the origin of the transaction's context unless a row
// names its own (a transaction serving several requests); many rows are
// written in chunks, in order.
func TestAuditOrigins(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := outbox.WithOrigin(context.Background(), outbox.Origin{IP: "10.0.0.1", RequestID: "tx"})
		w := outbox.NewWriter(d, nil)
		const n = 1203 // more than two chunks
		err := w.Do(ctx, func(tx *outbox.Tx) error {
			for i := 1; i <= n; i++ {
				a := outbox.Audit{ActorID: 1, Action: "x.do", Entity: "x", EntityID: int64(i), Detail: map[string]int{"i": i}}
				if i%2 == 0 {
					a.Origin = &outbox.Origin{IP: "10.0.0.2", RequestID: "row-" + strconv.Itoa(i)}
				}
				tx.Audit(a)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := d.QueryContext(ctx, "SELECT entity_id, ip, request_id, detail FROM audit_log ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		i := 0
		for rows.Next() {
			i++
			var id int
			var ip, rid, detail string
			if err := rows.Scan(&id, &ip, &rid, &detail); err != nil {
				t.Fatal(err)
			}
			wantIP, wantRID := "10.0.0.1", "tx"
			if i%2 == 0 {
				wantIP, wantRID = "10.0.0.2", "row-"+strconv.Itoa(i)
			}
			if id != i || ip != wantIP || rid != wantRID || detail != `{"i":`+strconv.Itoa(i)+`}` {
				t.Fatalf("row %d: %d %s %s %s", i, id, ip, rid, detail)
			}
		}
		if i != n {
			t.Fatalf("%d audit rows, want %d", i, n)
		}
	})
}
