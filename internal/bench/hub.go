//go:build linux

// Package bench holds "crumb-bench hub": it starts the real server as a child
// process ("crumb serve", embedded: SQLite and the memory broker), Centrifugo
// and a bare coder/websocket broadcaster (ServeBare), opens sockets to each
// with two kinds of client (a lean epoll client and an ordinary goroutine per
// socket), publishes and prints min / median / max over several runs; and
// "crumb-bench cluster" does the same across serve nodes on MariaDB and
// Redis. Loopback only; every run is bounded.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// Client kinds.
const (
	Lean     = "lean"     // raw sockets on epoll (client.go)
	Ordinary = "ordinary" // a coder/websocket client goroutine per socket (ordinary.go)
)

// Options size a run.
type Options struct {
	Crumb       string        // the crumb binary under test (run as "crumb serve")
	Self        string        // this benchmark's own binary (run as "crumb-bench bare-server")
	Centrifugo  string        // the centrifugo binary; empty leaves Centrifugo out
	Clients     []string      // Lean, Ordinary
	Servers     []string      // "crumb", "centrifugo", "bare"
	Runs        int           // full runs of every server with every client
	MemSteps    []int         // sockets at which server RSS is read
	LatencyNs   []int         // subscriber counts for latency
	Publishes   int           // latency samples per N
	Interval    time.Duration // between latency publishes
	ThroughputN int           // subscribers during the throughput phase
	Duration    time.Duration // of the throughput phase
	Publishers  int           // concurrent closed-loop publishers
}

// DefaultOptions is the run the docs' table comes from.
func DefaultOptions(crumb, self string) Options {
	return Options{Crumb: crumb, Self: self, Clients: []string{Lean, Ordinary}, Servers: []string{"crumb", "centrifugo", "bare"},
		Runs: 5, MemSteps: []int{1000, 5000, 15000}, LatencyNs: []int{1000, 10000},
		Publishes: 100, Interval: 50 * time.Millisecond, ThroughputN: 1000, Duration: 5 * time.Second, Publishers: 8}
}

// result is what one target measured in one run.
type result struct {
	rss     map[int]int64 // sockets → server VmRSS bytes
	held    int
	lat     map[int][3]time.Duration // N → p50, p99, max
	lost    map[int]int              // N → deliveries missing after the latency phase
	rate    float64                  // delivered messages per second
	evicted int64
}

// serverNames describe the servers in the output.
var serverNames = map[string]string{
	"crumb":      "crumb serve (auth, topics, SQLite outbox, relay, memory broker)",
	"centrifugo": "Centrifugo v6 (insecure client and HTTP API, memory broker)",
	"bare":       "bare coder/websocket broadcaster (chat example; no auth, no persistence)",
	"hub":        "the hub alone (SQLite outbox, memory broker; sessions that expire, 10 sockets a person)",
	"hub-open":   "the hub alone (SQLite outbox, memory broker; no session expiry, no practical socket cap)",
}

// RunHub runs every server with every client o.Runs times, interleaved so
// that the machine's drift touches them alike, and prints the tables.
func RunHub(ctx context.Context, out io.Writer, o Options) error {
	raiseFileLimit(out)
	for _, cm := range o.Clients {
		if cm != Lean && cm != Ordinary {
			return fmt.Errorf("bench: unknown client %q (want %s or %s)", cm, Lean, Ordinary)
		}
	}
	if o.Centrifugo == "" {
		o.Servers = slices.DeleteFunc(slices.Clone(o.Servers), func(s string) bool { return s == "centrifugo" })
	}
	users := max(slices.Max(o.MemSteps), slices.Max(o.LatencyNs), o.ThroughputN) + 1
	res := map[string]map[string][]*result{}
	for r := 1; r <= o.Runs; r++ {
		// Every other run takes the servers in reverse, so that none
		// always follows the same one (a server's closed sockets and
		// freed memory are still the kernel's work for a while).
		order := slices.Clone(o.Servers)
		if r%2 == 0 {
			slices.Reverse(order)
		}
		for _, cm := range o.Clients {
			if res[cm] == nil {
				res[cm] = map[string][]*result{}
			}
			for _, sv := range order {
				fmt.Fprintf(out, "run %d/%d, %s client: %s (load average %s)\n", r, o.Runs, cm, serverNames[sv], loadAvg())
				var tg target
				var err error
				switch sv {
				case "crumb":
					tg, err = newOurs(ctx, o.Crumb, users)
				case "centrifugo":
					tg, err = newCentrifugo(ctx, o.Centrifugo)
				case "bare":
					tg, err = newBare(ctx, o.Self)
				case "hub", "hub-open":
					tg, err = newHubServer(ctx, o.Self, sv == "hub")
				default:
					err = fmt.Errorf("bench: unknown server %q", sv)
				}
				if err != nil {
					return err
				}
				one, err := run(ctx, out, tg, o, cm)
				tg.stop()
				if err != nil {
					return fmt.Errorf("bench: %s, %s client: %w", sv, cm, err)
				}
				res[cm][sv] = append(res[cm][sv], one)
			}
		}
	}
	for _, cm := range o.Clients {
		printTable(out, o, cm, res[cm])
	}
	fmt.Fprintf(out, "load average at the end: %s\n", loadAvg())
	return nil
}

