package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
)

// Cookie names.
const (
	SessionCookie = "crumb_session"
	DeviceCookie  = "crumb_device"
)

const principalKey = "crumb.principal"

func bearerToken(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// sessionToken returns the caller's token: a Bearer header first, then the cookie.
func sessionToken(c *gin.Context) string {
	if t := bearerToken(c); t != "" {
		return t
	}
	t, _ := c.Cookie(SessionCookie)
	return t
}

// authenticate resolves the session token into a principal or answers 401.
func (s *Server) authenticate(c *gin.Context) {
	p, err := s.Sessions.Lookup(c.Request.Context(), sessionToken(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// principal is the caller of an authenticated route.
func principal(c *gin.Context) auth.Principal {
	p, _ := c.Get(principalKey)
	return p.(auth.Principal)
}

type loginResponse struct {
	Token string          `json:"token"`
	User  people.Employee `json:"user"`
}

func (s *Server) login(c *gin.Context) {
	var in people.LoginInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	device, _ := c.Cookie(DeviceCookie)
	if len(device) != 32 {
		b := make([]byte, 16)
		rand.Read(b)
		device = hex.EncodeToString(b)
	}
	token, user, err := s.People.Login(c.Request.Context(), in, people.Client{
		IP: c.ClientIP(), UserAgent: c.Request.UserAgent(), DeviceID: device,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, SessionCookie, token, int(s.SessionTTL.Seconds()))
	s.setCookie(c, DeviceCookie, device, 90*24*3600)
	c.JSON(http.StatusOK, loginResponse{Token: token, User: user})
}

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) logout(c *gin.Context) {
	if err := s.Sessions.Revoke(c.Request.Context(), principal(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, SessionCookie, "", -1)
	c.Status(http.StatusNoContent)
}

func (s *Server) mountMe(r *gin.RouterGroup) {
	r.GET("/me", s.getMe)
	r.POST("/me/password", s.changePassword)
}

func (s *Server) getMe(c *gin.Context) {
	me, err := s.People.Me(c.Request.Context(), principal(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, me)
}

func (s *Server) changePassword(c *gin.Context) {
	var in people.PasswordChange
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.People.ChangePassword(c.Request.Context(), principal(c), in); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
