package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/roster"
)

func (s *Server) mountShifts(r *gin.RouterGroup) {
	r.GET("/shifts", s.listShifts)
	r.POST("/shifts", s.createShift)
	r.GET("/shifts/:id", s.getShift)
	r.PATCH("/shifts/:id", s.patchShift)
	r.DELETE("/shifts/:id", s.deleteShift)
	r.GET("/shifts/:id/candidates", s.shiftCandidates)
	r.POST("/shifts/:id/claim", s.claimShift)
	r.GET("/shifts/:id/claims", s.listClaims)
	r.POST("/shifts/:id/claims/:claim_id/approve", s.decideClaim(true))
	r.POST("/shifts/:id/claims/:claim_id/deny", s.decideClaim(false))
}

func (s *Server) listShifts(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := roster.ShiftFilter{From: c.Query("from"), To: c.Query("to"), Status: c.Query("status")}
	if f.DepartmentID, err = queryInt64(c, "department_id"); err != nil {
		s.fail(c, err)
		return
	}
	if f.EmployeeID, err = queryInt64(c, "employee_id"); err != nil {
		s.fail(c, err)
		return
	}
	body, err := s.Roster.ListShiftsJSON(c.Request.Context(), principal(c), f, lp)
	s.renderEncoded(c, http.StatusOK, body, err)
}

func (s *Server) getShift(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	sh, err := s.Roster.GetShift(c.Request.Context(), principal(c), id)
	s.render(c, http.StatusOK, sh, err)
}

func (s *Server) createShift(c *gin.Context) {
	var in roster.ShiftInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	sh, err := s.Roster.CreateShift(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusCreated, sh, err)
}

func (s *Server) patchShift(c *gin.Context) {
	id, in, v, err := patchRequest[roster.ShiftInput](c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	sh, err := s.Roster.UpdateShift(c.Request.Context(), principal(c), id, in, v)
	s.render(c, http.StatusOK, sh, err)
}

func (s *Server) deleteShift(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.noContent(c, s.Roster.DeleteShift(c.Request.Context(), principal(c), id, v))
}

func (s *Server) shiftCandidates(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.Roster.Candidates(c.Request.Context(), principal(c), id)
	s.render(c, http.StatusOK, list, err)
}

func (s *Server) claimShift(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	cl, err := s.Roster.ClaimShift(c.Request.Context(), principal(c), id)
	status := http.StatusCreated
	if cl.Status == roster.ClaimPending {
		status = http.StatusAccepted
	}
	s.render(c, status, cl, err)
}

func (s *Server) listClaims(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.Roster.ListClaims(c.Request.Context(), principal(c), id)
	s.render(c, http.StatusOK, gin.H{"items": items}, err)
}

func (s *Server) decideClaim(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id")
		if err != nil {
			s.fail(c, err)
			return
		}
		claimID, err := idParam(c, "claim_id")
		if err != nil {
			s.fail(c, err)
			return
		}
		cl, err := s.Roster.DecideClaim(c.Request.Context(), principal(c), id, claimID, approve)
		s.render(c, http.StatusOK, cl, err)
	}
}
