//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// sockets is one run's subscribers, of one kind of client.
type sockets struct {
	s       *state
	tg      target
	kind    string
	pollers []*poller
	clients []*client
	// redialFor, when set, makes ordinary client i reconnect when cut
	// (the cluster's kill phase).
	redialFor func(i int) func(context.Context, int64) (*websocket.Conn, error)
}

func newSockets(s *state, tg target, kind string) (*sockets, error) {
	ss := &sockets{s: s, tg: tg, kind: kind}
	if kind == Lean {
		for range runtime.GOMAXPROCS(0) {
			p, err := newPoller(s)
			if err != nil {
				ss.close()
				return nil, err
			}
			ss.pollers = append(ss.pollers, p)
		}
	}
	return ss, nil
}

// close closes every socket, then the pollers.
func (ss *sockets) close() {
	for _, c := range ss.clients {
		c.close()
	}
	for _, p := range ss.pollers {
		p.close()
	}
}

// dial opens subscriber i's socket and says hello.
func (ss *sockets) dial(ctx context.Context, i int) (*client, error) {
	u, h := ss.tg.socket(i)
	hello := ss.tg.hello()
	if ss.kind == Ordinary {
		ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			return nil, err
		}
		var redial func(context.Context, int64) (*websocket.Conn, error)
		if ss.redialFor != nil {
			redial = ss.redialFor(i)
		}
		return startOrdinary(ss.s, ws, hello, redial)
	}
	fd, early, err := dialWS(ctx, u, h)
	if err != nil {
		return nil, err
	}
	c := &client{fd: fd}
	if hello != nil {
		writeMasked(fd, 0x81, hello)
	} else {
		c.ready = true
		ss.s.ready.Add(1)
	}
	if err := ss.pollers[i%len(ss.pollers)].add(c, early); err != nil {
		return nil, err
	}
	return c, nil
}

