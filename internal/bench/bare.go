//go:build linux

package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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

// bareTarget drives ServeBare.
type bareTarget struct {
	*child
	pad string
}

func newBare(ctx context.Context, exe string) (*bareTarget, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c, err := startChild(ctx, exe, addr, []string{"bare-server", "--addr", addr}, nil, "/healthz")
	if err != nil {
		return nil, err
	}
	return &bareTarget{child: c, pad: strings.Repeat("x", 120)}, nil
}

func (b *bareTarget) socket(int) (string, http.Header) { return wsURL(b.url) + "/subscribe", nil }

func (b *bareTarget) hello() []byte { return nil }

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
