package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/api"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/ops"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/web"
	"github.com/crumbcommander/crumb/worker"
)

// Router returns the HTTP handler of this process, built on first use.
// KeepAliveTimeout is how long an idle client connection stays open. It must
// be longer than the load balancer's idle timeout (3600 s in edge.yaml, for
// WebSockets): otherwise the app closes a kept-alive connection just as the
// load balancer reuses it, and the client gets a 502.
const KeepAliveTimeout = 3660 * time.Second

func (a *App) Router() http.Handler {
	a.routerOnce.Do(func() { a.router = a.buildRouter() })
	return a.router
}

func (a *App) buildRouter() http.Handler {
	proxies := make([]string, len(a.Cfg.TrustedProxies))
	for i, p := range a.Cfg.TrustedProxies {
		proxies[i] = p.String()
	}
	metrics := a.Metrics
	if a.Cfg.MetricsAddr != "" {
		metrics = nil // served on its own listener
	}
	r, _ := api.NewRouter(api.Deps{
		People: a.People, Roster: a.Roster, Sessions: a.Sessions, Audit: a.Audit, Idem: a.Idem, Hub: a.Hub,
		Bakery: a.Bakery, Attendance: a.Attendance, Push: a.Push, Comms: a.Comms, Labor: a.Labor,
		Ready: a.Ready, Metrics: metrics, Web: web.Handler(),
		BaseURL: a.Cfg.BaseURL, TrustedProxies: proxies, SecureCookies: a.Cfg.SecureCookies(),
		SessionTTL: a.Cfg.SessionTTL, RequestTimeout: a.Cfg.RequestTimeout, Log: a.Log, Clock: a.Clock,
		Reports: a.Fleet.Reports, Notify: a.Fleet.Notify, Mailbox: a.Fleet.Mailbox,
		Queues: &ops.Queues{Inspector: a.Fleet.Inspector}, SNSHook: a.Fleet.SNSHook, Files: a.Fleet.Files,
	})
	return r
}

// Handlers builds the worker's task handlers.
func (a *App) Handlers() *worker.Handlers {
	return &worker.Handlers{Deps: worker.Deps{
		Log: a.Log, Clock: a.Clock, Sessions: a.Sessions, Idem: a.Idem,
		Events: outbox.Reader{DB: a.DB},
		Retention: func(ctx context.Context) (int, error) {
			st, err := a.People.GetStore(ctx)
			return st.EventRetentionDays, err
		},
		Store: a.People.GetStore, Writer: a.Writer, Notify: a.Fleet.Notify, Mail: a.Fleet.Mail,
		BaseURL: a.Cfg.BaseURL.String(), Queue: a.Fleet.Tasks, Inspector: a.Fleet.Inspector,
		Reports: a.Fleet.Reports, Metrics: a.Fleet.Metrics, Drain: a.Fleet.drain,
		Shifts:   worker.RosterShifts{Roster: a.Roster},
		ClockIns: a.clockIns(),
		Gauges:   a.gauges(),
		Push:     a.Push,
		Comms:    a.Comms,
		SMS:      a.Fleet.SMS,
	}}
}

// Drain tells this node's WebSocket clients to reconnect elsewhere and
// closes their sockets, waiting at most until ctx ends. SIGTERM (via Serve)
// and the Auto Scaling termination hook call it.
func (a *App) Drain(ctx context.Context) error {
	if a.Hub == nil {
		return nil
	}
	return a.Hub.Drain(ctx)
}

// StartRealtime starts the WebSocket hub and the outbox relay. Call it
// before Router, so that the router serves sockets. The returned stop
// function (safe to call twice) stops the relay, which publishes what it
// still holds, and then the hub.
func (a *App) StartRealtime() (stop func(), err error) {
	opts := a.HubOptions
	opts.Store, opts.Broker, opts.Log = outbox.Reader{DB: a.DB}, a.Broker, a.Log
	opts.Observe = a.Roster.Weeks.Observe              // other nodes' writes
	opts.Clock = func() time.Time { return a.Clock() } // sessions expire by the services' clock
	if opts.MaxPerPerson == 0 {
		opts.MaxPerPerson = a.Cfg.WSMaxPerPerson
	}
	a.Hub = hub.New(opts)
	a.Hub.Handle(bakery.EventCount, a.Bakery.HandleSocketCount)
	hubCtx, stopHub := context.WithCancel(context.Background())
	hubDone := make(chan error, 1)
	go func() { hubDone <- a.Hub.Run(hubCtx) }()
	select {
	case <-a.Hub.Started():
	case err := <-hubDone:
		stopHub()
		return nil, fmt.Errorf("app: hub: %w", err)
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		a.Relay.Run(relayCtx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			stopRelay()
			<-relayDone
			stopHub()
			<-hubDone
		})
	}, nil
}