// open brings the live sockets up to n and waits until all are subscribed.
func (ss *sockets) open(ctx context.Context, n int) error {
	live := ss.clients[:0]
	for _, c := range ss.clients {
		if !c.dead.Load() {
			live = append(live, c)
		} else if c.ord != nil {
			c.close() // joins its reader
		}
	}
	ss.clients = live
	need := n - len(ss.clients)
	if need <= 0 {
		return nil
	}
	ready0 := ss.s.ready.Load()
	fresh := make([]*client, need)
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	sem := make(chan struct{}, 64)
	for j := range need {
		wg.Add(1)
		sem <- struct{}{}
		go func(j int) {
			defer wg.Done()
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			i := len(ss.clients) + j
			c, err := ss.dial(dctx, i)
			if err != nil {
				u, _ := ss.tg.socket(i)
				err = fmt.Errorf("%s: %w", u, err)
				firstErr.CompareAndSwap(nil, &err)
				return
			}
			fresh[j] = c
		}(j)
	}
	wg.Wait()
	for _, c := range fresh {
		if c != nil {
			ss.clients = append(ss.clients, c)
		}
	}
	if p := firstErr.Load(); p != nil {
		return fmt.Errorf("bench: dial: %w", *p)
	}
	for deadline := time.Now().Add(60 * time.Second); ss.s.ready.Load()-ready0 < int64(need); {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d new sockets subscribed", ss.s.ready.Load()-ready0, need)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// shrink closes sockets down to n (and the dead ones) and lets the server
// notice.
func (ss *sockets) shrink(n int) {
	for len(ss.clients) > n {
		c := ss.clients[len(ss.clients)-1]
		ss.clients = ss.clients[:len(ss.clients)-1]
		c.close()
	}
	time.Sleep(2 * time.Second)
}

func run(ctx context.Context, out io.Writer, tg target, o Options, kind string) (*result, error) {
	s := newState()
	r := &result{rss: map[int]int64{}, lat: map[int][3]time.Duration{}, lost: map[int]int{}}
	ss, err := newSockets(s, tg, kind)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	k := 0
	// 1. Idle sockets: server RSS at each step.
	for _, n := range o.MemSteps {
		if err := ss.open(ctx, n); err != nil {
			return nil, err
		}
		time.Sleep(3 * time.Second)
		rss, err := procsRSS(tg.pids())
		if err != nil {
			return nil, err
		}
		r.rss[n] = rss
		r.held = max(r.held, int(s.alive.Load()))
		fmt.Fprintf(out, "  %6d sockets held, server RSS %7.1f MiB\n", s.alive.Load(), float64(rss)/(1<<20))
	}
	// 2. Latency: paced publishes, every delivery timed from before the publish.
	for _, n := range o.LatencyNs {
		lat, lost, err := ss.latency(ctx, out, o.Publishes, o.Interval, n, &k)
		if err != nil {
			return nil, err
		}
		r.lat[n], r.lost[n] = lat, lost
	}
	// 3. Throughput: closed-loop publishers, each waits until its message
	// reached every subscriber (or 2 s) before the next.
	ss.shrink(o.ThroughputN)
	if err := ss.open(ctx, o.ThroughputN); err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	var next atomic.Int64
	next.Store(int64(k))
	startTotal := s.total.Load()
	srv0, self0 := procsCPU(tg.pids()), ProcCPU(os.Getpid())
	start := time.Now()
	deadline := start.Add(o.Duration)
	var wg sync.WaitGroup
	for range o.Publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				j := int(next.Add(1))
				if j >= maxMsgs {
					return
				}
				ch := make(chan struct{})
				s.done[j].Store(&ch)
				s.want[j].Store(int32(s.alive.Load()))
				if err := tg.publish(ctx, j); err != nil {
					return
				}
				select {
				case <-ch:
				case <-time.After(2 * time.Second):
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	delivered := s.total.Load() - startTotal
	r.rate = float64(delivered) / elapsed.Seconds()
	r.evicted = s.evicted.Load()
	fmt.Fprintf(out, "  throughput at N=%d: %.0f delivered/s over %v (%d publishes), %d clients evicted (1008)\n",
		o.ThroughputN, r.rate, elapsed.Round(time.Millisecond), next.Load()-int64(k), r.evicted)
	if delivered > 0 {
		fmt.Fprintf(out, "         CPU per delivery: server %v, load generator %v\n",
			perDelivery(procsCPU(tg.pids())-srv0, delivered), perDelivery(ProcCPU(os.Getpid())-self0, delivered))
	}
	return r, nil
}

// latency opens n subscribers, publishes one message at a time (k numbers
// them) and returns p50, p99 and max from just before each publish to its
// arrival at each subscriber, and how many deliveries are missing.
func (ss *sockets) latency(ctx context.Context, out io.Writer, publishes int, interval0 time.Duration, n int, k *int) (lat [3]time.Duration, lost int, err error) {
	ss.shrink(len(ss.clients))
	if len(ss.clients) > n {
		ss.shrink(n)
	}
	if err := ss.open(ctx, n); err != nil {
		return lat, 0, err
	}
	time.Sleep(time.Second)
	for _, c := range ss.clients {
		c.mu.Lock()
		c.lats = c.lats[:0]
		c.mu.Unlock()
	}
	ss.s.record.Store(true)
	subs := int32(ss.s.alive.Load())
	first := *k + 1
	// Pace so that the offered fan-out stays near 20k deliveries/s at
	// 1k subscribers and does not become a backlog test at 10k.
	interval := interval0 * time.Duration(max(1, n/2500))
	var calls []time.Duration // the publish request alone
	srv0, self0, wall0 := procsCPU(ss.tg.pids()), ProcCPU(os.Getpid()), time.Now()
	for range publishes {
		*k++
		ss.s.want[*k].Store(subs)
		t0 := time.Now()
		ss.s.t0[*k].Store(t0.UnixNano())
		if err := ss.tg.publish(ctx, *k); err != nil {
			return lat, 0, err
		}
		calls = append(calls, time.Since(t0))
		time.Sleep(interval)
	}
	slices.Sort(calls)
	srvCPU, selfCPU, wall := procsCPU(ss.tg.pids())-srv0, ProcCPU(os.Getpid())-self0, time.Since(wall0)
	// Late is not missing: wait (2 s at least, 30 s at most) until every
	// delivery is in.
	time.Sleep(2 * time.Second)
	for deadline := time.Now().Add(28 * time.Second); time.Now().Before(deadline) && missingFrom(ss.s, first, *k, subs) > 0; {
		time.Sleep(50 * time.Millisecond)
	}
	ss.s.record.Store(false)
	var all []int64
	for _, c := range ss.clients {
		c.mu.Lock()
		all = append(all, c.lats...)
		c.mu.Unlock()
	}
	lost = missingFrom(ss.s, first, *k, subs)
	slices.Sort(all)
	if len(all) == 0 {
		return lat, 0, errors.New("bench: nothing delivered")
	}
	pct := func(p float64) time.Duration { return time.Duration(all[min(len(all)-1, int(p*float64(len(all))))]) }
	lat = [3]time.Duration{pct(0.50), pct(0.99), time.Duration(all[len(all)-1])}
	fmt.Fprintf(out, "  N=%d: %d deliveries, p50 %v p99 %v max %v, missing %d (publish request alone: p50 %v, max %v)\n", n, len(all),
		lat[0], lat[1], lat[2], lost, calls[len(calls)/2].Round(time.Microsecond), calls[len(calls)-1].Round(time.Microsecond))
	// Per publish: when its first and its last subscriber had it; the
	// spread between them is the fan-out itself.
	var firsts, lasts []time.Duration
	for j := first; j <= *k; j++ {
		firsts = append(firsts, time.Duration(ss.s.first[j].Load()))
		lasts = append(lasts, time.Duration(ss.s.last[j].Load()))
	}
	slices.Sort(firsts)
	slices.Sort(lasts)
	q := func(d []time.Duration, p float64) time.Duration {
		return d[min(len(d)-1, int(p*float64(len(d))))].Round(10 * time.Microsecond)
	}
	fmt.Fprintf(out, "         per publish: first delivery p50 %v p90 %v max %v; last delivery p50 %v p90 %v max %v\n",
		q(firsts, 0.5), q(firsts, 0.9), q(firsts, 1), q(lasts, 0.5), q(lasts, 0.9), q(lasts, 1))
	// The CPU the publishes cost, beside the wall time they took: how
	// busy the machine's cores were while the subscribers waited.
	fmt.Fprintf(out, "         CPU per delivery: server %v, load generator %v (both: %.0f%% of one core over the phase)\n",
		perDelivery(srvCPU, len(all)), perDelivery(selfCPU, len(all)), 100*float64(srvCPU+selfCPU)/float64(wall))
	return lat, lost, nil
}
