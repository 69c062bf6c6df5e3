package testutil

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Fault is what a FaultProxy does to traffic.
type Fault int

// The faults a FaultProxy can inject.
const (
	// Pass forwards bytes both ways.
	Pass Fault = iota
	// Cut closes every connection and refuses new ones at once (a stopped
	// server: the client sees a reset or a refused connection).
	Cut
	// Blackhole keeps connections open and accepts new ones, but drops every
	// byte both ways (a server that accepts and never answers).
	Blackhole
	// Delay forwards bytes after holding each chunk for the proxy's delay.
	Delay
)

// FaultProxy is a TCP proxy in front of a dependency (MariaDB, Redis) that
// cuts, blackholes or delays its connections on demand, so tests see the
// dependency fail the way a network or a crashed server makes it fail.
type FaultProxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	fault Fault
	delay time.Duration
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewFaultProxy listens on a free local port and forwards to target until
// the test ends.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port, to give the client instead of target's.
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// Set switches the fault; Cut also closes the open connections. delay is
// used by Delay.
func (p *FaultProxy) Set(f Fault, delay time.Duration) {
	p.mu.Lock()
	p.fault, p.delay = f, delay
	var open []net.Conn
	if f == Cut {
		for c := range p.conns {
			open = append(open, c)
		}
	}
	p.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
}

// Close stops the proxy and closes every connection.
func (p *FaultProxy) Close() {
	p.ln.Close()
	p.Set(Cut, 0)
	p.wg.Wait()
}

func (p *FaultProxy) now() (Fault, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault, p.delay
}

func (p *FaultProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fault == Cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *FaultProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *FaultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *FaultProxy) serve(client net.Conn) {
	defer p.wg.Done()
	defer p.untrack(client)
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	if !p.track(server) {
		server.Close()
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
}

// pipe copies src to dst chunk by chunk, applying the fault in force when
// each chunk arrives.
func (p *FaultProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f, d := p.now()
			switch f {
			case Cut:
				return
			case Blackhole:
				n = 0
			case Delay:
				time.Sleep(d)
			}
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}
