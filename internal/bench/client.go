//go:build linux

package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The load generator's subscribers are lean on purpose: the server under
// test shares the machine's two cores with them, and every microsecond a
// client spends on a delivery is one the server does not get. A socket is a
// raw, non-blocking TCP descriptor after a hand-made upgrade; a few poll
// loops (one per core) wait on all of them with epoll, level-triggered, and
// read a ready socket once per wake-up. A delivery costs one read and a
// share of one epoll_wait, with no goroutine per socket and no Go netpoller
// in between (coder/websocket's client, a goroutine per socket, cost the
// generator about as much CPU per delivery as the server). Server frames
// are unmasked and whole (neither server fragments messages); pings are
// answered with masked pongs; a close frame ends the socket, and one with
// 1008 counts as an eviction.

// client is one subscriber socket: a lean one (fd, read by a poller) or an
// ordinary one (ws, read by its own goroutine; see ordinary.go).
type client struct {
	fd    int
	p     *poller
	pend  []byte // the start of a frame not read whole yet
	ready bool   // subscribed (Centrifugo answers the subscribe command)
	mu    sync.Mutex
	lats  []int64
	dead  atomic.Bool
	ord   *ordinary
}

// poller waits for a share of the sockets.
type poller struct {
	s    *state
	ep   int
	mu   sync.Mutex // held while sockets are read; close takes it
	byFD map[int32]*client
	buf  []byte
	stop atomic.Bool
	done chan struct{}
}

func newPoller(s *state) (*poller, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("bench: epoll: %w", err)
	}
	p := &poller{s: s, ep: ep, byFD: map[int32]*client{}, buf: make([]byte, 64<<10), done: make(chan struct{})}
	go p.run()
	return p, nil
}

// close ends the loop; the sockets must be closed first.
func (p *poller) close() {
	p.stop.Store(true)
	<-p.done
	syscall.Close(p.ep)
}

func (p *poller) add(c *client, early []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.p = p
	p.byFD[int32(c.fd)] = c
	p.s.alive.Add(1)
	if len(early) > 0 { // frames that came in with the handshake's answer
		if !p.consume(c, early) {
			return nil
		}
	}
	if err := syscall.EpollCtl(p.ep, syscall.EPOLL_CTL_ADD, c.fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(c.fd)}); err != nil {
		p.dropLocked(c)
		return fmt.Errorf("bench: epoll add: %w", err)
	}
	return nil
}

func (p *poller) run() {
	defer close(p.done)
	evs := make([]syscall.EpollEvent, 256)
	for !p.stop.Load() {
		// A timeout, so that close is noticed.
		n, err := syscall.EpollWait(p.ep, evs, 100)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		p.mu.Lock()
		for _, ev := range evs[:n] {
			if c := p.byFD[ev.Fd]; c != nil {
				p.readOnce(c)
			}
		}
		p.mu.Unlock()
	}
}

// readOnce reads what one socket has and hands out the whole frames in it.
func (p *poller) readOnce(c *client) {
	n, err := syscall.Read(c.fd, p.buf)
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
		return
	case err != nil || n == 0:
		p.dropLocked(c)
		return
	}
	data := p.buf[:n]
	if len(c.pend) > 0 {
		c.pend = append(c.pend, data...)
		data = c.pend
	}
	p.consume(c, data)
}

// consume handles the whole frames at the start of b and keeps the rest; it
// reports whether the socket is still open.
func (p *poller) consume(c *client, b []byte) bool {
	for len(b) >= 2 {
		op, n, hdr := b[0]&0x0f, int(b[1]&0x7f), 2
		if b[0]&0x80 == 0 || b[1]&0x80 != 0 { // fragmented or masked: not what these servers send
			p.dropLocked(c)
			return false
		}
		switch n {
		case 126:
			hdr = 4
		case 127:
			hdr = 10
		}
		if len(b) < hdr {
			break // the rest of the header is still on its way
		}
		switch hdr {
		case 4:
			n = int(binary.BigEndian.Uint16(b[2:]))
		case 10:
			n = int(min(binary.BigEndian.Uint64(b[2:]), 1<<30))
		}
		if n > 1<<20 { // over the clients' read limit: drop it rather than buffer it
			p.dropLocked(c)
			return false
		}
		if len(b) < hdr+n {
			break // the rest of the frame is still on its way
		}
		payload := b[hdr : hdr+n]
		b = b[hdr+n:]
		switch op {
		case 1:
			if reply := p.s.text(c, payload); reply != nil {
				writeMasked(c.fd, 0x81, reply)
			}
		case 8:
			if len(payload) >= 2 && binary.BigEndian.Uint16(payload) == 1008 {
				p.s.evicted.Add(1)
			}
			p.dropLocked(c)
			return false
		case 9:
			writeMasked(c.fd, 0x8a, payload)
		}
	}
	c.pend = append(c.pend[:0], b...)
	return true
}

