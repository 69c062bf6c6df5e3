package roster

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Combined shift creates: application-level group commit, the shape of the
// outbox sequencer. A create that finds no batch running starts one at
// once; creates that arrive while a batch runs queue up, and the next batch
// takes all of them (up to createBatchMax). One batch is one transaction:
// it locks every person involved in ascending id order (the order of
// lockPeople, so batches and single writes never deadlock), reads what the
// rules need about all of them in one statement, then judges the creates
// in arrival order, each against the stored shifts plus the creates the
// batch accepted before it, exactly as if they had run one after another.
// A create that fails its checks gets its own error and writes nothing; the
// others are written with their own audit row (with their own request's
// origin) and events. If the batch fails for a reason that is not one
// create's fault, every create of it runs again alone (createAlone), in
// arrival order, so one bad create never fails its neighbours.

const (
	// createBatchMax bounds the creates of one batch.
	createBatchMax = 64
	// createBatchTimeout bounds one batch transaction; it serves several
	// requests, so no single request's context may cancel it.
	createBatchTimeout = 10 * time.Second
)

// createCall is one CreateShift waiting for its batch: the checked input,
// and the answer the batch leaves before closing done.
type createCall struct {
	ctx context.Context
	p   auth.Principal
	st  people.Store
	sh  Shift

	done chan struct{}
	out  ShiftResult
	err  error
}

// createCombiner queues creates and runs them in batches, one batch at a
// time per process. The zero value is ready.
type createCombiner struct {
	mu      sync.Mutex
	running bool
	queue   []*createCall

	// Test hooks. holdFor makes the next batch wait until that many
	// creates are queued (then it is reset); afterRead runs in a batch's
	// transaction once the people are locked and read, before any insert.
	holdFor   int
	queued    *sync.Cond
	afterRead func(ctx context.Context, tx *outbox.Tx) error
}

// create queues c and waits for its answer. A caller whose context ends
// gets the context's error at once, so that no request outlives its
// deadline waiting for a batch (a database that stopped answering holds a
// batch up to createBatchTimeout): still queued, it leaves the queue; if
// its batch had started, the shift may yet be written, as when a
// connection breaks after COMMIT.
func (b *createCombiner) create(ctx context.Context, s *Service, c *createCall) (ShiftResult, error) {
	c.done = make(chan struct{})
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if b.queued != nil {
		b.queued.Broadcast()
	}
	if !b.running {
		b.running = true
		go b.loop(s)
	}
	b.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		b.mu.Lock()
		i := slices.Index(b.queue, c)
		if i >= 0 {
			b.queue = slices.Delete(b.queue, i, i+1)
		}
		b.mu.Unlock()
		return ShiftResult{}, ctx.Err()
	}
	return c.out, c.err
}

func (b *createCombiner) loop(s *Service) {
	for {
		b.mu.Lock()
		for b.holdFor > 0 && len(b.queue) < b.holdFor {
			b.queued.Wait()
		}
		b.holdFor = 0
		n := min(len(b.queue), createBatchMax)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := slices.Clone(b.queue[:n])
		b.queue = slices.Delete(b.queue, 0, n)
		b.mu.Unlock()
		s.runCreates(batch)
	}
}

// runCreates writes one batch and answers every create of it.
func (s *Service) runCreates(batch []*createCall) {
	live := batch[:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), createBatchTimeout)
	defer cancel()
	// The batch numbers its own events (writeCreates), so Do returns right
	// after COMMIT.
	err := s.W.Do(ctx, func(tx *outbox.Tx) error { return s.writeCreates(ctx, tx, live) })
	switch {
	case err == nil:
	case db.IsConnLost(err):
		// The connection may have broken after COMMIT reached the server:
		// running the creates again could write them twice, so they fail
		// as a single create would.
		slog.Warn("roster: combined shift creates failed", "creates", len(live), "err", err)
		for _, c := range live {
			c.out, c.err = ShiftResult{}, err
		}
	default:
		// Not one create's fault: each runs alone, in arrival order, with
		// its own context, so one bad create never fails its neighbours.
		slog.Warn("roster: combined shift creates failed; running them alone", "creates", len(live), "err", err)
		for _, c := range live {
			c.out, c.err = s.createAlone(c.ctx, c.p, c.st, c.sh)
		}
	}
	for _, c := range live {
		close(c.done)
	}
}

