//go:build linux

package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/db"
)

// Where the cluster runs find MariaDB and Redis by default: the servers
// scripts/test starts, with its password-less test user.
const (
	DefaultMySQLURL  = "mysql://crumbtest@127.0.0.1:3306/"
	DefaultRedisAddr = "127.0.0.1:6379"
)

// ClusterOptions size "crumb-bench cluster".
type ClusterOptions struct {
	Crumb         string
	MySQL         string // server URL; a crumb_test_bench_* database is made and dropped
	Redis         string // host:port; a free logical database is claimed
	Nodes         []int  // node counts to run
	Runs          int
	Client        string // Lean or Ordinary, for the latency phases
	LatencyNs     []int  // subscribers in total, spread over the nodes
	Publishes     int
	Interval      time.Duration
	KillN         int // subscribers during the kill phase (ordinary clients that reconnect)
	KillPublishes int
}

// DefaultClusterOptions is the run the docs' table comes from.
func DefaultClusterOptions(crumb string) ClusterOptions {
	return ClusterOptions{Crumb: crumb, MySQL: DefaultMySQLURL, Redis: DefaultRedisAddr, Nodes: []int{1, 2, 3}, Runs: 5,
		Client: Ordinary, LatencyNs: []int{1000, 10000}, Publishes: 100, Interval: 50 * time.Millisecond, KillN: 1000, KillPublishes: 200}
}

// clusterResult is one run of one node count.
type clusterResult struct {
	lat  map[int][3]time.Duration
	lost map[int]int
	kill *killResult // two nodes or more
}

// killResult is the kill phase: a node is killed mid-run and restarted;
// its clients reconnect to the others with since.
type killResult struct {
	subs, published, reconnects, missing, dupes int
	p99, max                                    time.Duration
}

// RunCluster runs every node count o.Runs times and prints the table.
func RunCluster(ctx context.Context, out io.Writer, o ClusterOptions) error {
	raiseFileLimit(out)
	users := max(slices.Max(o.LatencyNs), o.KillN) + 1
	res := map[int][]*clusterResult{}
	for r := 1; r <= o.Runs; r++ {
		for _, n := range o.Nodes {
			fmt.Fprintf(out, "run %d/%d, %d serve node(s) on MariaDB and Redis, %s client (load average %s):\n", r, o.Runs, n, o.Client, loadAvg())
			tg, err := newCluster(ctx, o, n, users)
			if err != nil {
				return err
			}
			cr, err := runClusterOnce(ctx, out, tg, o, n)
			tg.stop()
			if err != nil {
				return fmt.Errorf("bench: %d nodes: %w", n, err)
			}
			res[n] = append(res[n], cr)
		}
	}
	printClusterTable(out, o, res)
	fmt.Fprintf(out, "load average at the end: %s\n", loadAvg())
	return nil
}

func runClusterOnce(ctx context.Context, out io.Writer, tg *ourTarget, o ClusterOptions, n int) (*clusterResult, error) {
	cr := &clusterResult{lat: map[int][3]time.Duration{}, lost: map[int]int{}}
	ss, err := newSockets(newState(), tg, o.Client)
	if err != nil {
		return nil, err
	}
	k := 0
	for _, subs := range o.LatencyNs {
		lat, lost, err := ss.latency(ctx, out, o.Publishes, o.Interval, subs, &k)
		if err != nil {
			ss.close()
			return nil, err
		}
		cr.lat[subs], cr.lost[subs] = lat, lost
	}
	ss.close()
	if n >= 2 && o.KillPublishes > 0 {
		if cr.kill, err = killPhase(ctx, out, tg, o, n); err != nil {
			return nil, err
		}
	}
	return cr, nil
}

