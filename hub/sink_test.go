package hub

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// sink is a transport without a socket: it records the payload of every
// data frame the hub writes and how the socket was closed, and plays the
// client's messages from a channel. With hold set, writes wait until
// release or closeNow (a peer that stopped reading).
type sink struct {
	mu      sync.Mutex
	msgs    []string // payloads of the data frames, in order
	code    websocket.StatusCode
	reason  string
	cut     bool  // closeNow ran before any close handshake
	bad     error // a frame that is not a whole unmasked text frame
	changed chan struct{}

	in   chan []byte
	done chan struct{}
	once sync.Once
	hold chan struct{} // nil: writes go through
	// With steps set, each write reports its batch size on waiting and
	// goes through when the test sends on steps.
	steps   chan struct{}
	waiting chan int
}

var _ transport = (*sink)(nil)

func newSink() *sink {
	return &sink{changed: make(chan struct{}, 1), in: make(chan []byte, 16), done: make(chan struct{})}
}

func (s *sink) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *sink) writeFrames(q [][]byte) error {
	s.mu.Lock()
	hold, steps := s.hold, s.steps
	s.mu.Unlock()
	if steps != nil {
		s.waiting <- len(q)
		select {
		case <-steps:
		case <-s.done:
			return net.ErrClosed
		}
	}
	if hold != nil {
		select {
		case <-hold:
		case <-s.done:
			return net.ErrClosed
		}
	}
	select {
	case <-s.done:
		return net.ErrClosed
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range q {
		p, err := textPayload(f)
		if err != nil && s.bad == nil {
			s.bad = err
		}
		s.msgs = append(s.msgs, string(p))
	}
	s.signal()
	return nil
}

// textPayload checks that f is one whole server text frame (FIN, opcode 1,
// no mask, the shortest length encoding) and returns its payload.
func textPayload(f []byte) ([]byte, error) {
	if len(f) < 2 || f[0] != 0x81 || f[1]&0x80 != 0 {
		return nil, fmt.Errorf("not an unmasked final text frame: % x", f[:min(len(f), 2)])
	}
	n, h := uint64(f[1]), 2
	switch n {
	case 126:
		n, h = uint64(binary.BigEndian.Uint16(f[2:])), 4
		if n < 126 {
			return nil, fmt.Errorf("16-bit length %d fits 7 bits", n)
		}
	case 127:
		n, h = binary.BigEndian.Uint64(f[2:]), 10
		if n <= 0xffff {
			return nil, fmt.Errorf("64-bit length %d fits 16 bits", n)
		}
	}
	if uint64(len(f)-h) != n {
		return nil, fmt.Errorf("frame says %d payload bytes, has %d", n, len(f)-h)
	}
	return f[h:], nil
}

func (s *sink) setWriteDeadline(time.Time) error { return nil }

func (s *sink) read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-s.in:
		return b, nil
	case <-s.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *sink) ping(context.Context) error { return nil }

func (s *sink) close(code websocket.StatusCode, reason string) error {
	s.once.Do(func() {
		s.mu.Lock()
		s.code, s.reason = code, reason
		s.mu.Unlock()
		close(s.done)
		s.signal()
	})
	return nil
}

func (s *sink) closeNow() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.cut = true
		s.mu.Unlock()
		close(s.done)
		s.signal()
	})
	return nil
}

// send plays a client message.
func (s *sink) send(msg string) { s.in <- []byte(msg) }

// waitFor waits until cond holds on the sink's state (under its lock), for
// at most five seconds.
func (s *sink) waitFor(t *testing.T, what string, cond func(s *sink) bool) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, bad, msgs := cond(s), s.bad, s.msgs
		s.mu.Unlock()
		if bad != nil {
			t.Fatalf("bad frame: %v", bad)
		}
		if ok {
			return
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			t.Fatalf("waiting for %s; got %q", what, msgs)
		}
	}
}

// waitMsgs waits for n data frames and returns them decoded.
func (s *sink) waitMsgs(t *testing.T, n int) []frameMsg {
	t.Helper()
	s.waitFor(t, fmt.Sprintf("%d frames", n), func(s *sink) bool { return len(s.msgs) >= n })
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]frameMsg, len(s.msgs))
	for i, m := range s.msgs {
		if err := json.Unmarshal([]byte(m), &out[i]); err != nil {
			t.Fatalf("frame %d is not JSON: %q", i, m)
		}
	}
	return out
}

