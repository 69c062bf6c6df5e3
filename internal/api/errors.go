package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
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
		case errors.Is(err, c.Request.Context().Err()) && c.Request.Context().Err() != nil:
			// The client went away; nothing useful to send or log.
			c.Abort()
			return
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

func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || strings.HasPrefix(p, "/hooks/")
}
