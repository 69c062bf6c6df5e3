package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/outbox"
)

const requestIDKey = "crumb.request_id"

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID gives every request an id (kept from a well-formed X-Request-Id
// of a proxy), returns it in the response and attaches it, with the client
// IP, to the context for the audit log.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !requestIDRe.MatchString(id) {
		b := make([]byte, 12)
		rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Request = c.Request.WithContext(outbox.WithOrigin(c.Request.Context(), outbox.Origin{IP: c.ClientIP(), RequestID: id}))
	c.Next()
}

func requestIDOf(c *gin.Context) string { return c.GetString(requestIDKey) }

// recover turns a panic into a logged 500 without a stack trace on the wire.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.Log.Error("panic", "request_id", requestIDOf(c), "route", c.FullPath(), "panic", r)
			if !c.Writer.Written() {
				e := apperr.New(apperr.Internal, "something went wrong on our side; it has been logged")
				e.RequestID = requestIDOf(c)
				c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: e})
			}
		}
	}()
	c.Next()
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; "+
		"form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if s.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	if isAPIPath(c.Request.URL.Path) {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// DefaultRequestTimeout bounds an API request when Deps.RequestTimeout is
// zero. Every SQL and Redis call runs under the request's context, so a
// database or Redis that accepts but never answers costs at most this long
// before the caller gets 503 unavailable (see dependencyDown).
const DefaultRequestTimeout = 5 * time.Second

// deadline puts the request timeout on the request's context. The WebSocket
// route is long-lived and bounds its own calls, so it is left alone.
func (s *Server) deadline(c *gin.Context) {
	if c.Request.URL.Path == "/api/v1/ws" {
		c.Next()
		return
	}
	d := s.RequestTimeout
	if d <= 0 {
		d = DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), d)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// limitBody caps request bodies at BodyLimit; bind turns the overflow into 413.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > BodyLimit {
		s.fail(c, apperr.New(apperr.TooLarge, "the request body is larger than %d bytes", BodyLimit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, BodyLimit)
	c.Next()
}

// csrfCheck refuses cross-origin unsafe requests from browsers (Go's
// CrossOriginProtection: Sec-Fetch-Site, then Origin against Host). Requests
// authenticated by a Bearer header carry no ambient credentials and pass.
func (s *Server) csrfCheck(c *gin.Context) {
	if bearerToken(c) == "" {
		if err := s.csrf.Check(c.Request); err != nil {
			s.fail(c, apperr.New(apperr.Forbidden, "cross-origin request refused"))
			return
		}
	}
	c.Next()
}

type httpMetrics struct {
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "crumb_http_request_duration_seconds",
		Help:    "HTTP request latency by route, method and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method", "status"})}
	reg.MustRegister(m.duration)
	return m
}

// observe logs every request with its id and records latency by route and status.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	elapsed := time.Since(start)
	s.Log.Info("request", "request_id", requestIDOf(c), "method", c.Request.Method, "route", route,
		"status", c.Writer.Status(), "duration_ms", elapsed.Milliseconds(), "ip", c.ClientIP())
	if s.metrics != nil {
		s.metrics.duration.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Observe(elapsed.Seconds())
	}
}

func (s *Server) metricsHandler(c *gin.Context) {
	promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}).ServeHTTP(c.Writer, c.Request)
}
