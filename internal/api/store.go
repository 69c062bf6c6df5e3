package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/people"
)

func (s *Server) mountStore(r *gin.RouterGroup) {
	r.GET("/store", s.getStore)
	r.PATCH("/store", s.patchStore)
}

func (s *Server) getStore(c *gin.Context) {
	st, err := s.People.GetStore(c.Request.Context())
	s.render(c, http.StatusOK, st, err)
}

func (s *Server) patchStore(c *gin.Context) {
	var in people.StorePatch
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.People.UpdateStore(c.Request.Context(), principal(c), in, v)
	s.render(c, http.StatusOK, st, err)
}
