//go:build linux

// Command crumb-bench is the WebSocket hub's load generator: it starts
// "crumb serve", Centrifugo and a bare coder/websocket broadcaster as child
// processes on loopback, opens sockets with a lean and an ordinary client,
// publishes and prints tables; "cluster" runs several serve nodes on MariaDB
// and Redis. It is a separate binary so that no benchmark code ships in
// crumb, and it is Linux-only (its lean subscribers wait on epoll).
//
//	go run ./cmd/crumb-bench hub [--crumb PATH] [--centrifugo PATH] [--runs 5] [--quick]
//	go run ./cmd/crumb-bench cluster [--nodes 1,2,3] [--mysql URL] [--redis ADDR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crumbcommander/crumb/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = `Usage:
  crumb-bench hub [--crumb PATH] [--centrifugo PATH | --no-centrifugo] [--clients lean,ordinary]
                  [--servers crumb,centrifugo,bare] [--runs N] [--quick] [--sockets N,...] [--latency N,...]
  crumb-bench cluster [--crumb PATH] [--nodes 1,2,3] [--latency N,...] [--runs N] [--quick]
                  [--mysql URL] [--redis HOST:PORT]
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "hub":
		return runHub(ctx, args, stdout, stderr)
	case "cluster":
		return runCluster(ctx, args, stdout, stderr)
	case "bare-server":
		fs := flag.NewFlagSet("crumb-bench bare-server", flag.ContinueOnError)
		fs.SetOutput(stderr)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return bench.ServeBare(ctx, *addr)
	case "hub-server":
		fs := flag.NewFlagSet("crumb-bench hub-server", flag.ContinueOnError)
		fs.SetOutput(stderr)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		guards := fs.Bool("guards", true, "sessions that expire and the per-person socket cap")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return bench.ServeHub(ctx, *addr, *guards)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("crumb-bench: unknown benchmark %q", sub)
	}
}

func runHub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("crumb-bench hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	crumb := fs.String("crumb", "", "the crumb binary to measure (default: built from ./cmd/crumb into a temporary folder)")
	centrifugo := fs.String("centrifugo", "", "the centrifugo binary (default: centrifugo on PATH; install: "+bench.CentrifugoInstall+")")
	noCentrifugo := fs.Bool("no-centrifugo", false, "leave Centrifugo out")
	quick := fs.Bool("quick", false, "a small run (hundreds of sockets, one run) to check the setup")
	runs := fs.Int("runs", 0, "full runs of every server with every client (default 5)")
	clients := fs.String("clients", "", "comma-separated client kinds: lean, ordinary (default both)")
	servers := fs.String("servers", "", "comma-separated servers: crumb, centrifugo, bare, and hub, hub-open (the hub alone with and without session expiry and socket cap) (default crumb,centrifugo,bare)")
	mem := fs.String("sockets", "", "comma-separated socket counts at which server RSS is read (default 1000,5000,15000)")
	lat := fs.String("latency", "", "comma-separated subscriber counts for the latency phase (default 1000,10000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o := bench.DefaultOptions("", self)
	if err := lists(map[string]*[]string{"--clients": &o.Clients, "--servers": &o.Servers}, map[string]string{"--clients": *clients, "--servers": *servers}); err != nil {
		return err
	}
	if !*noCentrifugo && slices.Contains(o.Servers, "centrifugo") {
		if o.Centrifugo, err = bench.FindCentrifugo(*centrifugo); err != nil {
			return err
		}
	}
	if slices.Contains(o.Servers, "crumb") {
		bin, cleanup, err := crumbBinary(ctx, *crumb, stderr)
		if err != nil {
			return err
		}
		defer cleanup()
		o.Crumb = bin
	}
	if *quick {
		o.Runs, o.MemSteps, o.LatencyNs, o.ThroughputN, o.Publishes, o.Duration = 1, []int{100, 200, 400}, []int{100, 300}, 100, 20, 2*time.Second
	}
	if *runs > 0 {
		o.Runs = *runs
	}
	if err := sizes(map[string]*[]int{"--sockets": &o.MemSteps, "--latency": &o.LatencyNs}, map[string]string{"--sockets": *mem, "--latency": *lat}); err != nil {
		return err
	}
	return bench.RunHub(ctx, stdout, o)
}

func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("crumb-bench cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	crumb := fs.String("crumb", "", "the crumb binary to measure (default: built from ./cmd/crumb into a temporary folder)")
	quick := fs.Bool("quick", false, "a small run (hundreds of sockets, one run) to check the setup")
	runs := fs.Int("runs", 0, "runs of every node count (default 5)")
	nodes := fs.String("nodes", "", "comma-separated node counts (default 1,2,3)")
	lat := fs.String("latency", "", "comma-separated subscriber counts in total (default 1000,10000)")
	mysql := fs.String("mysql", bench.DefaultMySQLURL, "MariaDB server; the benchmark creates and drops a crumb_test_bench_* database on it")
	redisAddr := fs.String("redis", bench.DefaultRedisAddr, "Redis server; the benchmark claims a free logical database the way the tests do")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, cleanup, err := crumbBinary(ctx, *crumb, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	o := bench.DefaultClusterOptions(bin)
	o.MySQL, o.Redis = *mysql, *redisAddr
	if *quick {
		o.Runs, o.LatencyNs, o.Publishes, o.KillPublishes = 1, []int{100, 300}, 20, 40
	}
	if *runs > 0 {
		o.Runs = *runs
	}
	if err := sizes(map[string]*[]int{"--nodes": &o.Nodes, "--latency": &o.LatencyNs}, map[string]string{"--nodes": *nodes, "--latency": *lat}); err != nil {
		return err
	}
	return bench.RunCluster(ctx, stdout, o)
}

// crumbBinary is path, or crumb built from ./cmd/crumb into a temporary
// folder that cleanup removes.
func crumbBinary(ctx context.Context, path string, stderr io.Writer) (bin string, cleanup func(), err error) {
	if path != "" {
		return path, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "crumb-bench-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "crumb")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/crumb")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("crumb-bench: build ./cmd/crumb (run from the repository, or pass --crumb): %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// lists sets each flag's comma-separated names, when given.
func lists(to map[string]*[]string, vals map[string]string) error {
	for name, v := range vals {
		if v == "" {
			continue
		}
		var xs []string
		for _, part := range strings.Split(v, ",") {
			xs = append(xs, strings.TrimSpace(part))
		}
		*to[name] = xs
	}
	return nil
}

// sizes sets each flag's comma-separated counts, when given.
func sizes(to map[string]*[]int, vals map[string]string) error {
	for name, v := range vals {
		if v == "" {
			continue
		}
		ns, err := counts(v)
		if err != nil {
			return fmt.Errorf("crumb-bench: %s %q: %w", name, v, err)
		}
		*to[name] = ns
	}
	return nil
}

// counts parses "1000,5000" into socket counts between 1 and 20000.
func counts(v string) ([]int, error) {
	var ns []int
	for _, part := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 20000 {
			return nil, errors.New("want socket counts from 1 to 20000, comma-separated")
		}
		ns = append(ns, n)
	}
	return ns, nil
}
