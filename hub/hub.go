package hub

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Defaults of Options.
const (
	DefaultPingInterval   = 30 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultQueueSize      = 256
	DefaultReplayBuffer   = 4096
	DefaultGapTimeout     = 250 * time.Millisecond
	DefaultReconnectAfter = 500 * time.Millisecond
	DefaultWriters        = 16
	DefaultMaxPerPerson   = 10
	// ReadLimit is the largest client message; a larger one closes the
	// socket with 1009.
	ReadLimit = 4 << 10
	// replayPage is how many events one database read returns.
	replayPage = 500
)

// Store reads committed events back; outbox.Reader implements it.
type Store interface {
	After(ctx context.Context, since int64, topics []string, limit int) ([]outbox.Event, error)
	Range(ctx context.Context, since int64, limit int) ([]outbox.Event, error)
	Bounds(ctx context.Context) (oldest, newest int64, err error)
}

var _ Store = outbox.Reader{}

// MessageHandler handles one type of client message (see doc.go). A non-nil
// reply is sent to that client as JSON; an error is sent as
// {"type":"error","for":<type>,"error":{...}}.
type MessageHandler func(ctx context.Context, p auth.Principal, raw []byte) (reply any, err error)

// Options configure a Hub. Zero values take the defaults above.
type Options struct {
	Store  Store
	Broker Broker
	Log    *slog.Logger
	// PingInterval is the keepalive period; a peer that does not answer a
	// ping within it is dropped, so a dead peer goes within two intervals.
	PingInterval time.Duration
	// WriteTimeout bounds every write to a socket: a write still going on
	// after it closes the socket (checked four times per WriteTimeout).
	WriteTimeout time.Duration
	// QueueSize is how many frames may wait for one socket; one more evicts
	// the client with 1008.
	QueueSize int
	// ReplayBuffer is how many live events are held for one client while
	// its missed events are replayed from the database.
	ReplayBuffer int
	// GapTimeout is how long an out-of-order event waits for the events
	// before it before the hub reads them from the database.
	GapTimeout time.Duration
	// Writers is how many writer goroutines (shards) write to sockets.
	Writers int
	// ReconnectAfter is the base of the after_ms a draining hub suggests;
	// each client gets up to four times more, spread to avoid a stampede.
	ReconnectAfter time.Duration
	// MaxPerPerson is how many sockets one person may hold on this node;
	// one more is closed at once with 4003.
	MaxPerPerson int
	// Clock is the time sessions expire by (the domain services' clock);
	// nil is time.Now.
	Clock func() time.Time
	// Observe, when set, hears every event the hub dispatches, once and in
	// seq order, whether the broker delivered it or it was read from the
	// database to fill a gap, before any socket is sent it (so a client
	// that reloads on the event finds the observer's caches forgotten). It
	// runs on the dispatch goroutine and must not block. The roster's week
	// cache forgets here what other nodes changed.
	Observe func(outbox.Event)
}

// Hub holds the sockets of one node and fans events out to them.
type Hub struct {
	opts Options
	log  *slog.Logger

	mu      sync.RWMutex
	topics  map[string]map[*conn]struct{}
	admins  map[*conn]struct{}
	conns   map[*conn]struct{}
	perUser map[int64]int // open sockets per person

	handlersMu sync.RWMutex
	handlers   map[string]MessageHandler

	head     atomic.Int64 // highest seq fanned out, in order
	nextID   atomic.Uint64
	running  atomic.Bool
	draining atomic.Bool
	ctx      context.Context // lives until Run returns
	cancel   context.CancelFunc
	in       chan outbox.Event
	resync   chan struct{}
	gone     chan struct{} // signalled when a socket unregisters
	started  chan struct{} // closed when Run has subscribed

	shards []*shard

	evicted  atomic.Int64
	timedOut atomic.Int64
	sent     atomic.Int64
}

