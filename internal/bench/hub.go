//go:build linux

// Package bench holds "crumb-bench hub": it starts the real server as a child
// process ("crumb serve", embedded: SQLite and the memory broker), opens
// authenticated sockets, publishes through the REST API and prints a table
// beside the same load on a bare coder/websocket broadcaster (ServeBare, also
// a child process). Loopback only; the run is bounded.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options size a run.
type Options struct {
	Crumb       string        // the crumb binary under test (run as "crumb serve")
	Self        string        // this benchmark's own binary (run as "crumb-bench bare-server")
	MemSteps    []int         // sockets at which server RSS is read
	LatencyNs   []int         // subscriber counts for latency
	Publishes   int           // latency samples per N
	Interval    time.Duration // between latency publishes
	ThroughputN int           // subscribers during the throughput phase
	Duration    time.Duration // of the throughput phase
	Publishers  int           // concurrent closed-loop publishers
}

// DefaultOptions is the run the README table comes from.
func DefaultOptions(crumb, self string) Options {
	return Options{Crumb: crumb, Self: self, MemSteps: []int{1000, 5000, 15000}, LatencyNs: []int{1000, 10000},
		Publishes: 100, Interval: 50 * time.Millisecond, ThroughputN: 1000, Duration: 5 * time.Second, Publishers: 8}
}

// result is what one target measured.
type result struct {
	name    string
	rss     map[int]int64 // sockets → server VmRSS bytes
	held    int
	lat     map[int][3]time.Duration // N → p50, p99, max
	lost    map[int]int              // N → deliveries missing after the latency phase
	rate    float64                  // delivered messages per second
	evicted int64
}

// RunHub runs the whole benchmark and prints the table.
func RunHub(ctx context.Context, out io.Writer, o Options) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		fmt.Fprintf(out, "RLIMIT_NOFILE %d (server and clients are separate processes)\n", lim.Cur)
	}
	ours, err := newOurs(ctx, o.Crumb, max(slices.Max(o.MemSteps), slices.Max(o.LatencyNs), o.ThroughputN)+1)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "crumb serve (auth, topics, SQLite outbox, relay, memory broker):")
	r1, err := run(ctx, out, ours, o)
	ours.stop()
	if err != nil {
		return err
	}
	bare, err := newBare(ctx, o.Self)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "bare coder/websocket broadcaster (chat example; no auth, no persistence):")
	r2, err := run(ctx, out, bare, o)
	bare.stop()
	if err != nil {
		return err
	}
	printTable(out, o, r1, r2)
	return nil
}

// target is a server under test.
type target interface {
	// socket is where subscriber i connects and the headers it sends.
	socket(i int) (url string, h http.Header)
	publish(ctx context.Context, k int) error
	pid() int
	stop()
}

// state is shared by the clients of one run.
type state struct {
	t0        []atomic.Int64 // k → publish instant (unix ns)
	delivered []atomic.Int32
	want      []atomic.Int32
	first     []atomic.Int64 // k → earliest delivery latency (ns)
	last      []atomic.Int64 // k → latest delivery latency (ns)
	done      []atomic.Pointer[chan struct{}]
	record    atomic.Bool
	total     atomic.Int64
	evicted   atomic.Int64
	alive     atomic.Int64
}

const maxMsgs = 1 << 20

func newState() *state {
	return &state{t0: make([]atomic.Int64, maxMsgs), delivered: make([]atomic.Int32, maxMsgs),
		want: make([]atomic.Int32, maxMsgs), first: make([]atomic.Int64, maxMsgs), last: make([]atomic.Int64, maxMsgs), done: make([]atomic.Pointer[chan struct{}], maxMsgs)}
}

var marker = []byte(`"name":"B`)

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

