// Package outbox writes event and audit rows inside domain transactions and
// reads events back by sequence. It is a transactional outbox:
// an event exists if and only if the write that caused it committed.
//
// On MySQL, events are inserted unsequenced inside the writing transaction
// and numbered right after it commits by the sequencer (sequence.go): one
// short transaction numbers every event committed so far, under the counter
// row's lock, so seq order is the order in which events became visible and
// a reader that has seen seq N never later finds a smaller seq appearing:
// resume by "since" has no gaps. Writers never hold the counter row while
// their own commit is flushed, so commits of unrelated writes overlap.
//
// On SQLite every write transaction holds the database's single write lock
// from BEGIN IMMEDIATE to COMMIT, so commits are already one at a time in
// seq order: there a writer numbers its events itself, inside its own
// transaction, and a second numbering transaction would only add work. A
// MySQL transaction that stands for many writers at once (the roster's
// combined shift creates) may do the same (Tx.NumberHere): it advances the
// counter row as its last statement before the events' INSERT and holds
// that row until COMMIT, so seqs still become visible in order, and the
// sequencer's round trips are saved for all its writers.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// Topic builders: topics follow identity, never client wishes.
const TopicStore = "store"

// DeptTopic is the topic of a department's managers and members.
func DeptTopic(id int64) string { return deptPrefix + strconv.FormatInt(id, 10) }

const deptPrefix = "dept:"

