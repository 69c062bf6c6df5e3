package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
)

func (s *Server) mountEmployees(r *gin.RouterGroup) {
	r.GET("/employees", s.listEmployees)
	r.POST("/employees", s.createEmployee)
	r.GET("/employees/:id", s.getEmployee)
	r.PATCH("/employees/:id", s.patchEmployee)
	r.DELETE("/employees/:id", s.deleteEmployee)
}

func (s *Server) listEmployees(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var f people.EmployeeFilter
	if f.DepartmentID, err = queryInt64(c, "department_id"); err != nil {
		s.fail(c, err)
		return
	}
	if f.Active, err = queryBool(c, "active"); err != nil {
		s.fail(c, err)
		return
	}
	if r := c.Query("role"); r != "" {
		if !auth.Role(r).Valid() {
			s.fail(c, apperr.New(apperr.BadRequest, "role must be admin, manager, employee or kiosk"))
			return
		}
		f.Role = auth.Role(r)
	}
	page, err := s.People.ListEmployees(c.Request.Context(), principal(c), f, lp)
	s.render(c, http.StatusOK, page, err)
}

func (s *Server) getEmployee(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	e, err := s.People.GetEmployee(c.Request.Context(), principal(c), id)
	s.render(c, http.StatusOK, e, err)
}

func (s *Server) createEmployee(c *gin.Context) {
	var in people.EmployeeInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	e, err := s.People.CreateEmployee(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusCreated, e, err)
}

func (s *Server) patchEmployee(c *gin.Context) {
	id, in, v, err := patchRequest[people.EmployeeInput](c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	e, err := s.People.UpdateEmployee(c.Request.Context(), principal(c), id, in, v)
	s.render(c, http.StatusOK, e, err)
}

func (s *Server) deleteEmployee(c *gin.Context) {
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
	s.noContent(c, s.People.DeactivateEmployee(c.Request.Context(), principal(c), id, v))
}
