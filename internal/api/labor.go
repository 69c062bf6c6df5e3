package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/labor"
)

// mountLabor mounts wages, labor settings, budgets, the week's cost,
// timesheets and pay periods.
func (s *Server) mountLabor(r *gin.RouterGroup) {
	if s.Labor == nil {
		return
	}
	r.GET("/labor/settings", s.getLaborSettings)
	r.PATCH("/labor/settings", updated(s, s.Labor.UpdateSettings))
	r.GET("/labor/week-cost", s.weekCost)
	r.PUT("/departments/:id/budget", s.putBudget)
	r.GET("/employees/:id/wages", byID(s, s.Labor.ListWages))
	r.POST("/employees/:id/wages", s.addWage)
	r.DELETE("/employees/:id/wages/:wage_id", s.deleteWage)
}

func (s *Server) getLaborSettings(c *gin.Context) {
	st, err := s.Labor.GetSettings(c.Request.Context())
	s.render(c, http.StatusOK, st, err)
}

func (s *Server) weekCost(c *gin.Context) {
	dept, err := queryInt64(c, "department_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Labor.WeekCost(c.Request.Context(), principal(c), dept, c.Query("week_start"))
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) putBudget(c *gin.Context) {
	id, in, v, err := patchRequest[labor.BudgetInput](c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Labor.PutBudget(c.Request.Context(), principal(c), id, in, v)
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) addWage(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in labor.WageInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Labor.AddWage(c.Request.Context(), principal(c), id, in)
	s.render(c, http.StatusCreated, out, err)
}

func (s *Server) deleteWage(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	wid, err := idParam(c, "wage_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	s.noContent(c, s.Labor.DeleteWage(c.Request.Context(), principal(c), id, wid))
}