// New returns a hub; Run starts it.
func New(o Options) *Hub {
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.ReplayBuffer <= 0 {
		o.ReplayBuffer = DefaultReplayBuffer
	}
	if o.GapTimeout <= 0 {
		o.GapTimeout = DefaultGapTimeout
	}
	if o.ReconnectAfter <= 0 {
		o.ReconnectAfter = DefaultReconnectAfter
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Writers <= 0 {
		o.Writers = DefaultWriters
	}
	if o.MaxPerPerson <= 0 {
		o.MaxPerPerson = DefaultMaxPerPerson
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{
		opts: o, log: o.Log,
		topics: make(map[string]map[*conn]struct{}), admins: make(map[*conn]struct{}), conns: make(map[*conn]struct{}),
		perUser:  make(map[int64]int),
		handlers: make(map[string]MessageHandler),
		ctx:      ctx, cancel: cancel,
		in: make(chan outbox.Event, 4096), resync: make(chan struct{}, 1), gone: make(chan struct{}, 1),
		started: make(chan struct{}),
		shards:  newShards(o.Writers),
	}
}

// Handle registers the handler of client messages of type msgType. Call it
// before Run. "ping" is built in.
func (h *Hub) Handle(msgType string, fn MessageHandler) {
	h.handlersMu.Lock()
	defer h.handlersMu.Unlock()
	h.handlers[msgType] = fn
}

// Stats are the hub's counters.
type Stats struct {
	Conns    int   // open sockets
	Evicted  int64 // slow clients closed with 1008
	TimedOut int64 // sockets closed because a write outlasted WriteTimeout
	Sent     int64 // frames written
	Head     int64 // highest seq fanned out
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	n := len(h.conns)
	h.mu.RUnlock()
	return Stats{Conns: n, Evicted: h.evicted.Load(), TimedOut: h.timedOut.Load(), Sent: h.sent.Load(), Head: h.head.Load()}
}

// Started is closed once Run accepts sockets.
func (h *Hub) Started() <-chan struct{} { return h.started }

// Accepting reports whether the hub takes new sockets (running, not draining).
func (h *Hub) Accepting() bool { return h.running.Load() && !h.draining.Load() }

// Run subscribes to the broker and fans events out, and keeps sockets
// alive, until ctx ends. Then it closes every remaining socket.
func (h *Hub) Run(ctx context.Context) error {
	_, newest, err := h.opts.Store.Bounds(ctx)
	if err != nil {
		return err
	}
	h.head.Store(newest)
	subCtx, stopSub := context.WithCancel(ctx)
	var wg sync.WaitGroup
	writers, stopWriters := context.WithCancel(context.Background())
	var ww sync.WaitGroup
	for _, s := range h.shards {
		ww.Add(1)
		go func() {
			defer ww.Done()
			s.run(writers)
		}()
	}
	ww.Add(1)
	go func() {
		defer ww.Done()
		h.watchWrites(writers, h.opts.WriteTimeout)
	}()
	defer func() { stopWriters(); ww.Wait() }()
	wg.Add(2)
	go func() {
		defer wg.Done()
		err := h.opts.Broker.Subscribe(subCtx, func(e outbox.Event) {
			select {
			case h.in <- e:
			case <-subCtx.Done():
			}
		}, func() {
			select {
			case h.resync <- struct{}{}:
			default:
			}
		})
		if err != nil && subCtx.Err() == nil {
			h.log.Error("hub: broker subscription ended", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		h.keepalive(subCtx)
	}()
	h.running.Store(true)
	close(h.started)
	h.dispatch(ctx)
	h.running.Store(false)
	stopSub()
	wg.Wait()
	// Anything still open now is cut; Drain is the graceful path.
	h.mu.RLock()
	for c := range h.conns {
		c.t.closeNow()
	}
	h.mu.RUnlock()
	h.cancel()
	return nil
}

// dispatch puts broker events in seq order and fans them out. Events
// arriving ahead of a gap wait up to GapTimeout; then the gap is read from
// the database (a lost or late broker message loses nothing).
func (h *Hub) dispatch(ctx context.Context) {
	pending := make(map[int64]outbox.Event)
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	armed := false
	arm := func() {
		if !armed && len(pending) > 0 {
			gap.Reset(h.opts.GapTimeout)
			armed = true
		}
	}
	drain := func() {
		for {
			e, ok := pending[h.head.Load()+1]
			if !ok {
				break
			}
			delete(pending, e.Seq)
			h.fanout(e)
		}
		for s := range pending {
			if s <= h.head.Load() {
				delete(pending, s)
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-h.in:
			head := h.head.Load()
			switch {
			case e.Seq <= head: // duplicate (sweep, resync)
			case e.Seq == head+1:
				h.fanout(e)
				drain()
			default:
				pending[e.Seq] = e
			}
			arm()
		case <-h.resync:
			h.fill(ctx)
			drain()
			arm()
		case <-gap.C:
			armed = false
			h.fill(ctx)
			drain()
			arm()
		}
	}
}

// fill reads every event after head from the database and fans it out.
func (h *Hub) fill(ctx context.Context) {
	for {
		evs, err := h.opts.Store.Range(ctx, h.head.Load(), replayPage)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("hub: read events to fill a gap", "err", err)
			}
			return
		}
		for _, e := range evs {
			if e.Seq > h.head.Load() {
				h.fanout(e)
			}
		}
		if len(evs) < replayPage {
			return
		}
	}
}

// fanout tells the observer, serializes e once and queues it on every
// socket that may see it, then acts on control events. Queueing never
// blocks.
func (h *Hub) fanout(e outbox.Event) {
	if h.opts.Observe != nil {
		h.opts.Observe(e)
	}
	frame := encodeEvent(e)
	mgrDept := int64(0)
	if e.ManagersOnly {
		mgrDept = deptOf(e.Topic)
	}
	shared := e.Topic == outbox.TopicStore || strings.HasPrefix(e.Topic, "dept:")
	h.mu.RLock()
	for c := range h.topics[e.Topic] {
		if mgrDept == 0 || c.p.Manages(mgrDept) {
			c.push(e.Seq, frame)
		}
	}
	if shared {
		for c := range h.admins {
			c.push(e.Seq, frame)
		}
	}
	h.head.Store(e.Seq)
	h.mu.RUnlock()
	h.wakeWriters()
	h.control(e)
}

// wakeWriters wakes every shard writer (those with nothing to write go
// back to sleep).
func (h *Hub) wakeWriters() {
	for _, s := range h.shards {
		s.signal()
	}
}

// visible reports whether c may see e (used for replay; fanout uses the
// topic index).
func visible(p auth.Principal, e outbox.Event) bool {
	switch {
	case strings.HasPrefix(e.Topic, "user:"):
		return e.Topic == outbox.UserTopic(p.UserID)
	case e.Topic == outbox.TopicStore:
		return p.IsAdmin()
	case strings.HasPrefix(e.Topic, "dept:"):
		d := deptOf(e.Topic)
		if e.ManagersOnly {
			return p.Manages(d)
		}
		return p.IsAdmin() || p.InDept(d)
	}
	return false
}

func deptOf(topic string) int64 {
	id, _ := outbox.DeptOfTopic(topic)
	return id
}

// topicsOf are the topics a principal hears, besides the admin set.
func topicsOf(p auth.Principal) []string {
	ts := []string{outbox.UserTopic(p.UserID)}
	if p.IsAdmin() {
		return append(ts, outbox.TopicStore)
	}
	for _, d := range p.DeptIDs {
		ts = append(ts, outbox.DeptTopic(d))
	}
	return ts
}

func (h *Hub) register(c *conn) (head int64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.Accepting() {
		return 0, ErrDraining
	}
	if h.perUser[c.p.UserID] >= h.opts.MaxPerPerson {
		return 0, ErrTooManySockets
	}
	h.perUser[c.p.UserID]++
	h.conns[c] = struct{}{}
	if c.p.IsAdmin() {
		h.admins[c] = struct{}{}
		h.add(outbox.UserTopic(c.p.UserID), c)
	} else {
		for _, t := range topicsOf(c.p) {
			h.add(t, c)
		}
	}
	return h.head.Load(), nil
}

func (h *Hub) add(topic string, c *conn) {
	m := h.topics[topic]
	if m == nil {
		m = make(map[*conn]struct{})
		h.topics[topic] = m
	}
	m[c] = struct{}{}
}

func (h *Hub) unregister(c *conn) {
	h.mu.Lock()
	if _, ok := h.conns[c]; ok {
		if h.perUser[c.p.UserID]--; h.perUser[c.p.UserID] <= 0 {
			delete(h.perUser, c.p.UserID)
		}
	}
	delete(h.conns, c)
	delete(h.admins, c)
	for _, t := range topicsOf(c.p) {
		if m := h.topics[t]; m != nil {
			delete(m, c)
			if len(m) == 0 {
				delete(h.topics, t)
			}
		}
	}
	h.mu.Unlock()
	select {
	case h.gone <- struct{}{}:
	default:
	}
}

// Drain stops accepting sockets, tells every client to reconnect elsewhere
// ({"type":"reconnect","after_ms":...}) and waits until they are closed or
// ctx ends; then it cuts the rest. SIGTERM and the Auto Scaling termination
// hook call it.
func (h *Hub) Drain(ctx context.Context) error {
	h.draining.Store(true)
	h.mu.RLock()
	all := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		all = append(all, c)
	}
	h.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	for _, c := range all {
		after := h.opts.ReconnectAfter + time.Duration(c.id%4)*h.opts.ReconnectAfter
		c.closeAfter(encodeReconnect(after), StatusServiceRestart, "server draining")
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		h.mu.RLock()
		n := len(h.conns)
		h.mu.RUnlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			h.mu.RLock()
			for c := range h.conns {
				c.t.closeNow()
			}
			h.mu.RUnlock()
			return errors.Join(errors.New("hub: drain timed out"), ctx.Err())
		case <-h.gone:
		case <-tick.C:
		}
	}
}

// pingTick is how often the keepalive pings its next share of the sockets.
// A quarter of 10,000 sockets pinged at once (2,500 pings, pongs and
// goroutines) took tens of milliseconds of the machine's cores, and the
// publishes fanned out meanwhile waited for them: one such publish in a
// hundred is a run's p99. At one share every 250 ms, a share of 10,000
// sockets is 84 pings.
const pingTick = 250 * time.Millisecond

// keepalive pings one share of the sockets every PingInterval/shares (at
// least four shares, one per pingTick when the interval allows), so each
// socket is pinged once per interval and the pings are spread evenly over
// it.
func (h *Hub) keepalive(ctx context.Context) {
	slots := uint64(max(4, h.opts.PingInterval/pingTick))
	tick := time.NewTicker(h.opts.PingInterval / time.Duration(slots))
	defer tick.Stop()
	var slot uint64
	var batch []*conn
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		slot = (slot + 1) % slots
		batch = batch[:0]
		h.mu.RLock()
		for c := range h.conns {
			if c.id%slots == slot {
				batch = append(batch, c)
			}
		}
		h.mu.RUnlock()
		for _, c := range batch {
			go c.ping(h.opts.PingInterval)
		}
	}
}
