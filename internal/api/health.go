package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
)

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 only when the database and Redis answer, so that a load
// balancer stops sending traffic to a node that cannot serve it.
func (s *Server) readyz(c *gin.Context) {
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			s.Log.Warn("not ready", "err", err)
			s.fail(c, apperr.New(apperr.Unavailable, "a dependency is not answering"))
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
