package apptest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The API's description, docs/openapi.yaml, loaded once per test binary.
var (
	specOnce   sync.Once
	spec       *openapi3.T
	specRouter routers.Router
	specErr    error
)

// OpenAPI returns docs/openapi.yaml, loaded and validated as an OpenAPI
// document, or fails the test.
func OpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	loadSpec()
	if specErr != nil {
		t.Fatalf("docs/openapi.yaml: %v", specErr)
	}
	return spec
}

func loadSpec() {
	specOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		path := filepath.Join(filepath.Dir(file), "..", "..", "docs", "openapi.yaml")
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err == nil {
			specRouter, err = gorillamux.NewRouter(doc)
		}
		spec, specErr = doc, err
	})
}

// validateResponses wraps h so that every response to a described route is
// checked against docs/openapi.yaml: a status the route does not list, or a
// JSON body that does not match its schema, fails t. Requests to routes the
// description does not have (the web app's pages, unknown paths) and the
// WebSocket upgrade pass through unchecked; the route walk in internal/api
// keeps the description and the router in step.
func validateResponses(t testing.TB, h http.Handler) http.Handler {
	loadSpec()
	if specErr != nil {
		t.Fatalf("docs/openapi.yaml: %v", specErr)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := specRouter.FindRoute(r)
		if err != nil || r.URL.Path == "/api/v1/ws" {
			h.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		// The server closes before the test ends (Start's cleanup), and
		// Errorf may be called from any goroutine.
		if err := checkResponse(r, route, params, rec); err != nil {
			t.Errorf("docs/openapi.yaml: %s %s answered %d, which the description does not allow: %v\nbody: %.500s",
				r.Method, r.URL.RequestURI(), rec.status, err, rec.body.Bytes())
		}
	})
}

func checkResponse(r *http.Request, route *routers.Route, params map[string]string, rec *recorder) error {
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	if mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type")); mt != "application/json" {
		// Files, calendars, CSV and metrics: the status and content type are
		// checked, not the bytes.
		opts.ExcludeResponseBody = true
		if err := contentTypeListed(route, rec.status, mt); err != nil {
			return err
		}
	}
	return openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 rec.status,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Options:                opts,
	})
}

// contentTypeListed reports an error unless the route's response for
// status (or its default) lists the media type mt, or has no body.
func contentTypeListed(route *routers.Route, status int, mt string) error {
	ref := route.Operation.Responses.Status(status)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	if ref == nil || ref.Value == nil || len(ref.Value.Content) == 0 || mt == "" {
		return nil
	}
	if ref.Value.Content.Get(mt) == nil {
		return errors.New("content type " + mt + " is not listed")
	}
	return nil
}

// recorder passes a response through and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := r.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("apptest: not hijackable")
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
