package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/reports"
)

func (s *Server) mountReports(r *gin.RouterGroup) {
	r.POST("/reports", s.createReport)
	r.GET("/reports/:report_id", s.getReport)
}

func (s *Server) createReport(c *gin.Context) {
	var in reports.Request
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.Reports.Create(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusAccepted, rep, err)
}

func (s *Server) getReport(c *gin.Context) {
	id, err := idParam(c, "report_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.Reports.Get(c.Request.Context(), principal(c), id)
	s.render(c, http.StatusOK, rep, err)
}
