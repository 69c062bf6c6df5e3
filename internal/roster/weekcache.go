package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
)

// Defaults of WeekCache.
const (
	// WeekCacheMaxAge is the safety net: an entry older than this is never
	// served, even if no event said it changed (a write that bypassed the
	// outbox, a broker message lost with nothing after it).
	WeekCacheMaxAge = 3 * time.Second
	// WeekCacheMaxEntries bounds the cache; one more evicts an entry at
	// random.
	WeekCacheMaxEntries = 4096
)

// WeekCache holds encoded GET /shifts answers of the week view (a
// department set) so that a repeated read skips the database and the JSON
// encoding. It is coherent through generation counters, one per department
// and one global: every committed event on "dept:N" bumps N's, every event
// on "store" (settings, departments, people) bumps the global one. A fill
// snapshots both generations before it queries and stores its answer with
// them; an entry is served only while both are unchanged, so a write that
// commits while a fill runs can never leave a stale entry behind.
//
// Every shift write emits on its department's topic (shifts moving to
// another department emit on both), so forgetting by department topic is
// enough; personal topics need nothing.
//
// Consistency: on the node that wrote, reads after the write see it
// (read-your-writes: the Writer's commit hook bumps the generation before
// the writing request answers). Other nodes forget once their hub
// dispatches the event their broker delivered (or read from the database to
// fill a gap); until then they may answer with the previous state, at most
// MaxAge old.
type WeekCache struct {
	// MaxAge bounds how long an entry is served; MaxEntries how many are
	// held. Set them before use; zero takes the defaults.
	MaxAge     time.Duration
	MaxEntries int

	// now is the wall clock (an injected test clock may stand still).
	now func() time.Time
	// beforeStore runs after a fill has queried and encoded and before it
	// stores its answer (tests: a write committing during a fill).
	beforeStore func()

	mu      sync.Mutex
	global  uint64
	depts   map[int64]uint64
	entries map[weekKey]weekEntry
}

// NewWeekCache returns an empty cache with the default bounds.
func NewWeekCache() *WeekCache {
	return &WeekCache{MaxAge: WeekCacheMaxAge, MaxEntries: WeekCacheMaxEntries, now: time.Now,
		depts: map[int64]uint64{}, entries: map[weekKey]weekEntry{}}
}

// ListShiftsJSON is ListShifts encoded as GET /shifts answers it (the bytes
// encoding/json, and so Gin, would write). The week view, with a department
// set, is answered from the week cache when s.Weeks is set. The returned
// bytes may be shared: callers must not change them.
func (s *Service) ListShiftsJSON(ctx context.Context, p auth.Principal, f ShiftFilter, lp paging.ListParams) ([]byte, error) {
	q, err := s.parseShiftQuery(ctx, p, f, lp)
	if err != nil {
		return nil, err
	}
	if s.Weeks == nil || f.DepartmentID == 0 || q.nothing {
		return encodeShiftPage(s.runShiftQuery(ctx, p, q))
	}
	k := weekKey{dept: f.DepartmentID, employee: f.EmployeeID, from: q.from, to: q.to, status: f.Status,
		cursor: q.lp.Cursor, limit: q.lp.Limit, class: classOf(p, f.DepartmentID)}
	if k.class == seesNothing {
		// What the visibility clause would answer, without asking.
		return encodeShiftPage(paging.Page[Shift]{Items: []Shift{}}, nil)
	}
	if b, ok := s.Weeks.get(k); ok {
		return b, nil
	}
	g := s.Weeks.snapshot(k.dept) // before the query: see WeekCache
	b, err := encodeShiftPage(s.runShiftQuery(ctx, p, q))
	if err != nil {
		return nil, err
	}
	s.Weeks.put(k, g, b)
	return b, nil
}

func encodeShiftPage(page paging.Page[Shift], err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(page)
	if err != nil {
		return nil, fmt.Errorf("roster: encode shifts: %w", err)
	}
	return b, nil
}

// Visibility classes of a caller for one department: every principal of a
// class gets the same answer.
type weekClass uint8

const (
	seesNothing   weekClass = iota // neither manages nor works in it
	seesPublished                  // works in it
	seesAll                        // manages it (or admin): drafts too
)

// classOf mirrors ListShifts' visibility clause for one department.
func classOf(p auth.Principal, dept int64) weekClass {
	switch {
	case p.Manages(dept):
		return seesAll
	case p.InDept(dept):
		return seesPublished
	}
	return seesNothing
}

// weekKey is everything an answer depends on besides the stored shifts.
// from and to are UTC instants (zero when absent), compared with ==.
type weekKey struct {
	dept, employee int64
	from, to       time.Time
	status, cursor string
	limit          int
	class          weekClass
}

// weekGen is the pair of generations an entry was filled under.
type weekGen struct{ global, dept uint64 }

type weekEntry struct {
	body []byte
	gen  weekGen
	at   time.Time
}

func (c *WeekCache) maxAge() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return WeekCacheMaxAge
}

func (c *WeekCache) maxEntries() int {
	if c.MaxEntries > 0 {
		return c.MaxEntries
	}
	return WeekCacheMaxEntries
}

// gen returns the current generations of dept; c.mu must be held.
func (c *WeekCache) gen(dept int64) weekGen { return weekGen{global: c.global, dept: c.depts[dept]} }

// snapshot returns the generations a fill of dept starts under.
func (c *WeekCache) snapshot(dept int64) weekGen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen(dept)
}

// get returns the stored answer of k while it is current. The bytes are
// shared: callers must not change them.
func (c *WeekCache) get(k weekKey) ([]byte, bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	if e.gen != c.gen(k.dept) || now.Sub(e.at) >= c.maxAge() {
		delete(c.entries, k)
		return nil, false
	}
	return e.body, true
}

// put stores the answer of a fill that started under g, unless something
// changed since (then it is already stale).
func (c *WeekCache) put(k weekKey, g weekGen, body []byte) {
	if c.beforeStore != nil {
		c.beforeStore()
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if g != c.gen(k.dept) {
		return
	}
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.maxEntries() {
		for old := range c.entries { // map order: an arbitrary entry
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = weekEntry{body: body, gen: g, at: now}
}

// Committed forgets what the events' topics cover; it is the Writer's
// commit hook (outbox.Writer.SetCommitHook).
func (c *WeekCache) Committed(events []outbox.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		c.bump(e.Topic)
	}
}

// Observe forgets what one event's topic covers; it is the hub's observer
// (hub.Options.Observe), for events of other nodes.
func (c *WeekCache) Observe(e outbox.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bump(e.Topic)
}

// bump advances the generation a topic names; c.mu must be held.
func (c *WeekCache) bump(topic string) {
	if topic == outbox.TopicStore {
		c.global++
		return
	}
	if id, ok := outbox.DeptOfTopic(topic); ok {
		c.depts[id]++
	}
}