// writeCreates is the transaction of a batch. Each create's answer is left
// in its call; an error return fails the whole batch. It may run more than
// once (the transaction is retried on deadlock), so it starts afresh.
func (s *Service) writeCreates(ctx context.Context, tx *outbox.Tx, calls []*createCall) error {
	var emps, depts []int64
	for _, c := range calls {
		c.out, c.err = ShiftResult{}, nil
		if c.sh.EmployeeID != nil {
			emps = append(emps, *c.sh.EmployeeID)
		}
		depts = append(depts, c.sh.DepartmentID)
	}
	slices.Sort(depts)
	depts = slices.Compact(depts)
	// The batch stands for many writers: its events are numbered in it,
	// which saves each of them the sequencer's round (outbox.Tx.NumberHere).
	tx.NumberHere()
	// The people's locks come first, before any plain read (see lockPeople).
	who, err := lockPersons(ctx, tx, emps)
	if err != nil {
		return err
	}
	var asks []ruleAsk
	for _, c := range calls {
		if emp := c.sh.employee(); emp != 0 {
			if _, ok := who[emp]; ok {
				asks = append(asks, ruleAsk{st: c.st, emp: emp, iv: c.sh.Interval(), dept: c.sh.DepartmentID})
			}
		}
	}
	pay, err := s.payRules(ctx)
	if err != nil {
		return err
	}
	f, err := loadFacts(ctx, tx, asks, depts)
	if err != nil {
		return err
	}
	if s.creates.afterRead != nil {
		if err := s.creates.afterRead(ctx, tx); err != nil {
			return err
		}
	}
	// Judge the creates in order; each sees those accepted before it as
	// stored shifts, known by -(place + 1) until the insert gives them ids.
	var made []*createCall
	var shifts []Shift
	for _, c := range calls {
		sh := c.sh
		warnings, err := checkCreate(f, who, c.st, pay, sh)
		if err == nil {
			err = s.priceOvertime(ctx, tx, warnings, sh)
		}
		if err != nil {
			c.err = err
			continue
		}
		sh.ID = -int64(len(shifts) + 1)
		if emp := sh.employee(); emp != 0 {
			f.shifts[emp] = append(f.shifts[emp], sh.Interval())
		}
		c.out = ShiftResult{Shift: sh, Warnings: warnings}
		made = append(made, c)
		shifts = append(shifts, sh)
	}
	ids, err := insertShifts(ctx, tx, shifts)
	if err != nil {
		return err
	}
	for i, c := range made {
		c.out.ID, c.out.Version = ids[i], 1
		origin := outbox.OriginFrom(c.ctx)
		recordCreate(tx, c.p, c.out.Shift, &origin)
	}
	// A create refused for colliding with one accepted before it names
	// that shift by its id.
	for _, c := range calls {
		if e, ok := apperr.As(c.err); ok {
			for i, it := range e.Conflicts {
				if it.ShiftID < 0 {
					e.Conflicts[i].ShiftID = ids[-it.ShiftID-1]
				}
			}
		}
	}
	return nil
}

// insertShifts inserts new shifts (version 1) in one statement and returns
// their ids in order. The ids of one multi-row INSERT rise in row order;
// where they are consecutive (db.ConsecutiveIDs) they follow from the first.
// Elsewhere (MySQL's innodb_autoinc_lock_mode=2 interleaves concurrent
// inserts) they are read back: the transaction's read view,
// taken by its first plain read before the insert, shows no other
// transaction's rows from the first new id on, only its own.
func insertShifts(ctx context.Context, tx *outbox.Tx, shifts []Shift) ([]int64, error) {
	if len(shifts) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 9*len(shifts))
	for _, sh := range shifts {
		args = append(args, sh.DepartmentID, sh.EmployeeID, sh.StartsAt.UTC(), sh.EndsAt.UTC(), sh.Position, sh.Notes, sh.Status, tx.Now(), tx.Now())
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO shifts (department_id, employee_id, starts_at, ends_at, position, notes, status, version, created_at, updated_at) VALUES "+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, 1, ?, ?), ", len(shifts)), ", "), args...)
	if err != nil {
		return nil, fmt.Errorf("roster: insert shifts: %w", err)
	}
	first, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("roster: insert shifts: %w", err)
	}
	if !tx.DB.IsMySQL() {
		// SQLite names the last row's id, MySQL the first one's.
		first -= int64(len(shifts) - 1)
	}
	if tx.DB.ConsecutiveIDs(ctx) {
		ids := make([]int64, len(shifts))
		for i := range ids {
			ids[i] = first + int64(i)
		}
		return ids, nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT id FROM shifts WHERE id >= ? ORDER BY id LIMIT ?", first, len(shifts)+1)
	if err != nil {
		return nil, fmt.Errorf("roster: insert shifts: %w", err)
	}
	defer rows.Close()
	ids := make([]int64, 0, len(shifts))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("roster: insert shifts: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("roster: insert shifts: %w", err)
	}
	if len(ids) != len(shifts) {
		return nil, fmt.Errorf("roster: insert shifts: %d rows inserted, %d read back", len(shifts), len(ids))
	}
	return ids, nil
}

// checkCreate is checkAssignment for one create of a batch, from what the
// batch read: who are the locked people found, f the rest.
func checkCreate(f ruleFacts, who map[int64]person, st people.Store, pay *labor.Rules, sh Shift) ([]Warning, error) {
	deptExists := func() error {
		if !f.depts[sh.DepartmentID] {
			return apperr.NotFoundf("department")
		}
		return nil
	}
	emp := sh.employee()
	if emp == 0 {
		return []Warning{}, deptExists()
	}
	p, ok := who[emp]
	if !ok {
		return nil, apperr.NotFoundf("employee")
	}
	p.inDept = f.member[[2]int64{emp, sh.DepartmentID}]
	return assess(p, deptExists, func() (Rules, error) {
		r := f.rules(st, emp, sh.Interval(), p.maxHours)
		r.Pay = pay
		return r, nil
	})
}

// lockPersons locks the users rows of ids in one statement, in ascending id
// order like lockPeople, and reads what the rules need about each person
// (inDept is left to the caller). People not found are absent from the map.
func lockPersons(ctx context.Context, tx *outbox.Tx, ids []int64) (map[int64]person, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make(map[int64]person, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// The primary key, walked in order, takes the locks in id order and
	// only on the rows asked for.
	hint := ""
	if tx.DB.IsMySQL() {
		hint = " FORCE INDEX (PRIMARY)"
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, active, max_hours_per_week FROM users"+hint+" WHERE id IN ("+db.Placeholders(len(ids))+") ORDER BY id"+tx.DB.ForUpdate(), args...)
	if err != nil {
		return nil, fmt.Errorf("roster: lock people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p person
		if err := rows.Scan(&id, &p.active, &p.maxHours); err != nil {
			return nil, fmt.Errorf("roster: lock people: %w", err)
		}
		out[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("roster: lock people: %w", err)
	}
	return out, nil
}