// waitClosed waits for the close handshake and returns its code.
func (s *sink) waitClosed(t *testing.T) (websocket.StatusCode, string) {
	t.Helper()
	s.waitFor(t, "a close", func(s *sink) bool { return s.code != 0 })
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code, s.reason
}

// frameMsg is any frame the hub sends, decoded.
type frameMsg struct {
	Type    string          `json:"type"`
	Seq     int64           `json:"seq"`
	Topic   string          `json:"topic"`
	Event   string          `json:"event"`
	Data    json.RawMessage `json:"data"`
	AfterMS int64           `json:"after_ms"`
	For     string          `json:"for"`
	Error   *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// testHub is a running hub on a fresh SQLite database with a memory
// broker; emit writes events through the outbox and publishes them.
type testHub struct {
	*Hub
	t testing.TB
	w *outbox.Writer
}

// startHub runs a hub with o; setup (Handle) runs before Run.
func startHub(t testing.TB, o Options, setup ...func(*Hub)) *testHub {
	t.Helper()
	d := testutil.NewDB(t, db.SQLite)
	broker := NewMemoryBroker()
	o.Store, o.Broker = outbox.Reader{DB: d}, broker
	h := New(o)
	for _, fn := range setup {
		fn(h)
	}
	w := outbox.NewWriter(d, nil)
	w.SetNotifier(publisher{broker})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub: %v", err)
		}
	})
	select {
	case <-h.Started():
	case err := <-done:
		t.Fatalf("hub did not start: %v", err)
	}
	return &testHub{Hub: h, t: t, w: w}
}

type publisher struct{ b Broker }

func (p publisher) Committed(evs []outbox.Event) { p.b.Publish(context.Background(), evs) }

type ev struct {
	topic, typ string
	data       any
	managers   bool
}

