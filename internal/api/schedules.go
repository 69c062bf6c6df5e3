package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/roster"
)

func (s *Server) mountSchedules(r *gin.RouterGroup) {
	r.POST("/schedules/publish", s.publishWeek)
	r.POST("/schedules/copy", created(s, s.Roster.CopyWeek))
}

func (s *Server) publishWeek(c *gin.Context) {
	var in roster.PublishInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Roster.PublishWeek(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, out, err)
}
