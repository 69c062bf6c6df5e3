// Package outbox writes event and audit rows inside domain transactions and
// reads events back by sequence. It is the transactional outbox of DESIGN.md:
// an event exists if and only if the write that caused it committed.
//
// Sequence numbers come from a single counter row that is bumped as the last
// statement before COMMIT. The row lock makes commit order equal sequence
// order, so a reader that has seen seq N never later finds a smaller seq
// appearing: resume by "since" has no gaps.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
)

// Topic builders: topics follow identity, never client wishes.
const TopicStore = "store"

// DeptTopic is the topic of a department's managers and members.
func DeptTopic(id int64) string { return "dept:" + strconv.FormatInt(id, 10) }

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
}

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
	DB       *db.DB
	Clock    func() time.Time
	notifier Notifier
}

// NewWriter returns a Writer on d. clock may be nil (time.Now).
func NewWriter(d *db.DB, clock func() time.Time) *Writer {
	if clock == nil {
		clock = time.Now
	}
	return &Writer{DB: d, Clock: clock}
}

// SetNotifier installs the after-commit hook. Call it before serving.
func (w *Writer) SetNotifier(n Notifier) { w.notifier = n }

// Do runs fn in a transaction, retrying on deadlock. When fn succeeds the
// queued audit rows and events are written and the transaction commits;
// then the notifier hears the events with their sequence numbers.
func (w *Writer) Do(ctx context.Context, fn func(tx *Tx) error) error {
	var committed []Event
	err := w.DB.InTx(ctx, func(stx *sql.Tx) error {
		tx := &Tx{Tx: stx, DB: w.DB, now: w.Clock().UTC().Truncate(time.Microsecond)}
		if err := fn(tx); err != nil {
			return err
		}
		if err := writeAudits(ctx, tx, OriginFrom(ctx)); err != nil {
			return err
		}
		evs, err := writeEvents(ctx, tx)
		if err != nil {
			return err
		}
		committed = evs
		return nil
	})
	if err != nil {
		return err
	}
	if len(committed) > 0 && w.notifier != nil {
		w.notifier.Committed(committed)
	}
	return nil
}

func writeAudits(ctx context.Context, tx *Tx, o Origin) error {
	for _, a := range tx.audits {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, action, entity, entity_id, ip, request_id, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tx.now, actor, a.Action, a.Entity, entityID, o.IP, o.RequestID, string(detail)); err != nil {
			return fmt.Errorf("outbox: write audit: %w", err)
		}
	}
	return nil
}

// writeEvents reserves len(events) sequence numbers on the counter row and
// inserts the events. It runs last in the transaction to keep the counter
// row locked for as short a time as possible.
func writeEvents(ctx context.Context, tx *Tx) ([]Event, error) {
	n := int64(len(tx.events))
	if n == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE outbox_seq SET seq = seq + ? WHERE id = 1", n); err != nil {
		return nil, fmt.Errorf("outbox: reserve seq: %w", err)
	}
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT seq FROM outbox_seq WHERE id = 1").Scan(&last); err != nil {
		return nil, fmt.Errorf("outbox: read seq: %w", err)
	}
	out := make([]Event, len(tx.events))
	for i, e := range tx.events {
		e.Seq = last - n + int64(i) + 1
		if _, err := tx.ExecContext(ctx, "INSERT INTO events (seq, topic, type, payload, created_at) VALUES (?, ?, ?, ?, ?)",
			e.Seq, e.Topic, storedType(e), string(e.Data), e.At); err != nil {
			return nil, fmt.Errorf("outbox: write event: %w", err)
		}
		out[i] = e
	}
	return out, nil
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
