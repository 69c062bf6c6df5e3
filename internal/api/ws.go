package api

import (
	"context"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/apperr"
)

// mountWS mounts GET /api/v1/ws (docs/api.md, WebSocket). Authentication
// and the origin are checked before the upgrade, so refusals are plain JSON
// errors.
func (s *Server) mountWS(r *gin.RouterGroup) {
	r.GET("/ws", s.websocket)
}

func (s *Server) websocket(c *gin.Context) {
	p, err := s.Sessions.Lookup(c.Request.Context(), sessionToken(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if origin := c.GetHeader("Origin"); origin != "" && !s.sameOrigin(origin) {
		s.fail(c, apperr.New(apperr.Forbidden, "cross-origin socket refused"))
		return
	}
	if s.Hub == nil || !s.Hub.Accepting() {
		s.fail(c, apperr.New(apperr.Unavailable, "live updates are not available here right now; reconnect shortly"))
		return
	}
	since, resume := int64(0), false
	if v := c.Query("since"); v != "" {
		n, ok := parseID(v)
		if !ok {
			s.fail(c, apperr.New(apperr.BadRequest, "since must be the last seq seen (an integer >= 0)"))
			return
		}
		since, resume = n, true
	}
	// The origin was checked above against CRUMB_BASE_URL; clients without
	// an Origin header (phones, integrations) use Bearer tokens.
	up := hub.NewUpgrade(c.Writer)
	ws, err := websocket.Accept(up, c.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered the client
	}
	// The socket lives on in a fresh goroutine with a small stack; this
	// one (grown deep by the middleware chain and the session query) ends
	// and gives its stack back. That halves an idle socket's memory.
	go s.Hub.Serve(context.WithoutCancel(c.Request.Context()), ws, up, p, since, resume)
}

// sameOrigin reports whether origin is the app's own (CRUMB_BASE_URL).
func (s *Server) sameOrigin(origin string) bool {
	if s.BaseURL == nil {
		return false
	}
	return origin == s.BaseURL.Scheme+"://"+s.BaseURL.Host
}
