package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/demo"
)

const usage = `crumb: CrumbCommander, a real-time workforce scheduling hub for retail stores.

Usage:
  crumb              everything in one process on embedded defaults (SQLite, in-process Redis and worker)
  crumb serve        the HTTP API and WebSocket hub (and the worker, when Redis is in-process)
  crumb worker       the background worker (asynq)
  crumb migrate      apply database migrations and exit
  crumb seed --demo  load the demo store into an empty database
  crumb unhealthy    mark this EC2 instance unhealthy in its Auto Scaling group

Configuration comes from CRUMB_* environment variables (see README.md).
Run "crumb <command> --help" for the flags of a command.
`

// Run is the whole command line: it parses args and runs one command.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := ""
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || !strings.HasPrefix(args[0], "-")) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "":
		fs := newFlags("crumb", "Runs everything in one process on embedded defaults.", stderr)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return runServe(ctx, fs, stdout, getenv, true)
	case "serve":
		fs := newFlags("crumb serve", "Serves the HTTP API and the WebSocket hub.", stderr)
		addr := fs.String("addr", "", "listen address (overrides CRUMB_ADDR)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *addr != "" {
			getenv = override(getenv, "CRUMB_ADDR", *addr)
		}
		return runServe(ctx, fs, stdout, getenv, false)
	case "worker":
		fs := newFlags("crumb worker", "Runs the background worker (asynq) until SIGTERM.", stderr)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return withApp(ctx, getenv, func(a *App) error { return a.Work(ctx) })
	case "migrate":
		fs := newFlags("crumb migrate", "Applies database migrations, provisions the app's MySQL user (CRUMB_DB_APP_SECRET_ID)\nand the first admin (CRUMB_ADMIN_EMAIL), and exits. Safe to run on several instances at once.", stderr)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return withApp(ctx, getenv, func(a *App) error {
			v, err := a.DB.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "schema version %d (%s)\n", v, a.DB.Dialect)
			user, err := a.EnsureAppUser(ctx)
			if user != "" {
				fmt.Fprintf(stdout, "app user %s: %s on this database\n", user, db.AppPrivileges)
			}
			if err != nil {
				return err
			}
			// The store and the first admin (CRUMB_ADMIN_EMAIL), so that a new
			// installation can be signed in to before any crumb serve starts.
			return a.Bootstrap(ctx)
		})
	case "unhealthy":
		fs := newFlags("crumb unhealthy", "Marks this EC2 instance unhealthy, so that its Auto Scaling group replaces it.\ncrumb-unhealthy.service runs it when crumb-serve or crumb-worker gave up restarting.", stderr)
		if err := fs.Parse(args); err != nil {
			return err
		}
		cfg, err := config.Load(getenv)
		if err != nil {
			return err
		}
		id, err := MarkUnhealthy(ctx, cfg)
		switch {
		case err != nil:
			return err
		case id == "":
			fmt.Fprintln(stdout, "not on EC2 (no instance id): nothing to mark")
		default:
			fmt.Fprintf(stdout, "instance %s marked unhealthy\n", id)
		}
		return nil
	case "seed":
		fs := newFlags("crumb seed", "Loads demo data into an empty database.", stderr)
		demoFlag := fs.Bool("demo", false, "load the demo store (required)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if !*demoFlag {
			fs.Usage()
			return errors.New("crumb seed: say --demo")
		}
		return withApp(ctx, getenv, func(a *App) error {
			if err := a.Bootstrap(ctx); err != nil {
				return err
			}
			return a.seedDemo(ctx, stdout, true)
		})
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("crumb: unknown command %q", cmd)
	}
}

func newFlags(name, about string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s [flags]\n\n%s\nConfiguration comes from CRUMB_* environment variables (see README.md).\n", name, about)
		fs.PrintDefaults()
	}
	return fs
}

func override(getenv func(string) string, key, val string) func(string) string {
	return func(k string) string {
		if k == key {
			return val
		}
		return getenv(k)
	}
}

// NewLogger builds the process logger from the configuration.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func withApp(ctx context.Context, getenv func(string) string, fn func(*App) error) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	a, err := New(ctx, cfg, NewLogger(cfg, os.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func runServe(ctx context.Context, _ *flag.FlagSet, stdout io.Writer, getenv func(string) string, allInOne bool) error {
	return withApp(ctx, getenv, func(a *App) error {
		if err := a.Bootstrap(ctx); err != nil {
			return err
		}
		seed := a.Cfg.Demo == "on" || (a.Cfg.Demo == "auto" && a.Cfg.Embedded())
		if seed {
			if err := a.seedDemo(ctx, stdout, false); err != nil {
				return err
			}
		}
		// Only this process can reach an in-process Redis, so it must also work.
		withWorker := allInOne || a.Cfg.RedisURL == ""
		return a.Serve(ctx, withWorker, func(addr string) {
			fmt.Fprintf(stdout, "CrumbCommander is running at %s (listening on %s)\n", a.Cfg.BaseURL, addr)
		})
	})
}

// demoLoginsFile keeps the generated demo password beside the SQLite file,
// readable by its owner only, so that every start can print the sign-ins.
const demoLoginsFile = "demo-logins.txt"

// seedDemo loads the demo store when the database is empty (or says why
// not, when explicit), and prints the demo sign-ins.
func (a *App) seedDemo(ctx context.Context, stdout io.Writer, explicit bool) error {
	path := filepath.Join(a.Cfg.DataDir, demoLoginsFile)
	empty, err := demo.IsEmpty(ctx, a.People)
	if err != nil {
		return err
	}
	if !empty {
		if b, err := os.ReadFile(path); err == nil {
			fmt.Fprint(stdout, string(b))
		} else if explicit {
			return errors.New("crumb seed: the database already has people; demo data goes only into an empty one")
		}
		return nil
	}
	password := getenvDefault("CRUMB_DEMO_PASSWORD", demo.NewPassword())
	res, err := demo.Seed(ctx, a.People, password)
	if err != nil {
		return err
	}
	if err := demo.SeedShifts(ctx, a.Roster, res, a.Clock()); err != nil {
		return err
	}
	if err := demo.SeedPINs(ctx, a.Attendance, res); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Demo sign-ins (password for all: %s):\n", res.Password)
	for _, l := range res.Logins {
		line := fmt.Sprintf("  %-9s %-40s %-10s", l.Role, l.Email, l.Department)
		if l.PIN != "" {
			line += " PIN " + l.PIN
		}
		fmt.Fprintln(&b, strings.TrimRight(line, " "))
	}
	fmt.Fprintln(&b, "  (the kiosk sign-in clocks people in with the PINs shown)")
	fmt.Fprint(stdout, b.String())
	if err := os.MkdirAll(a.Cfg.DataDir, 0o750); err == nil {
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			a.Log.Warn("could not save demo sign-ins", "err", err)
		}
	}
	return nil
}

func getenvDefault(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
