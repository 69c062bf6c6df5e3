package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// render writes v with status, or the error.
func (s *Server) render(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	if v == nil {
		c.Status(status)
		return
	}
	c.JSON(status, v)
}

// noContent answers 204 or the error.
func (s *Server) noContent(c *gin.Context, err error) { s.render(c, http.StatusNoContent, nil, err) }
