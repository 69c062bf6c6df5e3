package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/notify"
)

// mountPreferences mounts a person's notification preferences and phone,
// the unsubscribe link's action (no sign-in: the token is the
// authorization) and the admins' delivery log.
func (s *Server) mountPreferences(root *gin.Engine, authed *gin.RouterGroup) {
	authed.GET("/me/preferences", s.getPreferences)
	authed.PATCH("/me/preferences", s.patchPreferences)
	authed.POST("/me/phone", s.postPhone)
	authed.POST("/me/phone/verify", s.verifyPhone)
	authed.DELETE("/me/phone", s.deletePhone)
	authed.GET("/admin/deliveries", s.listDeliveries)
	root.POST("/api/v1/unsubscribe", s.deadline, s.limitBody, s.csrfCheck, s.unsubscribe)
}

func (s *Server) getPreferences(c *gin.Context) {
	p, err := s.Notify.Preferences(c.Request.Context(), principal(c))
	s.render(c, http.StatusOK, p, err)
}

func (s *Server) patchPreferences(c *gin.Context) {
	var in notify.PreferencesPatch
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Notify.SetPreferences(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, p, err)
}

func (s *Server) postPhone(c *gin.Context) {
	var in notify.PhoneInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Notify.SetPhone(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, p, err)
}

func (s *Server) verifyPhone(c *gin.Context) {
	var in notify.CodeInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Notify.VerifyPhone(c.Request.Context(), principal(c), in)
	s.render(c, http.StatusOK, p, err)
}

func (s *Server) deletePhone(c *gin.Context) {
	p, err := s.Notify.DeletePhone(c.Request.Context(), principal(c))
	s.render(c, http.StatusOK, p, err)
}

func (s *Server) unsubscribe(c *gin.Context) {
	var in notify.UnsubscribeInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Notify.Unsubscribe(c.Request.Context(), in)
	s.render(c, http.StatusOK, out, err)
}

func (s *Server) listDeliveries(c *gin.Context) {
	lp, err := listParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := notify.DeliveryFilter{Status: c.Query("status"), Channel: c.Query("channel")}
	if f.UserID, err = queryInt64(c, "user_id"); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.Notify.Deliveries(c.Request.Context(), principal(c), f, lp)
	s.render(c, http.StatusOK, page, err)
}