// emit commits events in one transaction; the notifier publishes them.
func (h *testHub) emit(evs ...ev) {
	h.t.Helper()
	err := h.w.Do(context.Background(), func(tx *outbox.Tx) error {
		for _, e := range evs {
			if e.managers {
				tx.EmitManagers(e.topic, e.typ, e.data)
			} else {
				tx.Emit(e.topic, e.typ, e.data)
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// connect serves a sink for p and returns it once its ready frame is out.
func (h *testHub) connect(p auth.Principal, since int64, resume bool) *sink {
	h.t.Helper()
	s := newSink()
	served := make(chan error, 1)
	go func() { served <- h.serve(context.Background(), s, p, since, resume) }()
	h.t.Cleanup(func() {
		s.closeNow()
		if err := <-served; err != nil && !errors.Is(err, ErrDraining) {
			h.t.Logf("serve: %v", err)
		}
	})
	return s
}

var (
	admin   = auth.Principal{UserID: 1, SessionID: 11, Role: auth.RoleAdmin}
	manager = auth.Principal{UserID: 2, SessionID: 12, Role: auth.RoleManager, DeptIDs: []int64{3}}
	worker  = auth.Principal{UserID: 4, SessionID: 14, Role: auth.RoleEmployee, DeptIDs: []int64{3}}
	baker   = auth.Principal{UserID: 5, SessionID: 15, Role: auth.RoleEmployee, DeptIDs: []int64{7}}
)

// TestFanoutFollowsTopics: each socket gets ready, then exactly the events
// it may see, in seq order; drafts reach managers and admins only.
func TestFanoutFollowsTopics(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{})
	socks := map[string]*sink{}
	for name, p := range map[string]auth.Principal{"admin": admin, "manager": manager, "worker": worker, "baker": baker} {
		socks[name] = h.connect(p, 0, false)
		if m := socks[name].waitMsgs(t, 1)[0]; m.Type != "ready" || m.Seq != 0 {
			t.Fatalf("%s: first frame %+v, want ready 0", name, m)
		}
	}
	h.emit(
		ev{topic: "dept:3", typ: "shift.created"},               // 1
		ev{topic: "dept:3", typ: "shift.draft", managers: true}, // 2
		ev{topic: "dept:7", typ: "bakery.count"},                // 3
		ev{topic: "store", typ: "store.updated"},                // 4
		ev{topic: "user:4", typ: "swap.decided"},                // 5
		ev{topic: "user:1", typ: "report.ready"},                // 6
	)
	want := map[string][]int64{
		"admin":   {1, 2, 3, 4, 6},
		"manager": {1, 2},
		"worker":  {1, 5},
		"baker":   {3},
	}
	for name, seqs := range want {
		s := socks[name]
		msgs := s.waitMsgs(t, 1+len(seqs))
		var got []int64
		for _, m := range msgs[1:] {
			if m.Type != "event" {
				t.Fatalf("%s: %+v is not an event", name, m)
			}
			got = append(got, m.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(seqs) {
			t.Errorf("%s heard %v, want %v", name, got, seqs)
		}
	}
	// Nothing more comes: the next event, heard by everyone on their own
	// topic, is the very next frame of each socket.
	for name, p := range map[string]auth.Principal{"admin": admin, "manager": manager, "worker": worker, "baker": baker} {
		h.emit(ev{topic: outbox.UserTopic(p.UserID), typ: "ping.me"})
		msgs := socks[name].waitMsgs(t, 2+len(want[name]))
		if last := msgs[len(msgs)-1]; len(msgs) != 2+len(want[name]) || last.Event != "ping.me" {
			t.Errorf("%s: frames after the topic test: %+v", name, msgs[1+len(want[name]):])
		}
	}
}

// TestResumeReplaysThenReady: a socket resuming from since gets the events
// after it on its topics from the database, then ready with the head; an
// event committed later arrives live, once.
func TestResumeReplaysThenReady(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{})
	for i := 0; i < 5; i++ {
		h.emit(ev{topic: "dept:3", typ: "shift.created"}, ev{topic: "dept:7", typ: "bakery.count"})
	}
	testutil.Eventually(t, 5*time.Second, "the hub's head at 10", func() bool { return h.Stats().Head == 10 })
	s := h.connect(worker, 4, true) // seqs 5..10: dept:3 has 5, 7, 9
	msgs := s.waitMsgs(t, 4)
	var got []string
	for _, m := range msgs {
		got = append(got, fmt.Sprintf("%s %d", m.Type, m.Seq))
	}
	if want := "[event 5 event 7 event 9 ready 10]"; fmt.Sprint(got) != want {
		t.Fatalf("resume sent %v, want %s", got, want)
	}
	h.emit(ev{topic: "dept:3", typ: "shift.changed"})
	if m := s.waitMsgs(t, 5)[4]; m.Seq != 11 || m.Event != "shift.changed" {
		t.Errorf("live after resume: %+v", m)
	}
}

// TestResumeFromTheFutureIsReset: a since the database has never reached
// (another database) gets reset and a normal close.
func TestResumeFromTheFutureIsReset(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{})
	h.emit(ev{topic: "dept:3", typ: "shift.created"})
	s := h.connect(worker, 99, true)
	if m := s.waitMsgs(t, 1)[0]; m.Type != "reset" {
		t.Fatalf("got %+v, want reset", m)
	}
	if code, _ := s.waitClosed(t); code != websocket.StatusNormalClosure {
		t.Errorf("closed with %d, want 1000", code)
	}
}

// TestSlowConsumerEvicted: a socket whose queue overflows is closed with
// 1008 and counted; the other sockets of the topic get every event.
func TestSlowConsumerEvicted(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{QueueSize: 4})
	slow := h.connect(worker, 0, false)
	fast := h.connect(manager, 0, false)
	fast.waitMsgs(t, 1)
	slow.waitMsgs(t, 1)
	slow.mu.Lock()
	slow.hold = make(chan struct{}) // stops reading
	slow.mu.Unlock()
	// One event at a time, each written to the fast socket before the
	// next: only the slow one's queue fills (one frame in its stalled
	// write, four queued, the sixth evicts).
	for i := 1; i <= 10; i++ {
		h.emit(ev{topic: "dept:3", typ: "shift.created"})
		fast.waitMsgs(t, 1+i)
	}
	// The close frame waits for the write in progress, which returns once
	// the peer reads again.
	if st := h.Stats(); st.Evicted != 1 {
		t.Fatalf("Stats.Evicted = %d, want 1", st.Evicted)
	}
	// The evicted socket no longer counts as open, before its close.
	testutil.Eventually(t, 5*time.Second, "the evicted socket to leave Stats.Conns", func() bool { return h.Stats().Conns == 1 })
	close(slow.hold)
	if code, _ := slow.waitClosed(t); code != websocket.StatusPolicyViolation {
		t.Errorf("slow socket closed with %d, want 1008", code)
	}
}

// TestStalledWriteCut: a write that does not return within WriteTimeout is
// cut by the watchdog (closeNow) and counted in TimedOut; the shard then
// writes for the other sockets again.
func TestStalledWriteCut(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{WriteTimeout: 100 * time.Millisecond, Writers: 1})
	stalled := h.connect(worker, 0, false)
	stalled.waitMsgs(t, 1)
	stalled.mu.Lock()
	stalled.hold = make(chan struct{})
	stalled.mu.Unlock()
	other := h.connect(manager, 0, false) // same single shard
	other.waitMsgs(t, 1)
	h.emit(ev{topic: "dept:3", typ: "shift.created"})
	stalled.waitFor(t, "the watchdog's cut", func(s *sink) bool { return s.cut })
	if m := other.waitMsgs(t, 2)[1]; m.Seq != 1 {
		t.Errorf("other socket got %+v", m)
	}
	testutil.Eventually(t, 5*time.Second, "Stats.TimedOut = 1", func() bool { return h.Stats().TimedOut == 1 })
}

// TestSessionRevokedAndResubscribe: session.revoked closes the matching
// sockets of the user with 4001 (keep_session_id spares one); a
// resubscribing employee.updated closes all of them with 4002.
func TestSessionRevokedAndResubscribe(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{})
	other := worker
	other.SessionID = 99
	a, b := h.connect(worker, 0, false), h.connect(other, 0, false)
	a.waitMsgs(t, 1)
	b.waitMsgs(t, 1)
	h.emit(ev{topic: "user:4", typ: auth.EventSessionRevoked, data: auth.SessionRevoked{UserID: 4, KeepSessionID: 99}})
	if code, _ := a.waitClosed(t); code != StatusSessionRevoked {
		t.Errorf("revoked socket closed with %d, want 4001", code)
	}
	// b still hears its topic, then is told to resubscribe.
	h.emit(ev{topic: "dept:3", typ: "shift.created"}, ev{topic: "user:4", typ: eventEmployeeUpdated, data: map[string]bool{"resubscribe": true}})
	if code, _ := b.waitClosed(t); code != StatusResubscribe {
		t.Errorf("resubscribed socket closed with %d, want 4002", code)
	}
	msgs := b.waitMsgs(t, 4)
	if msgs[2].Event != "shift.created" || msgs[3].Event != eventEmployeeUpdated {
		t.Errorf("frames before 4002: %+v", msgs)
	}
}

// TestClientMessages: ping gets pong; a registered handler's reply and
// error come back in order; unknown types and non-JSON are ignored.
func TestClientMessages(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{}, func(h *Hub) {
		h.Handle("echo", func(_ context.Context, p auth.Principal, _ []byte) (any, error) {
			return map[string]any{"type": "echoed", "seq": p.UserID}, nil
		})
		h.Handle("fail", func(context.Context, auth.Principal, []byte) (any, error) {
			return nil, errors.New("boom")
		})
	})
	s := h.connect(worker, 0, false)
	s.waitMsgs(t, 1)
	for _, m := range []string{`not json`, `{"type":"nobody"}`, `{"type":"ping"}`, `{"type":"echo"}`, `{"type":"fail"}`} {
		s.send(m)
	}
	msgs := s.waitMsgs(t, 4)
	if msgs[1].Type != "pong" || msgs[2].Type != "echoed" || msgs[2].Seq != 4 ||
		msgs[3].Type != "error" || msgs[3].For != "fail" || msgs[3].Error == nil || msgs[3].Error.Code != "internal" {
		t.Errorf("replies: %+v", msgs[1:])
	}
}

