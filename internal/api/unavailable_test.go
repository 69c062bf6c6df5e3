package api

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// TestUnreachableDependencyIs503 drives real Redis clients at a port that
// refuses and at one that accepts but never answers: both requests end as
// 503 unavailable with Retry-After, the second bounded by the request
// deadline; a plain bug stays 500.
func TestUnreachableDependencyIs503(t *testing.T) {
	// A listener that accepts and never answers (a blackholed dependency).
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	// A port nothing listens on (a refused dependency).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()

	var s *Server
	ping := func(addr string) gin.HandlerFunc {
		return func(c *gin.Context) {
			rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true, Protocol: 2})
			defer rdb.Close()
			if err := rdb.Ping(c.Request.Context()).Err(); err != nil {
				s.fail(c, err)
				return
			}
			c.Status(http.StatusNoContent)
		}
	}
	s = &Server{Deps: Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RequestTimeout: 300 * time.Millisecond}}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	g := r.Group("/api/v1", s.deadline)
	g.GET("/refused", ping(refused))
	g.GET("/blackhole", ping(hole.Addr().String()))
	g.GET("/badconn", func(c *gin.Context) { s.fail(c, fmt.Errorf("store: %w", driver.ErrBadConn)) })
	g.GET("/bug", func(c *gin.Context) { s.fail(c, errors.New("nil map")) })

	for _, tc := range []struct {
		desc, path string
		want       int
	}{
		{"connection refused", "/api/v1/refused", http.StatusServiceUnavailable},
		{"accepts, never answers", "/api/v1/blackhole", http.StatusServiceUnavailable},
		{"bad pooled connection", "/api/v1/badconn", http.StatusServiceUnavailable},
		{"a bug", "/api/v1/bug", http.StatusInternalServerError},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			w := httptest.NewRecorder()
			start := time.Now()
			r.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
			t.Logf("%s: %d in %v", tc.desc, w.Code, time.Since(start))
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
}
