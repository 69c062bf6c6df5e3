package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/people"
)

func (s *Server) mountDepartments(r *gin.RouterGroup) {
	r.GET("/departments", s.listDepartments)
	r.POST("/departments", s.createDepartment)
	r.GET("/departments/:id", s.getDepartment)
	r.PATCH("/departments/:id", s.patchDepartment)
	r.DELETE("/departments/:id", s.deleteDepartment)
}

func (s *Server) listDepartments(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.People.ListDepartments(c.Request.Context(), lp)
	s.render(c, http.StatusOK, page, err)
}

func (s *Server) getDepartment(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.People.GetDepartment(c.Request.Context(), id)
	s.render(c, http.StatusOK, d, err)
}

func (s *Server) createDepartment(c *gin.Context) {
	var in people.DepartmentInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.People.CreateDepartment(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusCreated, d, err)
}

func (s *Server) patchDepartment(c *gin.Context) {
	id, in, v, err := patchRequest[people.DepartmentInput](c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.People.UpdateDepartment(c.Request.Context(), principal(c), id, in, v)
	s.render(c, http.StatusOK, d, err)
}

func (s *Server) deleteDepartment(c *gin.Context) {
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
	s.noContent(c, s.People.DeleteDepartment(c.Request.Context(), principal(c), id, v))
}
