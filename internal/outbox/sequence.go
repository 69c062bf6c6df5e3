package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

const (
	// sequenceBatch bounds the events one numbering transaction takes.
	sequenceBatch = 1000
	// roundTimeout bounds one round; it is shared by every writer waiting
	// on it, so no single request's context may cancel it.
	roundTimeout = 10 * time.Second
)

// sequencer numbers committed events in rounds, group-commit style: a
// writer that has committed joins the next round to start, so one short
// numbering transaction serves every writer that committed meanwhile. One
// round runs at a time per process; processes take turns on the counter
// row's lock, and each round numbers whatever is committed by then, so it
// does not matter which process numbers which event.
type sequencer struct {
	db       *db.DB
	notifier Notifier

	mu      sync.Mutex
	running bool
	next    *round // the round that starts when the running one ends
}

type round struct {
	done chan struct{}
	err  error
}

// wait joins the next round and returns when it has ended. The round starts
// after the call, so it sees the caller's committed events.
func (s *sequencer) wait() error {
	s.mu.Lock()
	if s.next == nil {
		s.next = &round{done: make(chan struct{})}
	}
	r := s.next
	if !s.running {
		s.running = true
		go s.loop()
	}
	s.mu.Unlock()
	<-r.done
	return r.err
}

func (s *sequencer) loop() {
	for {
		s.mu.Lock()
		r := s.next
		s.next = nil
		if r == nil {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		r.err = s.run()
		close(r.done)
	}
}

// run numbers every committed, unnumbered event and hands each batch to
// the notifier in seq order.
func (s *sequencer) run() error {
	ctx, cancel := context.WithTimeout(context.Background(), roundTimeout)
	defer cancel()
	for {
		evs, err := sequenceOnce(ctx, s.db, sequenceBatch)
		if err != nil {
			return err
		}
		if len(evs) > 0 && s.notifier != nil {
			s.notifier.Committed(evs)
		}
		if len(evs) < sequenceBatch {
			return nil
		}
	}
}

// sequenceOnce numbers up to limit unnumbered events in id order, in one
// transaction that holds the counter row. On MySQL it runs at READ
// COMMITTED: each statement sees every commit made before it and takes no
// gap locks, so writers inserting new events are never blocked by it.
func sequenceOnce(ctx context.Context, d *db.DB, limit int) ([]Event, error) {
	var out []Event
	err := d.InTxOptions(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, func(tx *sql.Tx) error {
		out = out[:0]
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT seq FROM outbox_seq WHERE id = 1"+d.ForUpdate()).Scan(&last); err != nil {
			return fmt.Errorf("outbox: lock seq: %w", err)
		}
		// The id takes the seq column's place in the scan until numbered.
		// The (seq) index holds the unnumbered rows together, in id order;
		// MySQL left alone prefers walking the primary key for ORDER BY id,
		// which reads the whole history to find them.
		hint := ""
		if d.IsMySQL() {
			hint = " FORCE INDEX (uq_events_seq)"
		}
		rows, err := tx.QueryContext(ctx, "SELECT id, topic, type, payload, created_at FROM events"+hint+" WHERE seq IS NULL ORDER BY id LIMIT ?", limit)
		if err != nil {
			return fmt.Errorf("outbox: unnumbered events: %w", err)
		}
		evs, err := scanEvents(rows)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		var b strings.Builder
		args := make([]any, 0, 3*len(evs)+1)
		b.WriteString("UPDATE events SET seq = CASE id")
		ids := make([]int64, len(evs))
		for i := range evs {
			ids[i], evs[i].Seq = evs[i].Seq, last+int64(i)+1
			b.WriteString(" WHEN ? THEN ?")
			args = append(args, ids[i], evs[i].Seq)
		}
		b.WriteString(" END WHERE id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")")
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("outbox: number events: %w", err)
		}
		last += int64(len(evs))
		if _, err := tx.ExecContext(ctx, "UPDATE outbox_seq SET seq = ? WHERE id = 1", last); err != nil {
			return fmt.Errorf("outbox: advance seq: %w", err)
		}
		out = evs
		return nil
	})
	return out, err
}