// raiseFileLimit lets this process hold every socket of a run.
func raiseFileLimit(out io.Writer) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		fmt.Fprintf(out, "RLIMIT_NOFILE %d (server and clients are separate processes)\n", lim.Cur)
	}
}

// loadAvg is the machine's 1, 5 and 15-minute load average and its CPUs.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "unknown"
	}
	return fmt.Sprintf("%s %s %s on %d CPUs", f[0], f[1], f[2], runtime.NumCPU())
}

// target is a server under test.
type target interface {
	// socket is where subscriber i connects and the headers it sends.
	socket(i int) (url string, h http.Header)
	// hello is the message a client sends once connected (Centrifugo's
	// connect and subscribe commands), nil if none.
	hello() []byte
	publish(ctx context.Context, k int) error
	pids() []int // the server's processes (several for a cluster)
	stop()
}

// state is shared by the clients of one run.
type state struct {
	t0         []atomic.Int64 // k → publish instant (unix ns)
	delivered  []atomic.Int32
	want       []atomic.Int32
	first      []atomic.Int64 // k → earliest delivery latency (ns)
	last       []atomic.Int64 // k → latest delivery latency (ns)
	done       []atomic.Pointer[chan struct{}]
	record     atomic.Bool
	total      atomic.Int64
	evicted    atomic.Int64
	alive      atomic.Int64
	ready      atomic.Int64 // sockets subscribed (Centrifugo), for open to wait on
	dupes      atomic.Int64 // deliveries a socket had already had
	reconnects atomic.Int64 // sockets a cluster run reconnected
}

const maxMsgs = 1 << 20

func newState() *state {
	return &state{t0: make([]atomic.Int64, maxMsgs), delivered: make([]atomic.Int32, maxMsgs),
		want: make([]atomic.Int32, maxMsgs), first: make([]atomic.Int64, maxMsgs), last: make([]atomic.Int64, maxMsgs), done: make([]atomic.Pointer[chan struct{}], maxMsgs)}
}

var (
	marker      = []byte(`"name":"B`)
	subscribed  = []byte(`"id":2`) // Centrifugo's answer to the subscribe command
	centrifPing = []byte("{}")     // Centrifugo's ping, and the client's pong
)

// text handles a text message a subscriber received and returns what the
// client answers (Centrifugo's pong), if anything. One message may hold
// several (Centrifugo batches replies, one JSON object a line).
func (s *state) text(c *client, b []byte) (reply []byte) {
	if !c.ready && bytes.Contains(b, subscribed) {
		c.ready = true
		s.ready.Add(1)
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if bytes.Equal(line, centrifPing) {
			reply = centrifPing
			continue
		}
		s.deliver(c, line)
	}
	return reply
}

// deliver records a message a subscriber received: publish k's marker, its
// latency (while recording) and whether every subscriber now has it.
func (s *state) deliver(c *client, b []byte) {
	i := bytes.Index(b, marker)
	if i < 0 {
		return
	}
	k := 0
	for _, ch := range b[i+len(marker):] {
		if ch < '0' || ch > '9' {
			break
		}
		k = k*10 + int(ch-'0')
	}
	if k <= 0 || k >= maxMsgs {
		return
	}
	now := time.Now().UnixNano()
	s.total.Add(1)
	if c.ord != nil && !c.ord.seen(k) {
		s.dupes.Add(1) // a duplicate, after a reconnect
		return
	}
	if s.record.Load() {
		if t0 := s.t0[k].Load(); t0 > 0 {
			d := now - t0
			c.mu.Lock()
			c.lats = append(c.lats, d)
			c.mu.Unlock()
			for f := s.first[k].Load(); (f == 0 || d < f) && !s.first[k].CompareAndSwap(f, d); f = s.first[k].Load() {
			}
			for l := s.last[k].Load(); d > l && !s.last[k].CompareAndSwap(l, d); l = s.last[k].Load() {
			}
		}
	}
	if n := s.delivered[k].Add(1); n == s.want[k].Load() {
		if p := s.done[k].Load(); p != nil {
			close(*p)
		}
	}
}