// close closes a socket the benchmark no longer needs.
func (c *client) close() {
	if c.ord != nil {
		c.ord.close(c)
		return
	}
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.dropLocked(c)
}

// dropLocked closes c (p.mu is held, so it runs once per socket). dead is
// set last: whoever sees it sees the socket counted out.
func (p *poller) dropLocked(c *client) {
	if c.dead.Load() {
		return
	}
	syscall.EpollCtl(p.ep, syscall.EPOLL_CTL_DEL, c.fd, nil)
	delete(p.byFD, int32(c.fd))
	syscall.Close(c.fd)
	p.s.alive.Add(-1)
	c.dead.Store(true)
}

// writeMasked sends a client frame (clients mask) of opcode op: the pong
// to a ping, or a short text message (Centrifugo's commands and pongs).
// The payload is under 64 KiB.
func writeMasked(fd int, op byte, payload []byte) {
	f := make([]byte, 0, 8+len(payload))
	if len(payload) < 126 {
		f = append(f, op, 0x80|byte(len(payload)))
	} else {
		f = append(f, op, 0x80|126, byte(len(payload)>>8), byte(len(payload)))
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	f = append(f, mask[:]...)
	for i, ch := range payload {
		f = append(f, ch^mask[i%4])
	}
	for len(f) > 0 {
		n, err := syscall.Write(fd, f)
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			return
		}
		f = f[n:]
	}
}

// dialWS opens a socket to rawURL (ws://host:port/path on IPv4) with
// header h: a blocking connect and upgrade, then the descriptor goes
// non-blocking. It returns what arrived behind the handshake's answer.
func dialWS(ctx context.Context, rawURL string, h http.Header) (fd int, early []byte, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return -1, nil, err
	}
	addr, err := net.ResolveTCPAddr("tcp4", u.Host)
	if err != nil {
		return -1, nil, err
	}
	fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, err
	}
	defer func() {
		if err != nil {
			syscall.Close(fd)
			fd = -1
		}
	}()
	timeout := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	tv := syscall.NsecToTimeval(int64(timeout))
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	sa := &syscall.SockaddrInet4{Port: addr.Port}
	copy(sa.Addr[:], addr.IP.To4())
	// The Go runtime's signals interrupt a blocking connect; the attempt
	// goes on, and a later connect reports how it is doing.
	for {
		err = syscall.Connect(fd, sa)
		if err == syscall.EINTR || err == syscall.EALREADY {
			time.Sleep(time.Millisecond)
			continue
		}
		if err == syscall.EISCONN {
			err = nil
		}
		break
	}
	if err != nil {
		return -1, nil, fmt.Errorf("connect %s: %w", u.Host, err)
	}
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n", u.RequestURI(), u.Host, key)
	for name, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&req, "%s: %s\r\n", name, v)
		}
	}
	req.WriteString("\r\n")
	for b := []byte(req.String()); len(b) > 0; {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, nil, err
		}
		b = b[n:]
	}
	br := bufio.NewReaderSize(fdReader(fd), 1024)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return -1, nil, fmt.Errorf("upgrade: %w", err)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return -1, nil, fmt.Errorf("upgrade refused: %s", res.Status)
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		early = append([]byte(nil), b...)
	}
	if err = syscall.SetNonblock(fd, true); err != nil {
		return -1, nil, err
	}
	return fd, early, nil
}

// fdReader reads a blocking descriptor (the handshake only).
type fdReader int

func (r fdReader) Read(b []byte) (int, error) {
	n, err := syscall.Read(int(r), b)
	for err == syscall.EINTR {
		n, err = syscall.Read(int(r), b)
	}
	switch {
	case err != nil:
		return 0, err
	case n == 0:
		return 0, errors.New("connection closed")
	}
	return n, nil
}