// Serve runs the HTTP server, the WebSocket hub and the outbox relay (and,
// with embedded workers, the asynq worker) until ctx ends, then shuts down
// in order: drain the sockets, stop accepting requests and let running ones
// finish, stop the relay (it publishes what is queued), stop the hub, then
// stop the worker.
func (a *App) Serve(ctx context.Context, withWorker bool, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("app: listen %s: %w", a.Cfg.Addr, err)
	}
	stopRealtime, err := a.StartRealtime()
	if err != nil {
		ln.Close()
		return err
	}
	defer stopRealtime()
	srv := &http.Server{
		Handler:           a.Router(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       KeepAliveTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("app: http: %w", err)
		}
	}()
	var metricsSrv *http.Server
	if a.Cfg.MetricsAddr != "" {
		metricsSrv = &http.Server{Addr: a.Cfg.MetricsAddr, Handler: a.metricsHandler(), ReadHeaderTimeout: 5 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := metricsSrv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("app: metrics: %w", err)
			}
		}()
	}
	workerDone := make(chan struct{})
	workerCtx, stopWorker := context.WithCancel(context.Background())
	if withWorker && a.miniredis != nil {
		if err := a.resumeEmbedded(ctx); err != nil {
			errc <- err
		}
	}
	if withWorker {
		go func() {
			defer close(workerDone)
			if err := worker.Run(workerCtx, a.RedisOpt, a.Handlers(), a.Cfg.WorkerConc, a.Cfg.ShutdownTimeout, a.taskCheckInterval()); err != nil {
				errc <- err
			}
		}()
	} else {
		close(workerDone)
		if a.Fleet.Metrics != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker.PublishGauges(runCtx, a.Fleet.Metrics, a.gauges(), a.Clock, a.Log)
			}()
		}
	}
	a.watchLifecycle(runCtx, stop, &wg, true, withWorker)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case <-runCtx.Done():
	case err = <-errc:
	}
	a.Log.Info("shutting down", "timeout", a.Cfg.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownTimeout)
	defer cancel()
	// 1. Tell socket clients to reconnect elsewhere; refuse new sockets.
	// (http.Server.Shutdown does not wait for hijacked connections.)
	if derr := a.Drain(shutCtx); derr != nil {
		a.Log.Warn("hub drain incomplete", "err", derr)
	}
	// 2. Stop accepting HTTP requests; let running ones finish.
	if serr := srv.Shutdown(shutCtx); serr != nil {
		srv.Close()
	}
	if metricsSrv != nil {
		metricsSrv.Shutdown(shutCtx)
	}
	// 3. Stop the relay (it publishes what the fast path still holds), then
	// the hub (it cuts any socket the drain left).
	stopRealtime()
	// 4. Stop the worker: it finishes or hands back its running tasks.
	stopWorker()
	<-workerDone
	stop() // ends the node's own loops (lifecycle, gauges) when an error brought us here
	wg.Wait()
	return err
}

// Work runs only the asynq worker (crumb worker) until ctx ends.
func (a *App) Work(ctx context.Context) error {
	var metricsSrv *http.Server
	if a.Cfg.MetricsAddr != "" {
		metricsSrv = &http.Server{Addr: a.Cfg.MetricsAddr, Handler: a.metricsHandler(), ReadHeaderTimeout: 5 * time.Second}
		go metricsSrv.ListenAndServe()
		defer metricsSrv.Close()
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	a.watchLifecycle(ctx, stop, &wg, false, true)
	// Events the worker's tasks commit are relayed from here too (the sweep
	// of the serving nodes would otherwise pick them up later).
	relayDone := make(chan struct{})
	relayCtx, stopRelay := context.WithCancel(context.Background())
	go func() {
		defer close(relayDone)
		a.Relay.Run(relayCtx)
	}()
	defer func() { stopRelay(); <-relayDone }()
	return worker.Run(ctx, a.RedisOpt, a.Handlers(), a.Cfg.WorkerConc, a.Cfg.ShutdownTimeout, a.taskCheckInterval())
}

// taskCheckInterval is how often this node's idle worker polls its Redis.
func (a *App) taskCheckInterval() time.Duration {
	if a.miniredis != nil {
		return worker.EmbeddedTaskCheckInterval
	}
	return worker.TaskCheckInterval
}