// DeptOfTopic returns the department of a DeptTopic, and false for any
// other topic.
func DeptOfTopic(topic string) (int64, bool) {
	rest, ok := strings.CutPrefix(topic, deptPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}

// UserTopic is a person's private topic.
func UserTopic(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// Event is one committed change that others must hear about.
type Event struct {
	Seq   int64           `json:"seq"`
	Topic string          `json:"topic"`
	Type  string          `json:"event"`
	Data  json.RawMessage `json:"data"`
	At    time.Time       `json:"at"`
	// ManagersOnly marks draft-schedule events that employees of the
	// department must not see. It is encoded in the stored type prefix-free
	// via the payload's "_managers_only" flag; see Visibility.
	ManagersOnly bool `json:"-"`
}

// Audit is one row of the audit log.
type Audit struct {
	ActorID  int64 // 0 for the system
	Action   string
	Entity   string
	EntityID int64
	Detail   any
	// Origin, when set, is where this row's request came from; otherwise
	// the row takes the origin of the transaction's context. A transaction
	// that serves several requests at once (the roster's combined shift
	// creates) sets it per row.
	Origin *Origin
}

// Origin carries where a request came from, for the audit log.
type Origin struct {
	IP        string
	RequestID string
}

type originKey struct{}

// WithOrigin attaches the request's origin to ctx.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin attached to ctx, if any.
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// Tx is a database transaction that also collects the events and audit rows
// of the change; Writer.Do writes them just before committing.
type Tx struct {
	*sql.Tx
	DB     *db.DB
	now    time.Time
	events []Event
	audits []Audit
	here   bool // number the events in this transaction (NumberHere)
}

// NumberHere makes the transaction number its own events just before it
// commits, holding the event counter's row from then until COMMIT, instead
// of leaving them to the sequencer (see the package doc). Every other
// writer that numbers waits for that row meanwhile, so it suits one
// transaction that carries many writers' changes, not every write. It is
// what SQLite transactions always do.
func (t *Tx) NumberHere() { t.here = true }

// Now is the single instant of this transaction (UTC).
func (t *Tx) Now() time.Time { return t.now }

// Emit queues an event. data is marshalled to JSON now, so later changes to
// it do not leak into the event.
func (t *Tx) Emit(topic, typ string, data any) {
	t.emit(topic, typ, data, false)
}

// EmitManagers queues an event that only managers and admins of the topic
// may see (draft schedule changes).
func (t *Tx) EmitManagers(topic, typ string, data any) {
	t.emit(topic, typ, data, true)
}

func (t *Tx) emit(topic, typ string, data any, managersOnly bool) {
	b, err := json.Marshal(data)
	if err != nil {
		// A payload that cannot be encoded is a programming error.
		panic(fmt.Sprintf("outbox: marshal %s payload: %v", typ, err))
	}
	t.events = append(t.events, Event{Topic: topic, Type: typ, Data: b, At: t.now, ManagersOnly: managersOnly})
}

// Audit queues an audit row.
func (t *Tx) Audit(a Audit) { t.audits = append(t.audits, a) }

// Notifier hears about events right after they commit (the relay's fast path).
type Notifier interface {
	Committed(events []Event)
}

// Writer runs domain transactions.
type Writer struct {
	DB         *db.DB
	Clock      func() time.Time
	seq        *sequencer
	commitHook func(events []Event)
}

// NewWriter returns a Writer on d. clock may be nil (time.Now).
func NewWriter(d *db.DB, clock func() time.Time) *Writer {
	if clock == nil {
		clock = time.Now
	}
	return &Writer{DB: d, Clock: clock, seq: &sequencer{db: d}}
}

// SetNotifier installs the hook that hears events once they are committed
// and numbered (the relay's fast path). Call it before serving.
func (w *Writer) SetNotifier(n Notifier) { w.seq.notifier = n }

// SetCommitHook installs fn, which hears the events of each transaction of
// this Writer right after its COMMIT and before Do returns, unnumbered (Seq
// 0) unless the transaction numbered them itself (NumberHere). Unlike the
// notifier, which hears only the events this process numbers, it hears
// every write of this process whichever process numbers it, and also when
// numbering fails: a cache that must forget before the writer answers
// (read-your-writes) listens here. A commit that returned an error is
// reported too (its outcome may be unknown; forgetting too much is
// harmless). fn must be quick and must not block. Call it before serving.
func (w *Writer) SetCommitHook(fn func(events []Event)) { w.commitHook = fn }

// Do runs fn in a transaction, retrying on deadlock. When fn succeeds the
// queued audit rows and events are written and the transaction commits;
// then the commit hook hears the events, and Do returns once they are
// numbered: by the transaction itself (SQLite, Tx.NumberHere; the notifier
// hears them at once) or by the sequencer, which Do waits for (the
// notifier hears them with their sequence numbers). A failure to number
// them does not undo the write: it is logged and the relay's sweep numbers
// them later.
func (w *Writer) Do(ctx context.Context, fn func(tx *Tx) error) error {
	wrote, numbered := false, false
	var committing []Event // the events of the attempt that reached COMMIT
	err := w.DB.InTx(ctx, func(stx *sql.Tx) error {
		tx := &Tx{Tx: stx, DB: w.DB, now: w.Clock().UTC().Truncate(time.Microsecond), here: !w.DB.IsMySQL()}
		if err := fn(tx); err != nil {
			return err
		}
		if err := writeAudits(ctx, tx, OriginFrom(ctx)); err != nil {
			return err
		}
		if err := writeEvents(ctx, tx); err != nil {
			return err
		}
		wrote, numbered = len(tx.events) > 0, tx.here
		committing = tx.events
		return nil
	})
	if len(committing) > 0 && w.commitHook != nil {
		w.commitHook(committing)
	}
	switch {
	case err != nil:
		return err
	case !wrote:
	case numbered:
		// Numbered and committed: the relay may publish them now. Two
		// writers may hand theirs over in either order; hubs reorder by
		// seq.
		if w.seq.notifier != nil {
			w.seq.notifier.Committed(committing)
		}
	default:
		if err := w.seq.wait(); err != nil {
			slog.Warn("outbox: numbering committed events failed; the sweep will retry", "err", err)
		}
	}
	return nil
}

// Sequence numbers every committed but unnumbered event (the sweep's first
// step, and a test's way to see events of a writer with no relay).
func (w *Writer) Sequence(ctx context.Context) error {
	_ = ctx // a round is shared by every waiting writer; it has its own deadline
	return w.seq.wait()
}

// auditChunk bounds the rows of one audit INSERT (8 parameters a row).
const auditChunk = 500

// writeAudits inserts the transaction's audit rows, in multi-row statements.
func writeAudits(ctx context.Context, tx *Tx, o Origin) error {
	for rest := tx.audits; len(rest) > 0; {
		chunk := rest[:min(len(rest), auditChunk)]
		rest = rest[len(chunk):]
		args := make([]any, 0, 8*len(chunk))
		for _, a := range chunk {
			detail := []byte("{}")
			if a.Detail != nil {
				b, err := json.Marshal(a.Detail)
				if err != nil {
					return fmt.Errorf("outbox: audit detail: %w", err)
				}
				detail = b
			}
			var actor, entityID sql.NullInt64
			if a.ActorID != 0 {
				actor = sql.NullInt64{Int64: a.ActorID, Valid: true}
			}
			if a.EntityID != 0 {
				entityID = sql.NullInt64{Int64: a.EntityID, Valid: true}
			}
			from := o
			if a.Origin != nil {
				from = *a.Origin
			}
			args = append(args, tx.now, actor, a.Action, a.Entity, entityID, from.IP, from.RequestID, string(detail))
		}
		q := "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, ip, request_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)" +
			strings.Repeat(", (?, ?, ?, ?, ?, ?, ?, ?)", len(chunk)-1)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("outbox: write audit: %w", err)
		}
	}
	return nil
}

// writeEvents inserts the transaction's events in one statement:
// unnumbered, for the sequencer to number after commit, or (Tx.here)
// numbered from the counter row, which the transaction then holds until
// COMMIT.
func writeEvents(ctx context.Context, tx *Tx) error {
	if len(tx.events) == 0 {
		return nil
	}
	var last int64
	if tx.here {
		var err error
		if last, err = advanceSeq(ctx, tx, len(tx.events)); err != nil {
			return err
		}
	}
	args := make([]any, 0, 5*len(tx.events))
	for i := range tx.events {
		e := &tx.events[i]
		var seq sql.NullInt64
		if tx.here {
			e.Seq = last + int64(i) + 1
			seq = sql.NullInt64{Int64: e.Seq, Valid: true}
		}
		args = append(args, seq, e.Topic, storedType(*e), string(e.Data), e.At)
	}
	q := "INSERT INTO events (seq, topic, type, payload, created_at) VALUES (?, ?, ?, ?, ?)" +
		strings.Repeat(", (?, ?, ?, ?, ?)", len(tx.events)-1)
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("outbox: write events: %w", err)
	}
	return nil
}

