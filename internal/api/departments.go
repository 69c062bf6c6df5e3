package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) mountDepartments(r *gin.RouterGroup) {
	r.GET("/departments", s.listDepartments)
	r.POST("/departments", created(s, s.People.CreateDepartment))
	r.GET("/departments/:id", s.getDepartment)
	r.PATCH("/departments/:id", patched(s, s.People.UpdateDepartment))
	r.DELETE("/departments/:id", deleted(s, s.People.DeleteDepartment))
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
