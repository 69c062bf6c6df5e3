package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
)

// mountICalToken adds the signed-in token routes.
func (s *Server) mountICalToken(r *gin.RouterGroup) {
	r.POST("/me/ical-token", s.newICalToken)
	r.DELETE("/me/ical-token", s.revokeICalToken)
}

// mountICalFeed adds the public feed: calendar apps cannot sign in, so the
// secret token in the URL is the credential.
func (s *Server) mountICalFeed(r *gin.RouterGroup) {
	r.GET("/ical/:file", s.icalFeed)
}

type icalTokenResponse struct {
	URL string `json:"url"`
}

func (s *Server) newICalToken(c *gin.Context) {
	tok, err := s.Roster.NewICalToken(c.Request.Context(), principal(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	base := "http://" + c.Request.Host
	if c.Request.TLS != nil {
		base = "https://" + c.Request.Host
	}
	if s.BaseURL != nil {
		base = strings.TrimSuffix(s.BaseURL.String(), "/")
	}
	c.JSON(http.StatusCreated, icalTokenResponse{URL: base + "/api/v1/ical/" + tok + ".ics"})
}

func (s *Server) revokeICalToken(c *gin.Context) {
	s.noContent(c, s.Roster.RevokeICalToken(c.Request.Context(), principal(c)))
}

func (s *Server) icalFeed(c *gin.Context) {
	tok, ok := strings.CutSuffix(c.Param("file"), ".ics")
	if !ok || tok == "" {
		s.fail(c, apperr.NotFoundf("calendar"))
		return
	}
	body, err := s.Roster.ICalFeed(c.Request.Context(), tok, s.Clock())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", body)
}
