package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/roster"
)

func (s *Server) mountShifts(r *gin.RouterGroup) {
	r.GET("/shifts", s.listShifts)
	r.POST("/shifts", created(s, s.Roster.CreateShift))
	r.GET("/shifts/:id", byID(s, s.Roster.GetShift))
	r.PATCH("/shifts/:id", patched(s, s.Roster.UpdateShift))
	r.DELETE("/shifts/:id", deleted(s, s.Roster.DeleteShift))
	r.GET("/shifts/:id/candidates", byID(s, s.Roster.Candidates))
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
