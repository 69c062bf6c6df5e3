package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/audit"
)

func (s *Server) mountAudit(r *gin.RouterGroup) {
	r.GET("/audit", s.listAudit)
}

func (s *Server) listAudit(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var f audit.Filter
	if f.From, err = queryTime(c, "from", time.UTC); err != nil {
		s.fail(c, err)
		return
	}
	if f.To, err = queryTime(c, "to", time.UTC); err != nil {
		s.fail(c, err)
		return
	}
	if f.ActorID, err = queryInt64(c, "actor_id"); err != nil {
		s.fail(c, err)
		return
	}
	f.Entity = c.Query("entity")
	page, err := s.Audit.List(c.Request.Context(), principal(c), f, lp)
	s.render(c, http.StatusOK, page, err)
}
