//go:build linux

package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/internal/testutil"
)

// The load generator's raw clients hear every message the bare
// broadcaster (coder/websocket) sends, on every socket.
func TestLeanClientsHearEveryMessage(t *testing.T) {
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ServeBare(ctx, addr)
	b := &bareTarget{child: &child{url: "http://" + addr}, pad: strings.Repeat("x", 120)}
	testutil.Eventually(t, 10*time.Second, "the broadcaster", func() bool {
		res, err := http.Get(b.url + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})
	s := newState()
	p, err := newPoller(s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	const subs, msgs = 40, 25
	var clients []*client
	for i := range subs {
		u, h := b.socket(i)
		fd, early, err := dialWS(ctx, u, h)
		if err != nil {
			t.Fatal(err)
		}
		c := &client{fd: fd}
		if err := p.add(c, early); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	// The broadcaster registers a subscriber after the upgrade; a first
	// message shows when all are in.
	s.want[1].Store(subs)
	testutil.Eventually(t, 30*time.Second, "every subscriber registered", func() bool {
		if err := b.publish(ctx, 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		return s.delivered[1].Load() >= subs
	})
	// One message at a time: the bare broadcaster closes a subscriber whose
	// 16-message buffer overflows, which a burst can do on a loaded machine;
	// what is tested here is the client, not that buffer.
	for k := 2; k <= msgs; k++ {
		if err := b.publish(ctx, k); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 30*time.Second, fmt.Sprintf("message %d on every socket", k), func() bool {
			return s.delivered[k].Load() >= subs
		})
	}
	for k := 2; k <= msgs; k++ {
		if n := s.delivered[k].Load(); n != subs {
			t.Errorf("message %d delivered %d times, want %d", k, n, subs)
		}
	}
}

// A raw client answers the server's pings, reads frames of every length
// encoding (one larger than a read, so it arrives in pieces), and counts a
// close with 1008 as an eviction.
func TestLeanClientPingsLengthsAndEviction(t *testing.T) {
	pinged := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rctx := ws.CloseRead(ctx)
		pinged <- ws.Ping(rctx)
		for k, pad := range []int{10, 200, 100000} {
			msg := fmt.Sprintf(`{"name":"B%d","pad":"%s"}`, k+1, strings.Repeat("p", pad))
			if err := ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				return
			}
		}
		ws.Close(websocket.StatusPolicyViolation, "slow consumer")
	}))
	defer srv.Close()
	s := newState()
	p, err := newPoller(s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	fd, early, err := dialWS(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{fd: fd}
	if err := p.add(c, early); err != nil {
		t.Fatal(err)
	}
	defer c.close()
	select {
	case err := <-pinged:
		if err != nil {
			t.Fatalf("ping not answered: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ping not answered")
	}
	testutil.Eventually(t, 10*time.Second, "the close", func() bool { return c.dead.Load() })
	for k := 1; k <= 3; k++ {
		if n := s.delivered[k].Load(); n != 1 {
			t.Errorf("message %d delivered %d times", k, n)
		}
	}
	if s.evicted.Load() != 1 || s.alive.Load() != 0 {
		t.Fatalf("evicted %d, alive %d; want 1, 0", s.evicted.Load(), s.alive.Load())
	}
}