// TestDrainTellsClientsToReconnect: Drain sends reconnect with after_ms,
// closes with 1012 and refuses new sockets.
func TestDrainTellsClientsToReconnect(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{ReconnectAfter: 200 * time.Millisecond})
	s := h.connect(worker, 0, false)
	s.waitMsgs(t, 1)
	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		drained <- h.Drain(ctx)
	}()
	if code, _ := s.waitClosed(t); code != StatusServiceRestart {
		t.Errorf("closed with %d, want 1012", code)
	}
	if m := s.waitMsgs(t, 2)[1]; m.Type != "reconnect" || m.AfterMS < 200 || m.AfterMS > 800 {
		t.Errorf("last frame %+v, want reconnect with after_ms in [200, 800]", m)
	}
	if err := <-drained; err != nil {
		t.Errorf("drain: %v", err)
	}
	late := newSink()
	if err := h.serve(context.Background(), late, worker, 0, false); !errors.Is(err, ErrDraining) {
		t.Errorf("serve while draining: %v, want ErrDraining", err)
	}
	if code, _ := late.waitClosed(t); code != StatusServiceRestart {
		t.Errorf("late socket closed with %d, want 1012", code)
	}
}

// TestQueueNeverSharesTheBatchArray: frames queued while a batch is being
// written are all written afterwards, in order, whatever the batch sizes.
// After a batch larger than the spare array kept for reuse, that array must
// not stay spare while it is also the queue: the next batch and the queue
// filling behind it would share it.
func TestQueueNeverSharesTheBatchArray(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{})
	s := h.connect(worker, 0, false)
	s.waitMsgs(t, 1)
	s.mu.Lock()
	s.steps, s.waiting = make(chan struct{}), make(chan int)
	s.mu.Unlock()
	seq := int64(0)
	// queue emits n events and waits until the hub has queued them.
	queue := func(n int) {
		for range n {
			h.emit(ev{topic: "dept:3", typ: "shift.created"})
		}
		seq += int64(n)
		testutil.Eventually(t, 5*time.Second, fmt.Sprintf("head at %d", seq), func() bool { return h.Stats().Head == seq })
	}
	// write lets the writer's next batch through and checks its size.
	batch := func(want int) {
		t.Helper()
		select {
		case n := <-s.waiting:
			if n != want {
				t.Fatalf("batch of %d frames, want %d", n, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no batch of %d frames", want)
		}
	}
	// Each batch's array is the one the queue grew in while the batch
	// before it was written.
	queue(1)
	batch(1) // the writer holds [1]
	queue(4) // grows an array of 4 (X)
	s.steps <- struct{}{}
	batch(4) // X is written
	queue(spareQueue + 4)
	s.steps <- struct{}{}
	batch(spareQueue + 4) // a batch larger than the spare array; X is spare
	queue(3)              // queued in X
	s.steps <- struct{}{}
	batch(3) // X is written
	queue(2) // queued while X is written
	s.steps <- struct{}{}
	batch(2)
	s.steps <- struct{}{}
	total := 1 + 4 + spareQueue + 4 + 3 + 2
	msgs := s.waitMsgs(t, 1+total)
	for i, m := range msgs[1:] {
		if m.Seq != int64(i+1) {
			t.Fatalf("frame %d has seq %d; frames %+v", i+1, m.Seq, msgs[1:])
		}
	}
}

// TestSocketClosesWhenSessionExpires: a socket closes with 4001 when its
// session's expiry passes on the hub's clock, as on logout; a socket
// without an expiry (the system principal) stays.
func TestSocketClosesWhenSessionExpires(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	h := startHub(t, Options{Clock: func() time.Time { return now }})
	short := worker
	short.Expires = now.Add(30 * time.Millisecond)
	a, b := h.connect(short, 0, false), h.connect(baker, 0, false)
	a.waitMsgs(t, 1)
	b.waitMsgs(t, 1)
	if code, reason := a.waitClosed(t); code != StatusSessionRevoked {
		t.Fatalf("expired session's socket closed with %d %q, want 4001", code, reason)
	}
	h.emit(ev{topic: "dept:7", typ: "shift.created"})
	if msgs := b.waitMsgs(t, 2); msgs[1].Event != "shift.created" {
		t.Fatalf("socket without an expiry: %+v", msgs)
	}
}

// TestSocketCapPerPerson: a person's socket past MaxPerPerson closes at
// once with 4003; other people are not affected, and a closed socket
// frees its place.
func TestSocketCapPerPerson(t *testing.T) {
	t.Parallel()
	h := startHub(t, Options{MaxPerPerson: 2})
	a, b := h.connect(worker, 0, false), h.connect(worker, 0, false)
	a.waitMsgs(t, 1)
	b.waitMsgs(t, 1)
	if code, _ := h.connect(worker, 0, false).waitClosed(t); code != StatusTooManySockets {
		t.Fatalf("third socket closed with %d, want 4003", code)
	}
	h.connect(baker, 0, false).waitMsgs(t, 1)
	a.closeNow()
	testutil.Eventually(t, 5*time.Second, "the closed socket to leave", func() bool { return h.Stats().Conns == 2 })
	h.connect(worker, 0, false).waitMsgs(t, 1)
}
