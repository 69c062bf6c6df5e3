// Package api is the Gin router of /api/v1: middleware (request ids, errors,
// security headers, CSRF, body limits, authentication, idempotency, metrics)
// and one file per resource. Handlers parse, call one domain method and
// render; rules and SQL live in the domain packages.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/audit"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/comms"
	"github.com/crumbcommander/crumb/internal/idem"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/ops"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/roster"
)

// Deps are the domain services the router calls. internal/app builds them.
type Deps struct {
	People   *people.Service
	Roster   *roster.Service
	Sessions *auth.Sessions
	Audit    *audit.Service
	Idem     *idem.Store
	// Bakery is the bakery's sheets and catalogue (required).
	Bakery *bakery.Service
	// Attendance is clock in/out, kiosk PINs and the live floor (required).
	Attendance *attendance.Service
	// Push is the VAPID key and the push subscriptions (required).
	Push *push.Service
	// Comms is announcements and schedule acknowledgements.
	Comms *comms.Service
	// Labor is wages, labor cost, timesheets and payroll.
	Labor *labor.Service
	// Hub serves GET /api/v1/ws; nil answers 503 there.
	Hub *hub.Hub
	// Ready reports whether the database and Redis answer.
	Ready func(ctx context.Context) error
	// Metrics is the registry /metrics serves; nil disables /metrics on this router.
	Metrics *prometheus.Registry
	// Web serves the browser app for paths outside /api; nil serves nothing.
	Web http.Handler

	// Worker fleet; each nil part is simply not mounted.
	Reports *reports.Service
	Notify  *notify.Store
	Mailbox *mail.DevBox // the dev mailbox (mail driver "dev")
	Queues  *ops.Queues  // admins' queue view
	SNSHook SNSHook      // POST /hooks/sns
	Files   http.Handler // GET /files/... signed report downloads (dir storage)

	BaseURL        *url.URL
	TrustedProxies []string
	SecureCookies  bool
	SessionTTL     time.Duration
	// RequestTimeout bounds each API request (and so its SQL and Redis
	// calls); zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	Log            *slog.Logger
	Clock          func() time.Time
}

// Server holds the router's dependencies.
type Server struct {
	Deps
	csrf    *http.CrossOriginProtection
	metrics *httpMetrics
}

// BodyLimit is the largest request body accepted.
const BodyLimit = 1 << 20

// SNSHook handles an Amazon SNS message body (ops.Hook); its errors are
// rendered like every other route's.
type SNSHook interface {
	Handle(ctx context.Context, body []byte) error
}

// NewRouter builds the Gin engine with every route of the API
// (docs/openapi.yaml describes each one). A nil Bakery, Attendance or Push
// is a wiring mistake and panics here, so a missing route can never pass
// for a feature this server lacks.
func NewRouter(d Deps) (*gin.Engine, *Server) {
	if d.Bakery == nil || d.Attendance == nil || d.Push == nil {
		panic("api: NewRouter needs Bakery, Attendance and Push")
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Server{Deps: d, csrf: http.NewCrossOriginProtection()}
	if d.BaseURL != nil {
		origin := d.BaseURL.Scheme + "://" + d.BaseURL.Host
		if err := s.csrf.AddTrustedOrigin(origin); err != nil {
			d.Log.Warn("csrf trusted origin refused", "origin", origin, "err", err)
		}
	}
	if d.Metrics != nil {
		s.metrics = newHTTPMetrics(d.Metrics)
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	// A path with a trailing slash is not an API path: 404 in the error
	// shape, not gin's 301 with an HTML body.
	r.RedirectTrailingSlash = false
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Log.Warn("trusted proxies refused", "err", err)
	}
	r.Use(s.requestID, s.recover, s.observe, s.securityHeaders)
	r.NoRoute(s.noRoute)

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	if d.Metrics != nil {
		r.GET("/metrics", s.metricsHandler)
	}

	v1 := r.Group("/api/v1", s.deadline, s.limitBody, s.csrfCheck)
	v1.POST("/auth/login", s.login)
	s.mountICalFeed(v1)

	authed := v1.Group("", s.authenticate, s.idempotency)
	authed.POST("/auth/logout", s.logout)
	s.mountMe(authed)
	s.mountStore(authed)
	s.mountDepartments(authed)
	s.mountEmployees(authed)
	s.mountAudit(authed)
	s.mountPush(authed)
	s.mountShifts(authed)
	s.mountSchedules(authed)
	s.mountTimeOff(authed)
	s.mountSwaps(authed)
	s.mountAvailability(authed)
	s.mountICalToken(authed)
	s.mountWS(v1)
	s.mountWorkerRoutes(r, authed)
	s.mountBakery(authed)
	s.mountAttendance(authed)
	s.mountComms(v1, authed)
	s.mountLabor(authed)
	return r, s
}

func (s *Server) noRoute(c *gin.Context) {
	// HEAD answers like GET (net/http drops the body), so link checkers and
	// uptime probes that use HEAD see the app's pages rather than 404.
	m := c.Request.Method
	if s.Web != nil && (m == http.MethodGet || m == http.MethodHead) && !isAPIPath(c.Request.URL.Path) {
		s.Web.ServeHTTP(c.Writer, c.Request)
		return
	}
	s.fail(c, errNotFoundRoute)
}