// killPhase opens o.KillN ordinary clients that reconnect, with since, to
// the next node when their socket is cut; publishes one message at a time
// through the live nodes; kills the last node a quarter of the way in and
// restarts it half way; then counts what each socket missed.
func killPhase(ctx context.Context, out io.Writer, tg *ourTarget, o ClusterOptions, n int) (*killResult, error) {
	s := newState()
	ss, err := newSockets(s, tg, Ordinary)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	ss.redialFor = func(i int) func(context.Context, int64) (*websocket.Conn, error) {
		return func(ctx context.Context, since int64) (*websocket.Conn, error) {
			for attempt := 1; ctx.Err() == nil; attempt++ {
				u, h := tg.socketOn((i+attempt)%n, i)
				if since > 0 {
					u += "?since=" + strconv.FormatInt(since, 10)
				}
				dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				ws, _, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPHeader: h})
				cancel()
				if err == nil {
					return ws, nil
				}
				// Backoff with full jitter, as the web app does.
				select {
				case <-time.After(time.Duration(mrand.Int64N(int64(min(attempt, 10)) * int64(50*time.Millisecond)))):
				case <-ctx.Done():
				}
			}
			return nil, ctx.Err()
		}
	}
	if err := ss.open(ctx, o.KillN); err != nil {
		return nil, err
	}
	subs := int32(s.alive.Load())
	// A first publish that every socket hears, so that each has a seq to
	// resume from.
	k := 1
	s.want[k].Store(subs)
	if err := tg.publish(ctx, k); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); s.delivered[k].Load() < subs; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench: the first publish reached %d of %d sockets", s.delivered[k].Load(), subs)
		}
	}
	victim := n - 1
	killAt, restartAt := o.KillPublishes/4, o.KillPublishes/2
	restarted := make(chan error, 1)
	s.record.Store(true)
	for j := 1; j <= o.KillPublishes; j++ {
		switch j {
		case killAt:
			tg.kill(victim)
			fmt.Fprintf(out, "  killed node %d (SIGKILL) before publish %d\n", victim+1, j)
		case restartAt:
			go func() { restarted <- tg.start(ctx, victim) }()
			fmt.Fprintf(out, "  restarting node %d before publish %d\n", victim+1, j)
		}
		k++
		s.want[k].Store(subs)
		s.t0[k].Store(time.Now().UnixNano())
		if err := tg.publish(ctx, k); err != nil {
			return nil, err
		}
		time.Sleep(o.Interval)
	}
	if restartAt >= 1 {
		if err := <-restarted; err != nil {
			return nil, fmt.Errorf("bench: restart node %d: %w", victim+1, err)
		}
	}
	// Everything should arrive: wait for it (or 30 s).
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s.delivered[k].Load() >= subs && missingFrom(s, 2, k, subs) == 0 {
			break
		}
	}
	s.record.Store(false)
	kr := &killResult{subs: int(subs), published: k - 1, reconnects: int(s.reconnects.Load()),
		missing: missingFrom(s, 2, k, subs), dupes: int(s.dupes.Load())}
	var all []int64
	for _, c := range ss.clients {
		c.mu.Lock()
		all = append(all, c.lats...)
		c.mu.Unlock()
	}
	slices.Sort(all)
	if len(all) > 0 {
		kr.p99 = time.Duration(all[min(len(all)-1, len(all)*99/100)])
		kr.max = time.Duration(all[len(all)-1])
	}
	fmt.Fprintf(out, "  kill phase: %d sockets, %d publishes, %d reconnects, %d deliveries missing, %d duplicates; p99 %v, max %v\n",
		kr.subs, kr.published, kr.reconnects, kr.missing, kr.dupes, kr.p99, kr.max)
	return kr, nil
}

// missingFrom counts the deliveries of publishes from..to that some
// subscriber has not had.
func missingFrom(s *state, from, to int, subs int32) int {
	n := 0
	for j := from; j <= to; j++ {
		n += int(max(0, subs-s.delivered[j].Load()))
	}
	return n
}

// newCluster starts n serve nodes on a fresh MariaDB database and a
// Redis database of their own.
func newCluster(ctx context.Context, o ClusterOptions, n, users int) (*ourTarget, error) {
	base, err := url.Parse(o.MySQL)
	if err != nil {
		return nil, fmt.Errorf("bench: --mysql: %w", err)
	}
	cfg := db.MySQLConfig(base)
	cfg.DBName = ""
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	admin := sql.OpenDB(conn)
	b := make([]byte, 6)
	rand.Read(b)
	name := "crumb_test_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		return nil, fmt.Errorf("bench: create a MariaDB database at %s (scripts/test makes the crumbtest user): %w", base.Host, err)
	}
	rdb, release, err := claimRedisDB(ctx, o.Redis)
	if err != nil {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		admin.Close()
		return nil, err
	}
	cleanup := func() {
		release()
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		admin.Close()
	}
	u := *base
	u.Path = "/" + name
	dir, err := dataDir()
	if err != nil {
		cleanup()
		return nil, err
	}
	return startOurs(ctx, o.Crumb, n, dir, u.String(), []string{
		"CRUMB_DATABASE_URL=" + u.String(), fmt.Sprintf("CRUMB_REDIS_URL=redis://%s/%d", o.Redis, rdb),
	}, users, cleanup)
}

