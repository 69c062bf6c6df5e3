package api

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/idem"
)

// captureWriter keeps a copy of the response for the idempotency store.
type captureWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) WriteString(s string) (int, error) {
	w.buf.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

// idempotency replays the first response of a POST sent again with the same
// Idempotency-Key by the same user, and refuses the key with another body.
func (s *Server) idempotency(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key")
	if c.Request.Method != http.MethodPost || key == "" {
		c.Next()
		return
	}
	if len(key) > idem.MaxKeyLen {
		s.fail(c, apperr.New(apperr.BadRequest, "Idempotency-Key is longer than %d characters", idem.MaxKeyLen))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	p := principal(c)
	ctx := c.Request.Context()
	res, done, err := s.Idem.Begin(ctx, p.UserID, key, idem.Hash(c.Request.Method, c.Request.URL.Path, body))
	if err != nil {
		s.fail(c, err)
		return
	}
	if done {
		c.Header("Idempotent-Replayed", "true")
		c.Data(res.Status, jsonContentType, res.Body)
		c.Abort()
		return
	}
	cw := &captureWriter{ResponseWriter: c.Writer}
	c.Writer = cw
	c.Next()
	status := cw.Status()
	if status >= 500 || status == http.StatusTooManyRequests || status == http.StatusConflict {
		// The work may be retried: forget the key.
		if err := s.Idem.Abandon(ctx, p.UserID, key); err != nil {
			s.Log.Error("idempotency abandon", "request_id", requestIDOf(c), "err", err)
		}
		return
	}
	if err := s.Idem.Finish(ctx, p.UserID, key, idem.Result{Status: status, Body: cw.buf.Bytes()}); err != nil {
		s.Log.Error("idempotency finish", "request_id", requestIDOf(c), "err", err)
	}
}
