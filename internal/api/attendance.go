package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/attendance"
)

func (s *Server) mountAttendance(r *gin.RouterGroup) {
	r.GET("/attendance", s.listAttendance)
	r.GET("/attendance/live", s.liveAttendance)
	r.GET("/attendance/alerts", s.attendanceAlerts)
	r.POST("/attendance/clock-in", s.clockAction(attendance.ActClockIn))
	r.POST("/attendance/clock-out", s.clockAction(attendance.ActClockOut))
	r.POST("/attendance/break/start", s.clockAction(attendance.ActBreakStart))
	r.POST("/attendance/break/end", s.clockAction(attendance.ActBreakEnd))
	r.GET("/attendance/me", s.myClockState)
	r.GET("/attendance/kiosk/people", s.kioskPeople)
	r.POST("/attendance/kiosk-state", s.kioskState)
	r.POST("/attendance/kiosk/:action", s.kioskAction)
	r.PATCH("/attendance/:id", patched(s, s.Attendance.Correct))
	r.PUT("/me/pin", s.putMyPIN)
	r.PUT("/employees/:id/pin", s.putEmployeePIN)
}

func (s *Server) listAttendance(c *gin.Context) {
	st, err := s.People.GetStore(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	var f attendance.Filter
	if f.From, err = queryTime(c, "from", st.Location()); err != nil {
		s.fail(c, err)
		return
	}
	if f.To, err = queryTime(c, "to", st.Location()); err != nil {
		s.fail(c, err)
		return
	}
	if len(c.Query("to")) == len("2006-01-02") {
		f.To = f.To.AddDate(0, 0, 1) // a calendar date includes its day
	}
	if f.DepartmentID, err = queryInt64(c, "department_id"); err != nil {
		s.fail(c, err)
		return
	}
	if f.EmployeeID, err = queryInt64(c, "employee_id"); err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.Attendance.List(c.Request.Context(), principal(c), f)
	s.render(c, http.StatusOK, list, err)
}

func (s *Server) liveAttendance(c *gin.Context) {
	dept, err := queryInt64(c, "department_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	live, err := s.Attendance.Live(c.Request.Context(), principal(c), dept)
	s.render(c, http.StatusOK, live, err)
}

func (s *Server) attendanceAlerts(c *gin.Context) {
	dept, err := queryInt64(c, "department_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	alerts, err := s.Attendance.Alerts(c.Request.Context(), principal(c), dept)
	s.render(c, http.StatusOK, alerts, err)
}

// clockAction handles the caller's own clock; an empty body is allowed.
func (s *Server) clockAction(a attendance.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in attendance.ClockInput
		if c.Request.ContentLength != 0 {
			if err := bind(c, &in); err != nil {
				s.fail(c, err)
				return
			}
		}
		rec, err := s.Attendance.Clock(c.Request.Context(), principal(c), a, in)
		s.render(c, http.StatusOK, rec, err)
	}
}

func (s *Server) kioskAction(c *gin.Context) {
	var in attendance.KioskInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	rec, err := s.Attendance.Kiosk(c.Request.Context(), principal(c), attendance.Action(c.Param("action")), in)
	s.render(c, http.StatusOK, rec, err)
}

func (s *Server) myClockState(c *gin.Context) {
	st, err := s.Attendance.MyState(c.Request.Context(), principal(c))
	s.render(c, http.StatusOK, st, err)
}

func (s *Server) kioskPeople(c *gin.Context) {
	list, err := s.Attendance.KioskPeople(c.Request.Context(), principal(c))
	s.render(c, http.StatusOK, gin.H{"items": list}, err)
}

func (s *Server) kioskState(c *gin.Context) {
	var in attendance.KioskInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.Attendance.KioskState(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, st, err)
}

func (s *Server) putMyPIN(c *gin.Context) {
	var in attendance.PINInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	s.noContent(c, s.Attendance.SetPIN(c.Request.Context(), p, p.UserID, in))
}

func (s *Server) putEmployeePIN(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in attendance.PINInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	s.noContent(c, s.Attendance.SetPIN(c.Request.Context(), principal(c), id, in))
}
