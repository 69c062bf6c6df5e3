package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/labor"
)

// mountLabor mounts wages, labor settings, budgets, the week's cost,
// timesheets and pay periods.
func (s *Server) mountLabor(r *gin.RouterGroup) {
	r.GET("/labor/settings", s.getLaborSettings)
	r.PATCH("/labor/settings", updated(s, s.Labor.UpdateSettings))
	r.GET("/labor/week-cost", s.weekCost)
	r.PUT("/departments/:id/budget", s.putBudget)
	r.PUT("/departments/:id/sales", s.putSales)
	r.GET("/employees/:id/wages", byID(s, s.Labor.ListWages))
	r.POST("/employees/:id/wages", s.addWage)
	r.DELETE("/employees/:id/wages/:wage_id", s.deleteWage)
	r.GET("/timesheets", s.listTimesheets)
	r.GET("/me/timesheet", s.myTimesheet)
	r.POST("/timesheets/approve", created(s, s.Labor.Approve))
	r.POST("/pay-periods/:start/lock", s.lockPeriod(s.Labor.Lock))
	r.POST("/pay-periods/:start/reopen", s.lockPeriod(s.Labor.Reopen))
	r.POST("/attendance/:id/flags", s.flagPunch)
}

func (s *Server) listTimesheets(c *gin.Context) {
	dept, err := queryInt64(c, "department_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Labor.ListTimesheets(c.Request.Context(), principal(c), labor.TimesheetFilter{PeriodStart: c.Query("period_start"), DepartmentID: dept})
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) myTimesheet(c *gin.Context) {
	out, err := s.Labor.MyTimesheet(c.Request.Context(), principal(c), c.Query("period_start"))
	s.render(c, http.StatusOK, out, err)
}

// lockPeriod serves lock and reopen: the period's first day in the path, an
// optional body with the reason.
func (s *Server) lockPeriod(call func(context.Context, auth.Principal, string, labor.LockInput) (labor.Period, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in labor.LockInput
		if c.Request.ContentLength != 0 {
			if err := bind(c, &in); err != nil {
				s.fail(c, err)
				return
			}
		}
		out, err := call(c.Request.Context(), principal(c), c.Param("start"), in)
		s.render(c, http.StatusOK, out, err)
	}
}

func (s *Server) flagPunch(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in labor.FlagInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Labor.FlagPunch(c.Request.Context(), principal(c), id, in)
	s.render(c, http.StatusCreated, out, err)
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

func (s *Server) putSales(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in labor.SalesInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	days, err := s.Labor.PutSales(c.Request.Context(), principal(c), id, in)
	s.render(c, http.StatusOK, gin.H{"department_id": id, "days": days}, err)
}
