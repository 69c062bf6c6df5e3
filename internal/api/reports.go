package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/reports"
)

func (s *Server) mountReports(r *gin.RouterGroup) {
	r.GET("/reports", s.listReports)
	r.POST("/reports", s.createReport)
	r.GET("/reports/kinds", s.reportKinds)
	r.GET("/reports/:report_id", s.getReport)
}

func (s *Server) listReports(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.Reports.List(c.Request.Context(), principal(c), lp)
	s.render(c, http.StatusOK, page, err)
}

func (s *Server) reportKinds(c *gin.Context) {
	s.render(c, http.StatusOK, gin.H{"items": reports.Kinds()}, nil)
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
