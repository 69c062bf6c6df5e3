package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/roster"
)

func (s *Server) mountSchedules(r *gin.RouterGroup) {
	r.POST("/schedules/publish", s.publishWeek)
	r.POST("/schedules/copy", created(s, s.Roster.CopyWeek))
	r.GET("/schedules/warnings", s.weekWarnings)
}

func (s *Server) weekWarnings(c *gin.Context) {
	in := roster.WeekWarningsInput{WeekStart: c.Query("week_start")}
	var err error
	if in.DepartmentID, err = queryInt64(c, "department_id"); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Roster.WeekWarnings(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, out, err)
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
