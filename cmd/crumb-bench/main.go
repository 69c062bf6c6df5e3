//go:build linux

// Command crumb-bench is the WebSocket hub's load generator: it starts
// "crumb serve" and a bare coder/websocket broadcaster as child processes on
// loopback, opens sockets, publishes through the REST API and prints a table.
// It is a separate binary so that no benchmark code ships in crumb, and it is
// Linux-only (its subscribers wait on epoll).
//
//	go run ./cmd/crumb-bench hub [--crumb PATH] [--quick]
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

const usage = "Usage: crumb-bench hub [--crumb PATH] [--quick] [--sockets N,...] [--latency N,...]\n"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "hub":
		return runHub(ctx, args, stdout, stderr)
	case "bare-server":
		fs := flag.NewFlagSet("crumb-bench bare-server", flag.ContinueOnError)
		fs.SetOutput(stderr)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return bench.ServeBare(ctx, *addr)
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
	quick := fs.Bool("quick", false, "a small run (hundreds of sockets) to check the setup")
	mem := fs.String("sockets", "", "comma-separated socket counts at which server RSS is read (default 1000,5000,15000)")
	lat := fs.String("latency", "", "comma-separated subscriber counts for the latency phase (default 1000,10000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *crumb == "" {
		dir, err := os.MkdirTemp("", "crumb-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*crumb = filepath.Join(dir, "crumb")
		build := exec.CommandContext(ctx, "go", "build", "-o", *crumb, "./cmd/crumb")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("crumb-bench hub: build ./cmd/crumb (run from the repository, or pass --crumb): %w", err)
		}
	}
	o := bench.DefaultOptions(*crumb, self)
	if *quick {
		o.MemSteps, o.LatencyNs, o.ThroughputN, o.Publishes, o.Duration = []int{100, 200, 400}, []int{100, 300}, 100, 20, 2*time.Second
	}
	for _, f := range []struct {
		name, v string
		to      *[]int
	}{{"--sockets", *mem, &o.MemSteps}, {"--latency", *lat, &o.LatencyNs}} {
		if f.v == "" {
			continue
		}
		ns, err := counts(f.v)
		if err != nil {
			return fmt.Errorf("crumb-bench hub: %s %q: %w", f.name, f.v, err)
		}
		*f.to = ns
	}
	return bench.RunHub(ctx, stdout, o)
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
