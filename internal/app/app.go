// Package app is the composition root: it builds every component from the
// configuration and starts and stops them in order. Only this package knows
// every adapter.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/audit"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/cloud/secrets"
	"github.com/crumbcommander/crumb/internal/comms"
	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/idem"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/internal/relay"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/migrations"
)

// App holds the long-lived components of one process.
type App struct {
	Cfg   *config.Config
	Log   *slog.Logger
	Clock func() time.Time

	DB        *db.DB
	Redis     redis.UniversalClient
	RedisOpt  asynq.RedisConnOpt
	redisDB   int
	miniredis *miniredis.Miniredis
	Metrics   *prometheus.Registry

	Writer     *outbox.Writer
	Sessions   *auth.Sessions
	People     *people.Service
	Roster     *roster.Service
	Audit      *audit.Service
	Idem       *idem.Store
	Bakery     *bakery.Service
	Attendance *attendance.Service
	Labor      *labor.Service
	Fleet      *Fleet
	Push       *push.Service
	Comms      *comms.Service

	routerOnce sync.Once
	router     http.Handler
	// Broker carries events between nodes: memory when Redis is in-process,
	// Redis pub/sub otherwise. Relay feeds it (and the worker queues) after
	// every commit; Hub serves the sockets.
	Broker hub.Broker
	Relay  *relay.Relay
	Hub    *hub.Hub
	// HubOptions tune the hub (tests shorten the intervals); set before Serve.
	HubOptions hub.Options
	tasks      *asynq.Client
}

// Option changes how New builds the app.
type Option func(*App)

// WithClock makes clock the time source of every component the app builds
// (domain services, outbox, relay, worker, report sources, mailbox, blob
// links, ops hook); tests pass a fake clock. The default is time.Now.
func WithClock(clock func() time.Time) Option {
	return func(a *App) { a.Clock = clock }
}

// New opens the database and Redis, migrates the schema and builds the
// domain services. Close releases what it opened.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	a := &App{Cfg: cfg, Log: log, Clock: time.Now, Metrics: prometheus.NewRegistry()}
	for _, o := range opts {
		o(a)
	}
	if err := a.open(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openPush(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) open(ctx context.Context) error {
	dbURL := a.Cfg.DatabaseURL
	if dbURL == "" {
		dbURL = "sqlite://" + absPath(a.Cfg.SQLitePath())
	}
	creds, err := a.dbCredentials(ctx)
	if err != nil {
		return fmt.Errorf("app: database secret: %w", err)
	}
	if f := a.Cfg.DatabaseCAFile; f != "" {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("app: CRUMB_DATABASE_CA_FILE: %w", err)
		}
	}
	d, err := db.Open(ctx, dbURL, db.Options{Credentials: creds, CAFile: a.Cfg.DatabaseCAFile})
	if err != nil {
		return fmt.Errorf("app: database: %w", err)
	}
	a.DB = d
	if applied, err := d.Migrate(ctx, migrations.FS); err != nil {
		return fmt.Errorf("app: migrate: %w", err)
	} else if len(applied) > 0 {
		a.Log.Info("migrations applied", "versions", applied, "dialect", d.Dialect)
	}
	if err := a.openRedis(ctx); err != nil {
		return err
	}
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(d.DB, string(d.Dialect)), hubCollector{a})

	a.Writer = outbox.NewWriter(d, a.Clock)
	a.Sessions = &auth.Sessions{W: a.Writer, TTL: a.Cfg.SessionTTL}
	a.People = &people.Service{W: a.Writer, Sessions: a.Sessions, Limiter: &auth.LoginLimiter{R: a.Redis, Clock: a.Clock},
		Passwords: a.Cfg.PasswordHashing}
	a.Roster = &roster.Service{W: a.Writer, People: a.People, Weeks: roster.NewWeekCache()}
	a.People.Leaving = a.Roster.ReleaseShifts
	a.People.Rezone = a.Roster.RezoneTimeOff
	a.Comms = &comms.Service{W: a.Writer, People: a.People}
	a.Roster.OnPublish = a.Comms.RecordPublish
	// This node's writes reach the week cache before they answer; other
	// nodes' through the hub (StartRealtime).
	a.Writer.SetCommitHook(a.Roster.Weeks.Committed)
	a.Audit = &audit.Service{DB: d}
	a.Idem = &idem.Store{DB: d, Clock: a.Clock}
	a.Bakery = bakery.New(a.Writer, a.People, a.Redis)
	a.Attendance = attendance.New(a.Writer, a.People, attendance.SQLShifts{}, a.Redis)
	a.Labor = &labor.Service{W: a.Writer, People: a.People}
	a.Roster.Labor = a.Labor

	if a.miniredis != nil {
		a.Broker = hub.NewMemoryBroker()
	} else {
		rb := hub.NewRedisBroker(a.Redis, a.Log)
		// Pub/sub ignores the logical database; scope the channel to it so
		// that stores sharing one Redis do not hear each other.
		rb.Channel = fmt.Sprintf("%s:%d", hub.DefaultRedisChannel, a.redisDB)
		a.Broker = rb
	}
	a.tasks = asynq.NewClient(a.RedisOpt)
	a.Relay = (&relay.Relay{Broker: a.Broker, Events: outbox.Reader{DB: d}, Sequence: a.Writer.Sequence, Enqueuer: a.tasks, Log: a.Log, Clock: a.Clock}).Init()
	a.Writer.SetNotifier(a.Relay)
	return a.openFleet(ctx)
}

