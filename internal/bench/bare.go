//go:build linux

package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// ServeBare runs the comparison broadcaster: coder/websocket's chat example
// pattern (a buffered channel and a writer goroutine per subscriber,
// CloseRead, publish never blocks, slow subscribers closed), with no auth and
// no persistence. GET /subscribe, POST /publish.
func ServeBare(ctx context.Context, addr string) error {
	b := &bare{subs: make(map[*bareSub]struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/subscribe", b.subscribe)
	mux.HandleFunc("/publish", b.publish)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	err = srv.Serve(ln)
	if err == http.ErrServerClosed {
		return nil
	}
	return err
}

type bare struct {
	mu   sync.Mutex
	subs map[*bareSub]struct{}
}

type bareSub struct {
	msgs      chan []byte
	closeSlow func()
}

func (b *bare) subscribe(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ctx := c.CloseRead(context.Background())
	s := &bareSub{msgs: make(chan []byte, 16), closeSlow: func() {
		c.Close(websocket.StatusPolicyViolation, "connection too slow to keep up with messages")
	}}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
		c.CloseNow()
	}()
	for {
		select {
		case msg := <-s.msgs:
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := c.Write(wctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (b *bare) publish(w http.ResponseWriter, r *http.Request) {
	msg, err := io.ReadAll(io.LimitReader(r.Body, 8192))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	for s := range b.subs {
		select {
		case s.msgs <- msg:
		default:
			go s.closeSlow()
		}
	}
	b.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}
