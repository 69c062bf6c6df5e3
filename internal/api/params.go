package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/paging"
)

// bind decodes the JSON body into v: unknown fields, trailing data and
// wrong types are 400; an oversized body is 413; text that is not
// apperr.SafeText is 422.
func bind(c *gin.Context, v any) error {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apperr.New(apperr.BadRequest, "send the body as application/json")
		}
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return apperr.New(apperr.BadRequest, "could not read the request body")
	}
	c.Set(bodyKey, body)
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.BadRequest, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.New(apperr.BadRequest, "the JSON body is not valid: %s", describeJSONError(err))
	}
	if dec.More() {
		return apperr.New(apperr.BadRequest, "the JSON body has data after the object")
	}
	return apperr.CheckText(v)
}

const bodyKey = "crumb.body"

func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %q must be a %s", te.Field, te.Type.String())
		}
		return "a value has the wrong type"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends too early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "it could not be decoded"
}

// parseID is the one parser of ids, counts, versions (If-Match) and
// sequence numbers (since) from outside: plain decimal
// digits, no sign, no leading zero, no spaces, within int64. "+1", "01",
// " 1" and "1e3" are not ids (strconv.ParseInt takes the first two).
func parseID(v string) (int64, bool) {
	if v == "" || len(v) > 19 || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// idParam reads a positive id path parameter; anything else is 400.
func idParam(c *gin.Context, name string) (int64, error) {
	id, ok := parseID(c.Param(name))
	if !ok || id <= 0 {
		return 0, apperr.New(apperr.BadRequest, "%s must be a positive integer id", strings.TrimSuffix(name, "_id"))
	}
	return id, nil
}

// patchRequest reads what every update handler needs: the object's id from
// the path parameter, the strict JSON body and the optional If-Match version.
func patchRequest[T any](c *gin.Context, param string) (id int64, in T, version *int64, err error) {
	if id, err = idParam(c, param); err != nil {
		return 0, in, nil, err
	}
	in, version, err = versionedBody[T](c)
	return id, in, version, err
}

// versionedBody reads the JSON body and If-Match of a write (a PATCH, or a
// PUT of a resource without an id).
func versionedBody[T any](c *gin.Context) (in T, version *int64, err error) {
	if err = bind(c, &in); err != nil {
		return in, nil, err
	}
	version, err = ifMatch(c)
	return in, version, err
}

// ifMatch reads If-Match: <version> (quotes allowed); absent is nil.
func ifMatch(c *gin.Context) (*int64, error) {
	h := strings.Trim(strings.TrimPrefix(strings.TrimSpace(c.GetHeader("If-Match")), "W/"), `"`)
	if h == "" {
		return nil, nil
	}
	v, ok := parseID(h)
	if !ok {
		return nil, apperr.New(apperr.BadRequest, "If-Match must be a version number")
	}
	return &v, nil
}

// listParams reads limit and cursor.
func listParams(c *gin.Context) (paging.ListParams, error) {
	lp := paging.ListParams{Cursor: c.Query("cursor")}
	if v := c.Query("limit"); v != "" {
		n, ok := parseID(v)
		if !ok || n < 1 || n > paging.MaxLimit {
			return lp, apperr.New(apperr.BadRequest, "limit must be between 1 and %d", paging.MaxLimit)
		}
		lp.Limit = int(n)
	}
	return lp, nil
}

// queryInt64 reads an optional integer query parameter.
func queryInt64(c *gin.Context, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, ok := parseID(v)
	if !ok {
		return 0, apperr.New(apperr.BadRequest, "%s must be a positive integer", name)
	}
	return n, nil
}

// queryBool reads an optional boolean query parameter.
func queryBool(c *gin.Context, name string) (*bool, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, apperr.New(apperr.BadRequest, "%s must be true or false", name)
	}
	return &b, nil
}

// queryTime reads an optional instant (RFC 3339) or calendar date in loc.
func queryTime(c *gin.Context, name string, loc *time.Location) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, apperr.New(apperr.BadRequest, "%s must be a date (2026-12-01) or an RFC 3339 instant", name)
}
