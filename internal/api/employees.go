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
	r.POST("/employees", created(s, s.People.CreateEmployee))
	r.GET("/employees/:id", byID(s, s.People.GetEmployee))
	r.PATCH("/employees/:id", patched(s, s.People.UpdateEmployee))
	r.DELETE("/employees/:id", deleted(s, s.People.DeactivateEmployee))
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
