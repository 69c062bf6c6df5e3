//go:build linux

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/migrations"
)

// ServeHub runs the hub alone (no REST, no sign-in, no relay): an outbox
// on SQLite in a temporary folder, the memory broker and a hub. GET
// /ws?user=N opens a socket as manager N of department 1; POST /publish
// commits its body as the data of an employee.updated event on dept:1.
// With guards, each socket carries a session that expires in a day (one
// timer per socket) and a person may hold 10 sockets (hub's default);
// without, no expiry and no practical cap. The two measure what the guards
// cost.
func ServeHub(ctx context.Context, addr string, guards bool) error {
	dir, err := dataDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(dir, "crumb.db"), db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, migrations.FS); err != nil {
		return err
	}
	broker := hub.NewMemoryBroker()
	o := hub.Options{Store: outbox.Reader{DB: d}, Broker: broker}
	if !guards {
		o.MaxPerPerson = 1 << 30
	}
	h := hub.New(o)
	w := outbox.NewWriter(d, nil)
	w.SetNotifier(brokerNotifier{broker})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	select {
	case <-h.Started():
	case err := <-ran:
		return fmt.Errorf("bench: hub: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/ws", func(rw http.ResponseWriter, r *http.Request) {
		uid, err := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
		if err != nil || uid <= 0 {
			http.Error(rw, "user", http.StatusBadRequest)
			return
		}
		p := auth.Principal{UserID: uid, SessionID: uid, Role: auth.RoleManager, DeptIDs: []int64{1}}
		if guards {
			p.Expires = time.Now().Add(24 * time.Hour)
		}
		up := hub.NewUpgrade(rw)
		ws, err := websocket.Accept(up, r, nil)
		if err != nil {
			return
		}
		h.Serve(r.Context(), ws, up, p, 0, false)
	})
	mux.HandleFunc("/publish", func(rw http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(io.LimitReader(r.Body, 8192))
		if err != nil || !json.Valid(data) {
			http.Error(rw, "body", http.StatusBadRequest)
			return
		}
		err = w.Do(r.Context(), func(tx *outbox.Tx) error {
			tx.EmitManagers(outbox.DeptTopic(1), "employee.updated", json.RawMessage(data))
			return nil
		})
		if err != nil {
			http.Error(rw, err.Error(), http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	err = srv.Serve(ln)
	cancel()
	if rerr := <-ran; rerr != nil && err == http.ErrServerClosed {
		err = rerr
	}
	if err == http.ErrServerClosed {
		return nil
	}
	return err
}

// brokerNotifier publishes committed events straight to the broker (the
// relay's fast path, without its sweep and tasks).
type brokerNotifier struct{ b hub.Broker }

func (n brokerNotifier) Committed(evs []outbox.Event) { n.b.Publish(context.Background(), evs) }

// hubTarget drives ServeHub (run as "crumb-bench hub-server").
type hubTarget struct {
	*child
	pad string
}

func newHubServer(ctx context.Context, exe string, guards bool) (*hubTarget, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c, err := startChild(ctx, exe, addr, []string{"hub-server", "--addr", addr, "--guards=" + strconv.FormatBool(guards)}, nil, "/healthz")
	if err != nil {
		return nil, err
	}
	return &hubTarget{child: c, pad: strings.Repeat("x", 120)}, nil
}

func (t *hubTarget) socket(i int) (string, http.Header) {
	return wsURL(t.url) + "/ws?user=" + strconv.Itoa(i+1), nil
}

func (t *hubTarget) hello() []byte { return nil }

// publish commits data shaped and sized like our employee.updated.
func (t *hubTarget) publish(ctx context.Context, k int) error {
	body := fmt.Sprintf(`{"id":2,"name":"B%d Bench","role":"employee","department_ids":[1],"active":true,"resubscribe":false,"pad":"%s"}`, k, t.pad[:20])
	req, _ := http.NewRequestWithContext(ctx, "POST", t.url+"/publish", strings.NewReader(body))
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
