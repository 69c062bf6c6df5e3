package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/roster"
)

func (s *Server) mountAvailability(r *gin.RouterGroup) {
	r.GET("/employees/:id/availability", s.getAvailability)
	r.PUT("/employees/:id/availability", s.putAvailability)
}

// Availability is a bare array of windows, as docs/openapi.yaml describes it.
func (s *Server) getAvailability(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.Roster.GetAvailability(c.Request.Context(), principal(c), id)
	s.render(c, http.StatusOK, a.Windows, err)
}

func (s *Server) putAvailability(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in []roster.AvailabilityWindow
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.Roster.SetAvailability(c.Request.Context(), principal(c), id, in)
	s.render(c, http.StatusOK, a.Windows, err)
}
