package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/roster"
)

func (s *Server) mountTimeOff(r *gin.RouterGroup) {
	r.GET("/time-off", s.listTimeOff)
	r.POST("/time-off", created(s, s.Roster.RequestTimeOff))
	r.POST("/time-off/:id/approve", s.decideTimeOff(true))
	r.POST("/time-off/:id/deny", s.decideTimeOff(false))
}

func (s *Server) listTimeOff(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := roster.TimeOffFilter{Status: c.Query("status")}
	if f.EmployeeID, err = queryInt64(c, "employee_id"); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.Roster.ListTimeOff(c.Request.Context(), principal(c), f, lp)
	s.render(c, http.StatusOK, page, err)
}

func (s *Server) decideTimeOff(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id")
		if err != nil {
			s.fail(c, err)
			return
		}
		out, err := s.Roster.DecideTimeOff(c.Request.Context(), principal(c), id, approve)
		s.render(c, http.StatusOK, out, err)
	}
}