// openRedis connects to CRUMB_REDIS_URL, or starts an in-process Redis
// (miniredis, with TTLs that follow the clock) that the real go-redis and
// asynq code talks to over TCP. With CRUMB_REDIS_AUTH_SECRET_ID every new
// connection (the app's client, pub/sub, asynq) authenticates with the
// cached token and fetches it again when Redis refuses it (rotation).
func (a *App) openRedis(ctx context.Context) error {
	var opt *redis.Options
	if a.Cfg.RedisURL == "" {
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true)
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("app: in-process redis: %w", err)
		}
		a.miniredis = m
		opt = &redis.Options{Addr: m.Addr()}
	} else {
		var err error
		if opt, err = redis.ParseURL(a.Cfg.RedisURL); err != nil {
			return fmt.Errorf("app: CRUMB_REDIS_URL: %w", err)
		}
		s, err := a.redisSecret(ctx)
		if err != nil {
			return fmt.Errorf("app: CRUMB_REDIS_AUTH_SECRET_ID: %w", err)
		}
		if s != nil {
			// The dialer sends AUTH; go-redis then starts on an
			// authenticated connection and needs no password of its own.
			// NewDialer reads DialTimeout now (its TLS dial ignores ctx),
			// before go-redis would fill in the default.
			if opt.DialTimeout == 0 {
				opt.DialTimeout = redisDialTimeout
			}
			opt.Dialer = secrets.RedisDialer(s, opt.Username, secrets.DialFunc(redis.NewDialer(opt)))
			opt.Username, opt.Password = "", ""
		}
	}
	// Honour each request's deadline, so a Redis that accepts but never
	// answers costs the caller a 503 after the request timeout, not a hang.
	opt.ContextTimeoutEnabled = true
	a.Redis = redis.NewClient(opt)
	a.RedisOpt = redisConnOpt{opt}
	a.redisDB = opt.DB
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Redis.Ping(pingCtx).Err(); err != nil {
		if _, ok := errors.AsType[*secrets.RedisAuthError](err); ok {
			return fmt.Errorf("app: redis refused the token in CRUMB_REDIS_AUTH_SECRET_ID, also after fetching it again: %w", err)
		}
		return fmt.Errorf("app: redis: %w", err)
	}
	return nil
}

// redisDialTimeout is go-redis's default dial timeout.
const redisDialTimeout = 5 * time.Second

// redisConnOpt gives asynq (client, server, inspector) clients built from
// the app's Redis options, so they authenticate like the app's own client.
type redisConnOpt struct{ opt *redis.Options }

// MakeRedisClient implements asynq.RedisConnOpt.
func (o redisConnOpt) MakeRedisClient() any { return redis.NewClient(o.opt) }

