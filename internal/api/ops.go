package api

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
)

// mountWorkerRoutes mounts what the worker fleet adds: reports,
// notification preferences and the delivery log, the dev mailbox and the queues (admins), and the public
// routes outside /api/v1: the SNS webhook and signed report downloads.
func (s *Server) mountWorkerRoutes(root *gin.Engine, authed *gin.RouterGroup) {
	if s.Reports != nil {
		s.mountReports(authed)
	}
	if s.Notify != nil {
		s.mountPreferences(root, authed)
	}
	if s.Mailbox != nil {
		authed.GET("/admin/mailbox", s.listMailbox)
	}
	if s.Queues != nil {
		authed.GET("/admin/queues", s.listQueues)
		authed.GET("/admin/queues/:queue/tasks", s.listFailedTasks)
		authed.POST("/admin/queues/:queue/tasks/:task/run", s.retryTask)
	}
	if s.SNSHook != nil {
		root.POST("/hooks/sns", s.limitBody, s.postSNS)
	}
	if s.Files != nil {
		root.GET("/files/*key", gin.WrapH(s.Files))
	}
}

// postSNS hands an SNS delivery to the hook: 204 when applied, refusals and
// retry requests in the error shape.
func (s *Server) postSNS(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err == nil {
		err = s.SNSHook.Handle(c.Request.Context(), body)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listMailbox(c *gin.Context) {
	if err := auth.RequireAdmin(principal(c)); err != nil {
		s.fail(c, err)
		return
	}
	before, err := queryInt64(c, "before_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	limit := 50
	if v := c.Query("limit"); v != "" {
		n, ok := parseID(v)
		if !ok || n < 1 || n > 200 {
			s.fail(c, apperr.New(apperr.BadRequest, "limit must be between 1 and 200"))
			return
		}
		limit = int(n)
	}
	msgs, err := s.Mailbox.List(c.Request.Context(), c.Query("to"), before, limit)
	s.render(c, http.StatusOK, gin.H{"items": msgs}, err)
}

func (s *Server) listQueues(c *gin.Context) {
	qs, err := s.Queues.Overview(principal(c))
	s.render(c, http.StatusOK, gin.H{"items": qs}, err)
}

func (s *Server) listFailedTasks(c *gin.Context) {
	page, err := queryInt64(c, "page")
	if err != nil {
		s.fail(c, err)
		return
	}
	ts, err := s.Queues.Failed(principal(c), c.Param("queue"), c.Query("state"), int(page))
	s.render(c, http.StatusOK, gin.H{"items": ts}, err)
}

func (s *Server) retryTask(c *gin.Context) {
	s.noContent(c, s.Queues.Retry(principal(c), c.Param("queue"), c.Param("task")))
}
