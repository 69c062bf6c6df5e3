package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/comms"
)

// mountComms mounts announcements and schedule acknowledgements; the
// sign-in-free acknowledgement link is on v1 (the link is the credential).
func (s *Server) mountComms(v1, r *gin.RouterGroup) {
	r.POST("/announcements", created(s, s.Comms.Post))
	r.GET("/announcements", s.listAnnouncements)
	r.GET("/announcements/:id", byID(s, s.Comms.Announcement))
	r.GET("/announcements/:id/reads", byID(s, s.Comms.Reads))
	r.POST("/announcements/:id/ack", s.ackAnnouncement)
	r.POST("/announcements/seen", s.announcementsSeen)
	r.GET("/schedules/acks", s.weekAcks)
	r.GET("/me/schedule-acks", s.myWeekAcks)
	r.POST("/me/schedule-acks/seen", s.weekCall(s.Comms.MarkWeekSeen))
	r.POST("/me/schedule-acks/ack", s.weekCall(s.Comms.AcknowledgeWeek))
	v1.POST("/links/schedule-ack", s.ackByLink)
}

func (s *Server) listAnnouncements(c *gin.Context) {
	out, err := s.Comms.List(c.Request.Context(), principal(c))
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) ackAnnouncement(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Comms.Acknowledge(c.Request.Context(), principal(c), id)
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) announcementsSeen(c *gin.Context) {
	var in comms.SeenInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Comms.MarkSeen(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) weekAcks(c *gin.Context) {
	in := comms.WeekInput{WeekStart: c.Query("week_start")}
	var err error
	if in.DepartmentID, err = queryInt64(c, "department_id"); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Comms.WeekAcks(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) myWeekAcks(c *gin.Context) {
	out, err := s.Comms.MyAcks(c.Request.Context(), principal(c))
	s.render(c, http.StatusOK, out, err)
}

// weekCall serves a POST that acts on the caller's week: the body, the
// call, 200.
func (s *Server) weekCall(call func(context.Context, auth.Principal, comms.WeekInput) (comms.WeekAck, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in comms.WeekInput
		if err := bind(c, &in); err != nil {
			s.fail(c, err)
			return
		}
		out, err := call(c.Request.Context(), principal(c), in)
		s.render(c, http.StatusOK, out, err)
	}
}

// ackByLink acknowledges a week with the token of an e-mail or SMS link,
// without a session.
func (s *Server) ackByLink(c *gin.Context) {
	var in comms.LinkInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Comms.AcknowledgeByLink(c.Request.Context(), in)
	s.render(c, http.StatusOK, out, err)
}