// Ready reports whether the database and Redis answer.
func (a *App) Ready(ctx context.Context) error {
	return errors.Join(a.DB.PingContext(ctx), a.Redis.Ping(ctx).Err())
}

// Close releases the database and Redis.
func (a *App) Close() {
	if a.tasks != nil {
		a.tasks.Close()
	}
	if a.Fleet != nil {
		a.Fleet.close()
	}
	if a.Redis != nil {
		a.Redis.Close()
	}
	if a.miniredis != nil {
		a.miniredis.Close()
	}
	if a.DB != nil {
		a.DB.Close()
	}
}

// Bootstrap prepares an empty database: the store row and, when no admin
// exists yet, the admin from CRUMB_ADMIN_EMAIL (demo data is seedDemo's).
// crumb serve and crumb migrate run it; it never changes an existing admin.
func (a *App) Bootstrap(ctx context.Context) error {
	if err := a.People.EnsureStore(ctx, "CrumbCommander Demo Store", a.Cfg.Timezone); err != nil {
		return err
	}
	password, err := a.adminPassword(ctx)
	if err != nil {
		return err
	}
	created, err := a.People.BootstrapAdmin(ctx, a.Cfg.AdminEmail, password)
	if err != nil {
		return err
	}
	if created {
		a.Log.Info("bootstrap admin created", "email", a.Cfg.AdminEmail)
	}
	return nil
}

// adminPassword is the bootstrap admin's password: CRUMB_ADMIN_PASSWORD, or
// the secret CRUMB_ADMIN_PASSWORD_SECRET_ID names (a bare string or JSON with
// a "password" field), as the CloudFormation stack generates it.
func (a *App) adminPassword(ctx context.Context) (string, error) {
	if a.Cfg.AdminSecretID == "" {
		return a.Cfg.AdminPassword, nil
	}
	s, err := a.secret(ctx, a.Cfg.AdminSecretID)
	if err != nil {
		return "", fmt.Errorf("app: CRUMB_ADMIN_PASSWORD_SECRET_ID: %w", err)
	}
	p, err := secrets.Password(ctx, s)
	if err != nil {
		return "", fmt.Errorf("app: CRUMB_ADMIN_PASSWORD_SECRET_ID: %w", err)
	}
	return p, nil
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// hubCollector exports the hub's counters (hub.Stats) at scrape time.
type hubCollector struct{ a *App }

var (
	descWSSockets = prometheus.NewDesc("crumb_ws_sockets", "Open WebSocket connections on this node.", nil, nil)
	descWSSent    = prometheus.NewDesc("crumb_ws_frames_sent_total", "Frames written to WebSocket clients by this node.", nil, nil)
	descWSEvicted = prometheus.NewDesc("crumb_ws_evicted_total", "Slow WebSocket clients closed with 1008 by this node.", nil, nil)
	descWSHead    = prometheus.NewDesc("crumb_ws_head_seq", "Highest event seq this node has fanned out.", nil, nil)
	descWSTimeout = prometheus.NewDesc("crumb_ws_write_timeouts_total", "WebSocket clients closed by this node because a write outlasted the write timeout.", nil, nil)
)

func (c hubCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descWSSockets
	ch <- descWSSent
	ch <- descWSEvicted
	ch <- descWSTimeout
	ch <- descWSHead
}

func (c hubCollector) Collect(ch chan<- prometheus.Metric) {
	if c.a.Hub == nil { // "crumb worker", or before StartRealtime
		return
	}
	st := c.a.Hub.Stats()
	ch <- prometheus.MustNewConstMetric(descWSSockets, prometheus.GaugeValue, float64(st.Conns))
	ch <- prometheus.MustNewConstMetric(descWSSent, prometheus.CounterValue, float64(st.Sent))
	ch <- prometheus.MustNewConstMetric(descWSEvicted, prometheus.CounterValue, float64(st.Evicted))
	ch <- prometheus.MustNewConstMetric(descWSTimeout, prometheus.CounterValue, float64(st.TimedOut))
	ch <- prometheus.MustNewConstMetric(descWSHead, prometheus.GaugeValue, float64(st.Head))
}