func run(ctx context.Context, out io.Writer, tg target, o Options) (*result, error) {
	s := newState()
	r := &result{rss: map[int]int64{}, lat: map[int][3]time.Duration{}, lost: map[int]int{}}
	var clients []*client
	pollers := make([]*poller, runtime.GOMAXPROCS(0))
	for i := range pollers {
		p, err := newPoller(s)
		if err != nil {
			return nil, err
		}
		pollers[i] = p
		defer p.close()
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	open := func(n int) error {
		live := clients[:0]
		for _, c := range clients {
			if !c.dead.Load() {
				live = append(live, c)
			}
		}
		clients = live
		need := n - len(clients)
		if need <= 0 {
			return nil
		}
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
				i := len(clients) + j
				u, h := tg.socket(i)
				fd, early, err := dialWS(dctx, u, h)
				if err == nil {
					c := &client{fd: fd}
					if err = pollers[i%len(pollers)].add(c, early); err == nil {
						fresh[j] = c
					}
				}
				if err != nil {
					err = fmt.Errorf("%s: %w", u, err)
					firstErr.CompareAndSwap(nil, &err)
				}
			}(j)
		}
		wg.Wait()
		if p := firstErr.Load(); p != nil {
			return fmt.Errorf("bench: dial: %w", *p)
		}
		for _, c := range fresh {
			if c != nil {
				clients = append(clients, c)
			}
		}
		return nil
	}
	shrink := func(n int) {
		for len(clients) > n {
			c := clients[len(clients)-1]
			clients = clients[:len(clients)-1]
			c.close()
		}
		time.Sleep(2 * time.Second)
	}
	k := 0
	// 1. Idle sockets: server RSS at each step.
	for _, n := range o.MemSteps {
		if err := open(n); err != nil {
			return nil, err
		}
		time.Sleep(3 * time.Second)
		rss, err := vmRSS(tg.pid())
		if err != nil {
			return nil, err
		}
		r.rss[n] = rss
		r.held = max(r.held, int(s.alive.Load()))
		fmt.Fprintf(out, "  %6d sockets held, server RSS %7.1f MiB\n", s.alive.Load(), float64(rss)/(1<<20))
	}
	// 2. Latency: paced publishes, every delivery timed from before the publish.
	for _, n := range o.LatencyNs {
		shrink(len(clients))
		if len(clients) > n {
			shrink(n)
		}
		if err := open(n); err != nil {
			return nil, err
		}
		time.Sleep(time.Second)
		for _, c := range clients {
			c.mu.Lock()
			c.lats = c.lats[:0]
			c.mu.Unlock()
		}
		s.record.Store(true)
		subs := int32(s.alive.Load())
		first := k + 1
		// Pace so that the offered fan-out stays near 20k deliveries/s at
		// 1k subscribers and does not become a backlog test at 10k.
		interval := o.Interval * time.Duration(max(1, n/2500))
		var calls []time.Duration // the publish request alone
		srv0, self0, wall0 := ProcCPU(tg.pid()), ProcCPU(os.Getpid()), time.Now()
		for range o.Publishes {
			k++
			s.want[k].Store(subs)
			t0 := time.Now()
			s.t0[k].Store(t0.UnixNano())
			if err := tg.publish(ctx, k); err != nil {
				return nil, err
			}
			calls = append(calls, time.Since(t0))
			time.Sleep(interval)
		}
		slices.Sort(calls)
		srvCPU, selfCPU, wall := ProcCPU(tg.pid())-srv0, ProcCPU(os.Getpid())-self0, time.Since(wall0)
		time.Sleep(2 * time.Second)
		s.record.Store(false)
		var all []int64
		for _, c := range clients {
			c.mu.Lock()
			all = append(all, c.lats...)
			c.mu.Unlock()
		}
		lost := 0
		for j := first; j <= k; j++ {
			lost += int(subs - s.delivered[j].Load())
		}
		r.lost[n] = lost
		slices.Sort(all)
		if len(all) == 0 {
			return nil, errors.New("bench: nothing delivered")
		}
		pct := func(p float64) time.Duration { return time.Duration(all[min(len(all)-1, int(p*float64(len(all))))]) }
		r.lat[n] = [3]time.Duration{pct(0.50), pct(0.99), time.Duration(all[len(all)-1])}
		fmt.Fprintf(out, "  N=%d: %d deliveries, p50 %v p99 %v max %v, missing %d (publish request alone: p50 %v, max %v)\n", n, len(all),
			r.lat[n][0], r.lat[n][1], r.lat[n][2], lost, calls[len(calls)/2].Round(time.Microsecond), calls[len(calls)-1].Round(time.Microsecond))
		// Per publish: when its first and its last subscriber had it; the
		// spread between them is the fan-out itself.
		var firsts, lasts []time.Duration
		for j := first; j <= k; j++ {
			firsts = append(firsts, time.Duration(s.first[j].Load()))
			lasts = append(lasts, time.Duration(s.last[j].Load()))
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
	}
	// 3. Throughput: closed-loop publishers, each waits until its message
	// reached every subscriber (or 2 s) before the next.
	shrink(o.ThroughputN)
	if err := open(o.ThroughputN); err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	var next atomic.Int64
	next.Store(int64(k))
	startTotal := s.total.Load()
	srv0, self0 := ProcCPU(tg.pid()), ProcCPU(os.Getpid())
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
			perDelivery(ProcCPU(tg.pid())-srv0, delivered), perDelivery(ProcCPU(os.Getpid())-self0, delivered))
	}
	return r, nil
}

// perDelivery is CPU time cpu shared out over n deliveries (n > 0).
func perDelivery[N int | int64](cpu time.Duration, n N) time.Duration {
	return (cpu / time.Duration(n)).Round(10 * time.Nanosecond)
}

// ProcCPU is the user and system CPU time process pid has used, from
// /proc (0 if unknown); the benchmarks print CPU per request with it.
func ProcCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// After the parenthesised command, utime and stime are the 12th and
	// 13th fields, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, nil
		}
	}
	return 0, errors.New("bench: no VmRSS")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// child is a server process.
type child struct {
	cmd *exec.Cmd
	url string
}

func startChild(ctx context.Context, exe string, args, env []string) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append(args, "--addr", addr)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "CRUMB_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, url: "http://" + addr}
	for range 300 {
		if res, err := http.Get(c.url + "/healthz"); err == nil {
			res.Body.Close()
			return c, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.stop()
	return nil, errors.New("bench: server did not start")
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

// bareTarget drives ServeBare.
type bareTarget struct {
	*child
	pad string
}

func newBare(ctx context.Context, exe string) (*bareTarget, error) {
	c, err := startChild(ctx, exe, []string{"bare-server"}, nil)
	if err != nil {
		return nil, err
	}
	return &bareTarget{child: c, pad: strings.Repeat("x", 120)}, nil
}

func (b *bareTarget) socket(int) (string, http.Header) { return wsURL(b.url) + "/subscribe", nil }

// publish sends a message shaped and sized like our employee.updated frame.
func (b *bareTarget) publish(ctx context.Context, k int) error {
	body := fmt.Sprintf(`{"type":"event","seq":%d,"topic":"dept:1","event":"employee.updated","at":"2026-11-26T18:00:00Z","data":{"id":2,"name":"B%d Bench","role":"employee","department_ids":[1],"active":true,"resubscribe":false,"pad":"%s"}}`, k, k, b.pad[:20])
	req, _ := http.NewRequestWithContext(ctx, "POST", b.url+"/publish", strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		return fmt.Errorf("bench: publish: %s", res.Status)
	}
	return nil
}

func dataDir() (string, error) { return os.MkdirTemp("", "crumb-bench-") }
