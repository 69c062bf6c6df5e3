package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/roster"
)

func (s *Server) mountSwaps(r *gin.RouterGroup) {
	r.POST("/shifts/:id/swap-requests", s.requestSwap)
	r.GET("/swap-requests", s.listSwaps)
	for _, action := range []string{roster.SwapAccept, roster.SwapApprove, roster.SwapDeny} {
		r.POST("/swap-requests/:id/"+action, s.decideSwap(action))
	}
}

func (s *Server) requestSwap(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in roster.SwapInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.Roster.RequestSwap(c.Request.Context(), principal(c), id, in)
	s.render(c, http.StatusCreated, w, err)
}

func (s *Server) listSwaps(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.Roster.ListSwaps(c.Request.Context(), principal(c), c.Query("status"), lp)
	s.render(c, http.StatusOK, page, err)
}

func (s *Server) decideSwap(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id")
		if err != nil {
			s.fail(c, err)
			return
		}
		w, err := s.Roster.DecideSwap(c.Request.Context(), principal(c), id, action)
		s.render(c, http.StatusOK, w, err)
	}
}
