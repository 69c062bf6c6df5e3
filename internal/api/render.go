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

// jsonContentType is what c.JSON sends.
const jsonContentType = "application/json; charset=utf-8"

// renderEncoded writes body, JSON already encoded the way render would
// encode it (a cached answer), with status, or the error.
func (s *Server) renderEncoded(c *gin.Context, status int, body []byte, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(status, jsonContentType, body)
}

// noContent answers 204 or the error.
func (s *Server) noContent(c *gin.Context, err error) { s.render(c, http.StatusNoContent, nil, err) }
