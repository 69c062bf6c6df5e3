//go:build linux

package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// ourTarget drives "crumb serve" on a fresh SQLite database. The
// subscribers are managers of one department; each publish is a REST PATCH
// of an employee of that department, whose employee.updated event goes to
// the department's managers (through the outbox, relay, broker and hub).
type ourTarget struct {
	*child
	dir    string
	admin  string
	tokens []string
	target int64
}

func newOurs(ctx context.Context, exe string, users int) (*ourTarget, error) {
	dir, err := dataDir()
	if err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	password := hex.EncodeToString(pw)
	c, err := startChild(ctx, exe, []string{"serve"}, []string{
		"CRUMB_DATA_DIR=" + dir, "CRUMB_DEMO=off", "CRUMB_LOG_LEVEL=warn",
		"CRUMB_ADMIN_EMAIL=admin@bench.test", "CRUMB_ADMIN_PASSWORD=" + password,
		"CRUMB_DATABASE_URL=", "CRUMB_REDIS_URL=",
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	o := &ourTarget{child: c, dir: dir}
	if err := o.prepare(ctx, password, users); err != nil {
		o.stop()
		return nil, err
	}
	return o, nil
}

func (o *ourTarget) stop() {
	o.child.stop()
	os.RemoveAll(o.dir)
}

func (o *ourTarget) call(ctx context.Context, method, path string, in, out any) error {
	b, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, method, o.url+path, bytes.NewReader(b))
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
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(o.dir, "crumb.db"), db.Options{})
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

func (o *ourTarget) socket(i int) (string, http.Header) {
	return wsURL(o.url) + "/api/v1/ws", http.Header{"Authorization": {"Bearer " + o.tokens[i%len(o.tokens)]}}
}

func (o *ourTarget) publish(ctx context.Context, k int) error {
	return o.call(ctx, "PATCH", fmt.Sprintf("/api/v1/employees/%d", o.target), map[string]any{"first_name": fmt.Sprintf("B%d", k)}, nil)
}