// advanceSeq moves the event counter on by n in one statement, which locks
// its row until COMMIT, and returns the seq before it: the caller's events
// are that plus 1 to n. MySQL has no UPDATE ... RETURNING; there the new
// value comes back as LAST_INSERT_ID(expr), in the statement's own reply.
func advanceSeq(ctx context.Context, tx *Tx, n int) (int64, error) {
	var top int64
	if tx.DB.IsMySQL() {
		res, err := tx.ExecContext(ctx, "UPDATE outbox_seq SET seq = LAST_INSERT_ID(seq + ?) WHERE id = 1", n)
		if err == nil {
			top, err = res.LastInsertId()
		}
		if err != nil {
			return 0, fmt.Errorf("outbox: advance seq: %w", err)
		}
	} else if err := tx.QueryRowContext(ctx, "UPDATE outbox_seq SET seq = seq + ? WHERE id = 1 RETURNING seq", n).Scan(&top); err != nil {
		return 0, fmt.Errorf("outbox: advance seq: %w", err)
	}
	return top - int64(n), nil
}

// managersPrefix marks, in the stored type column, events that only the
// managers of a department topic may see.
const managersPrefix = "mgr:"

func storedType(e Event) string {
	if e.ManagersOnly {
		return managersPrefix + e.Type
	}
	return e.Type
}

func parseStoredType(s string) (typ string, managersOnly bool) {
	if len(s) > len(managersPrefix) && s[:len(managersPrefix)] == managersPrefix {
		return s[len(managersPrefix):], true
	}
	return s, false
}