// claimRedisDB claims a logical database the way the tests do (a lock key
// in database 0, so that no test or other run uses it meanwhile), flushes
// it, and returns its number and the function that flushes and frees it.
func claimRedisDB(ctx context.Context, addr string) (int, func(), error) {
	lock := redis.NewClient(&redis.Options{Addr: addr})
	b := make([]byte, 8)
	rand.Read(b)
	token := hex.EncodeToString(b)
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for n := 1; n < 16; n++ {
			key := fmt.Sprintf("crumb:testlock:%d", n)
			ok, err := lock.SetNX(ctx, key, token, time.Hour).Result()
			if err != nil {
				lock.Close()
				return 0, nil, fmt.Errorf("bench: Redis at %s: %w", addr, err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: addr, DB: n})
			c.FlushDB(ctx)
			return n, func() {
				c.FlushDB(context.Background())
				c.Close()
				if v, _ := lock.Get(context.Background(), key).Result(); v == token {
					lock.Del(context.Background(), key)
				}
				lock.Close()
			}, nil
		}
	}
	lock.Close()
	return 0, nil, errors.New("bench: no free Redis database")
}

// printClusterTable prints every figure as min / median / max over the
// runs, per node count, with the median as a ratio of one node's.
func printClusterTable(out io.Writer, o ClusterOptions, res map[int][]*clusterResult) {
	head := []string{fmt.Sprintf("measure (%s client, %d runs)", o.Client, o.Runs)}
	for _, n := range o.Nodes {
		head = append(head, fmt.Sprintf("%d node(s)", n))
	}
	ref := o.Nodes[0]
	for _, n := range o.Nodes[1:] {
		head = append(head, fmt.Sprintf("%d/%d", n, ref))
	}
	cells := [][]string{head}
	add := func(name string, prec int, ratio bool, get func(*clusterResult) (float64, bool)) {
		line := []string{name}
		meds := map[int]float64{}
		for _, n := range o.Nodes {
			var xs []float64
			for _, r := range res[n] {
				if v, ok := get(r); ok {
					xs = append(xs, v)
				}
			}
			if len(xs) == 0 {
				line = append(line, "-")
				continue
			}
			sp := spreadOf(xs)
			meds[n] = sp.med
			line = append(line, sp.format(prec))
		}
		for _, n := range o.Nodes[1:] {
			if !ratio || meds[ref] == 0 || meds[n] == 0 {
				line = append(line, "")
				continue
			}
			line = append(line, fmt.Sprintf("%.2fx", meds[n]/meds[ref]))
		}
		cells = append(cells, line)
	}
	for _, subs := range o.LatencyNs {
		for i, nm := range []string{"p50", "p99", "max"} {
			add(fmt.Sprintf("publish→delivery %s, N=%d (ms)", nm, subs), 2, true, func(r *clusterResult) (float64, bool) {
				return float64(r.lat[subs][i]) / 1e6, true
			})
		}
		add(fmt.Sprintf("deliveries missing, N=%d", subs), 0, false, func(r *clusterResult) (float64, bool) { return float64(r.lost[subs]), true })
	}
	kill := func(name string, prec int, get func(*killResult) float64) {
		add(name, prec, false, func(r *clusterResult) (float64, bool) {
			if r.kill == nil {
				return 0, false
			}
			return get(r.kill), true
		})
	}
	kill("kill phase: sockets", 0, func(k *killResult) float64 { return float64(k.subs) })
	kill("kill phase: publishes", 0, func(k *killResult) float64 { return float64(k.published) })
	kill("kill phase: reconnects", 0, func(k *killResult) float64 { return float64(k.reconnects) })
	kill("kill phase: deliveries missing", 0, func(k *killResult) float64 { return float64(k.missing) })
	kill("kill phase: duplicates", 0, func(k *killResult) float64 { return float64(k.dupes) })
	kill("kill phase: publish→delivery p99 (ms)", 1, func(k *killResult) float64 { return float64(k.p99) / 1e6 })
	kill("kill phase: publish→delivery max (ms)", 1, func(k *killResult) float64 { return float64(k.max) / 1e6 })
	fmt.Fprintln(out)
	printCells(out, cells)
	fmt.Fprintln(out, "\nmin / median / max over the runs; ratios are of the medians. Subscribers are spread over the nodes")
	fmt.Fprintln(out, "(socket i on node i mod n); publishes go through one node after another (REST PATCH → MariaDB outbox →")
	fmt.Fprintln(out, "that node's relay → Redis pub/sub → every node's hub). In the kill phase the last node is killed")
	fmt.Fprintln(out, "(SIGKILL) a quarter of the way in and restarted half way; its clients reconnect to the next node with since.")
}
