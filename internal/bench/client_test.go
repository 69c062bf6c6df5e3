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

// Both kinds of client, 50 sockets each on the hub alone, hear every
// message once.
func TestClientsOnTheHubHearEveryMessage(t *testing.T) {
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeHub(ctx, addr, true) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("hub server: %v", err)
		}
	}()
	tg := &hubTarget{child: &child{url: "http://" + addr}, pad: strings.Repeat("x", 120)}
	testutil.Eventually(t, 30*time.Second, "the hub server", func() bool {
		res, err := http.Get(tg.url + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})
	const subs, msgs = 50, 10
	for i, kind := range []string{Ordinary, Lean} {
		t.Run(kind, func(t *testing.T) {
			s := newState()
			ss, err := newSockets(s, tg, kind)
			if err != nil {
				t.Fatal(err)
			}
			defer ss.close()
			if err := ss.open(ctx, subs); err != nil {
				t.Fatal(err)
			}
			// The hub registers a socket just after its upgrade: a first
			// message, published until every socket has it, shows when all
			// are in.
			base := i * (msgs + 1)
			s.want[base+1].Store(subs)
			testutil.Eventually(t, 30*time.Second, "every socket registered", func() bool {
				if err := tg.publish(ctx, base+1); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
				return s.delivered[base+1].Load() >= subs
			})
			for k := base + 2; k <= base+msgs+1; k++ {
				s.want[k].Store(subs)
				if err := tg.publish(ctx, k); err != nil {
					t.Fatal(err)
				}
				testutil.Eventually(t, 30*time.Second, fmt.Sprintf("message %d on every socket", k), func() bool {
					return s.delivered[k].Load() >= subs
				})
			}
			time.Sleep(50 * time.Millisecond)
			for k := base + 2; k <= base+msgs+1; k++ {
				if n := s.delivered[k].Load(); n != subs {
					t.Errorf("message %d delivered %d times, want %d", k, n, subs)
				}
			}
			if s.evicted.Load() != 0 || s.alive.Load() != subs {
				t.Errorf("evicted %d, alive %d; want 0, %d", s.evicted.Load(), s.alive.Load(), subs)
			}
		})
	}
}

// A client answers Centrifugo's ping ({}), counts a subscription from the
// subscribe command's reply, and reads every publication of a message that
// batches several, one a line.
func TestTextReadsCentrifugoMessages(t *testing.T) {
	s := newState()
	c := &client{}
	if reply := s.text(c, []byte(`{"id":1,"connect":{"client":"x"}}`+"\n"+`{"id":2,"subscribe":{}}`)); reply != nil {
		t.Errorf("reply to the connect and subscribe answers: %q", reply)
	}
	if !c.ready || s.ready.Load() != 1 {
		t.Fatalf("ready %v (%d), want the subscription counted", c.ready, s.ready.Load())
	}
	s.want[3].Store(1)
	batch := `{"push":{"channel":"dept1","pub":{"data":{"data":{"name":"B3 Bench"}}}}}` + "\n" +
		`{"push":{"channel":"dept1","pub":{"data":{"data":{"name":"B4 Bench"}}}}}`
	if reply := s.text(c, []byte(batch)); reply != nil {
		t.Errorf("reply to publications: %q", reply)
	}
	if s.delivered[3].Load() != 1 || s.delivered[4].Load() != 1 {
		t.Errorf("delivered %d and %d, want 1 and 1", s.delivered[3].Load(), s.delivered[4].Load())
	}
	if reply := s.text(c, []byte(`{}`)); string(reply) != `{}` {
		t.Errorf("reply to a ping: %q, want {}", reply)
	}
}
