package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/auth"
)

// The shapes most routes share: read the request, make one domain call with
// the caller's principal, render its answer. A route whose handler does
// nothing else mounts one of these with the domain method, so that the
// reading and rendering rules (bind, idParam, patchRequest, ifMatch) live
// in one place.

// created serves a POST that creates: the JSON body, the call, 201.
func created[In, Out any](s *Server, call func(context.Context, auth.Principal, In) (Out, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in In
		if err := bind(c, &in); err != nil {
			s.fail(c, err)
			return
		}
		out, err := call(c.Request.Context(), principal(c), in)
		s.render(c, http.StatusCreated, out, err)
	}
}

// byID serves a GET of one object: the :id, the call, 200.
func byID[Out any](s *Server, call func(context.Context, auth.Principal, int64) (Out, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id")
		if err != nil {
			s.fail(c, err)
			return
		}
		out, err := call(c.Request.Context(), principal(c), id)
		s.render(c, http.StatusOK, out, err)
	}
}

// patched serves a PATCH: the :id, the body and its version (patchRequest),
// the call, 200.
func patched[In, Out any](s *Server, call func(context.Context, auth.Principal, int64, In, *int64) (Out, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, in, v, err := patchRequest[In](c, "id")
		if err != nil {
			s.fail(c, err)
			return
		}
		out, err := call(c.Request.Context(), principal(c), id, in, v)
		s.render(c, http.StatusOK, out, err)
	}
}

// updated serves a PATCH or PUT of a resource without an id (the store,
// the bakery settings): the body, If-Match, the call, 200.
func updated[In, Out any](s *Server, call func(context.Context, auth.Principal, In, *int64) (Out, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		in, v, err := versionedBody[In](c)
		if err != nil {
			s.fail(c, err)
			return
		}
		out, err := call(c.Request.Context(), principal(c), in, v)
		s.render(c, http.StatusOK, out, err)
	}
}

// deleted serves a DELETE: the :id, If-Match, the call, 204.
func deleted(s *Server, call func(context.Context, auth.Principal, int64, *int64) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id")
		if err != nil {
			s.fail(c, err)
			return
		}
		v, err := ifMatch(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.noContent(c, call(c.Request.Context(), principal(c), id, v))
	}
}
