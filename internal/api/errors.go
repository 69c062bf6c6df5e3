package api

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
)

var errNotFoundRoute = apperr.New(apperr.NotFound, "no such endpoint")

type errorBody struct {
	Error *apperr.Error `json:"error"`
}

// fail renders err in the error shape of docs/api.md. Typed errors go out
// as they are; anything else is logged once here, with the request id, and becomes a
// bare 500 carrying that id.
func (s *Server) fail(c *gin.Context, err error) {
	e, ok := apperr.As(err)
	if !ok {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			e = apperr.New(apperr.TooLarge, "the request body is larger than %d bytes", BodyLimit)
		case errors.Is(c.Request.Context().Err(), context.Canceled) && errors.Is(err, context.Canceled):
			// The client went away; nothing useful to send or log.
			c.Abort()
			return
		case dependencyDown(err) || errors.Is(c.Request.Context().Err(), context.DeadlineExceeded):
			// Whatever the driver made of it, a request that ran out
			// its deadline was waiting on the database or Redis.
			s.Log.Warn("dependency unavailable", "request_id", requestIDOf(c), "method", c.Request.Method,
				"route", c.FullPath(), "err", err)
			e = &apperr.Error{Code: apperr.Unavailable, RetryAfter: unavailableRetry,
				Message: "the service cannot reach its database or cache right now; try again shortly"}
		default:
			s.Log.Error("request failed", "request_id", requestIDOf(c), "method", c.Request.Method,
				"route", c.FullPath(), "err", err)
			e = apperr.New(apperr.Internal, "something went wrong on our side; it has been logged")
		}
	}
	out := *e
	out.RequestID = requestIDOf(c)
	if out.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int((out.RetryAfter+999_999_999)/1_000_000_000)))
	}
	c.AbortWithStatusJSON(out.Status(), errorBody{Error: &out})
}

// unavailableRetry is the Retry-After sent with a 503 for an unreachable
// dependency: about the time a restarted database or Redis needs.
const unavailableRetry = 5 * time.Second

// dependencyDown reports whether err means the database or Redis could not
// be reached in time (refused, reset, timed out, the request's deadline, a
// bad pooled connection), as opposed to a bug. This is the one place such
// errors become 503 unavailable.
func dependencyDown(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, redis.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), // the server closed the connection mid-answer
		db.IsRetryable(err), // busy, locked or deadlocked past the retries and the deadline
		errors.As(err, &ne):
		return true
	}
	return false
}

func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || strings.HasPrefix(p, "/hooks/")
}
