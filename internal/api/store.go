package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) mountStore(r *gin.RouterGroup) {
	r.GET("/store", s.getStore)
	r.PATCH("/store", updated(s, s.People.UpdateStore))
}

func (s *Server) getStore(c *gin.Context) {
	st, err := s.People.GetStore(c.Request.Context())
	s.render(c, http.StatusOK, st, err)
}
