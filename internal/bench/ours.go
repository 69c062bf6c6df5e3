//go:build linux

package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// ourTarget drives "crumb serve": one node on a fresh SQLite database, or
// several (a cluster) on a fresh MariaDB database and a Redis database of
// their own. The subscribers are managers of one department, spread over
// the nodes; each publish is a REST PATCH of an employee of that
// department, through one node after another, whose employee.updated event
// goes to the department's managers (outbox, relay, broker, every hub).
type ourTarget struct {
	mu      sync.Mutex
	nodes   []*child // nil while a node is down
	addrs   []string
	exe     string
	env     []string
	dir     string
	dbURL   string
	cleanup func() // drops the MariaDB database and frees the Redis one
	admin   string
	tokens  []string
	target  int64
}

// newOurs starts one embedded node (SQLite, in-process Redis).
func newOurs(ctx context.Context, exe string, users int) (*ourTarget, error) {
	dir, err := dataDir()
	if err != nil {
		return nil, err
	}
	return startOurs(ctx, exe, 1, dir, "sqlite://"+filepath.Join(dir, "crumb.db"), []string{"CRUMB_DATABASE_URL=", "CRUMB_REDIS_URL="}, users, nil)
}

// startOurs starts n nodes on dbURL with env and prepares the department,
// its subscribers and their sessions. cleanup runs when the target stops.
func startOurs(ctx context.Context, exe string, n int, dir, dbURL string, env []string, users int, cleanup func()) (*ourTarget, error) {
	pw := make([]byte, 12)
	rand.Read(pw)
	password := hex.EncodeToString(pw)
	o := &ourTarget{exe: exe, dir: dir, dbURL: dbURL, cleanup: cleanup, env: append([]string{
		"CRUMB_DATA_DIR=" + dir, "CRUMB_DEMO=off", "CRUMB_LOG_LEVEL=warn",
		"CRUMB_ADMIN_EMAIL=admin@bench.test", "CRUMB_ADMIN_PASSWORD=" + password,
	}, env...)}
	o.nodes = make([]*child, n)
	// The first node migrates the database; then the others start.
	for i := range n {
		addr, err := freeAddr()
		if err != nil {
			o.stop()
			return nil, err
		}
		o.addrs = append(o.addrs, addr)
		if err := o.start(ctx, i); err != nil {
			o.stop()
			return nil, err
		}
	}
	if err := o.prepare(ctx, password, users); err != nil {
		o.stop()
		return nil, err
	}
	return o, nil
}

// start starts node i (again) on its address.
func (o *ourTarget) start(ctx context.Context, i int) error {
	addr := o.addrs[i]
	c, err := startChild(ctx, o.exe, addr, []string{"serve", "--addr", addr}, append(o.env, "CRUMB_ADDR="+addr), "/healthz")
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.nodes[i] = c
	o.mu.Unlock()
	return nil
}

// kill ends node i at once, as a crash would.
func (o *ourTarget) kill(i int) {
	o.mu.Lock()
	c := o.nodes[i]
	o.nodes[i] = nil
	o.mu.Unlock()
	if c != nil {
		c.kill()
	}
}

func (o *ourTarget) live() []*child {
	o.mu.Lock()
	defer o.mu.Unlock()
	var cs []*child
	for _, c := range o.nodes {
		if c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

func (o *ourTarget) pids() []int {
	var ps []int
	for _, c := range o.live() {
		ps = append(ps, c.pids()...)
	}
	return ps
}

func (o *ourTarget) stop() {
	for _, c := range o.live() {
		c.stop()
	}
	if o.cleanup != nil {
		o.cleanup()
	}
	os.RemoveAll(o.dir)
}

func (o *ourTarget) hello() []byte { return nil }

func (o *ourTarget) call(ctx context.Context, method, path string, in, out any) error {
	return o.callNode(ctx, o.live()[0], method, path, in, out)
}

// callNode calls the REST API on one node as the admin.
func (o *ourTarget) callNode(ctx context.Context, node *child, method, path string, in, out any) error {
	b, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, method, node.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if o.admin != "" {
		req.Header.Set("Authorization", "Bearer "+o.admin)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("bench: %s %s: %s %s", method, path, res.Status, body)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// prepare signs in the admin and creates the department over REST, then
// inserts the subscribers and their sessions directly (hashing thousands
// of passwords would take minutes and measures nothing of the hub).
func (o *ourTarget) prepare(ctx context.Context, password string, users int) error {
	var login struct{ Token string }
	if err := o.call(ctx, "POST", "/api/v1/auth/login", map[string]string{"email": "admin@bench.test", "password": password}, &login); err != nil {
		return err
	}
	o.admin = login.Token
	var dept struct{ ID int64 }
	if err := o.call(ctx, "POST", "/api/v1/departments", map[string]any{"name": "Bench"}, &dept); err != nil {
		return err
	}
	d, err := db.Open(ctx, o.dbURL, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	sessions := &auth.Sessions{W: outbox.NewWriter(d, nil), TTL: 24 * time.Hour}
	hash := auth.DummyHash()
	return sessions.W.Do(ctx, func(tx *outbox.Tx) error {
		add := func(i int, role string) (int64, error) {
			res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, first_name, last_name, role, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("u%d@bench.test", i), hash, "U", "Bench", role, tx.Now(), tx.Now())
			if err != nil {
				return 0, err
			}
			id, _ := res.LastInsertId()
			_, err = tx.ExecContext(ctx, "INSERT INTO user_departments (user_id, department_id) VALUES (?, ?)", id, dept.ID)
			return id, err
		}
		var err error
		if o.target, err = add(0, string(auth.RoleEmployee)); err != nil {
			return err
		}
		for i := 1; i <= users; i++ {
			id, err := add(i, string(auth.RoleManager))
			if err != nil {
				return err
			}
			tok, err := sessions.Create(ctx, tx, id, "127.0.0.1", "crumb-bench")
			if err != nil {
				return err
			}
			o.tokens = append(o.tokens, tok)
		}
		return nil
	})
}

// socket is subscriber i's socket, on node i mod the nodes.
func (o *ourTarget) socket(i int) (string, http.Header) {
	return o.socketOn(i%len(o.addrs), i)
}

// socketOn is subscriber i's socket on node n.
func (o *ourTarget) socketOn(n, i int) (string, http.Header) {
	return "ws://" + o.addrs[n] + "/api/v1/ws", http.Header{"Authorization": {"Bearer " + o.tokens[i%len(o.tokens)]}}
}

// publish sends publish k through one live node after another.
func (o *ourTarget) publish(ctx context.Context, k int) error {
	live := o.live()
	if len(live) == 0 {
		return errors.New("bench: no node is up")
	}
	return o.callNode(ctx, live[k%len(live)], "PATCH", fmt.Sprintf("/api/v1/employees/%d", o.target), map[string]any{"first_name": fmt.Sprintf("B%d", k)}, nil)
}
