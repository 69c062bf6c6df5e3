package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/push"
)

// mountPush: the VAPID public key browsers subscribe with, and the caller's
// push subscriptions.
func (s *Server) mountPush(r *gin.RouterGroup) {
	r.GET("/push/vapid-public-key", s.vapidPublicKey)
	r.POST("/me/push-subscriptions", s.subscribePush)
	r.DELETE("/me/push-subscriptions", s.unsubscribePush)
}

func (s *Server) vapidPublicKey(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"public_key": s.Push.Keys.Public})
}

func (s *Server) subscribePush(c *gin.Context) {
	var in push.Subscription
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	err := s.Push.Subscribe(c.Request.Context(), principal(c), in, c.Request.UserAgent())
	s.render(c, http.StatusCreated, gin.H{"endpoint": in.Endpoint}, err)
}

func (s *Server) unsubscribePush(c *gin.Context) {
	var in push.Unsubscription
	if in.Endpoint = c.Query("endpoint"); in.Endpoint == "" {
		if err := bind(c, &in); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.noContent(c, s.Push.Unsubscribe(c.Request.Context(), principal(c), in))
}
