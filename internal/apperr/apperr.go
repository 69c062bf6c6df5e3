// Package apperr is the one typed error of CrumbCommander. Domain packages
// return it for anything a caller did wrong; internal/api renders it in the
// shape docs/api.md describes. Any other error is an internal failure.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is the machine-readable error code (docs/api.md, Errors).
type Code string

// The error codes.
const (
	BadRequest       Code = "bad_request"
	Unauthenticated  Code = "unauthenticated"
	Forbidden        Code = "forbidden"
	NotFound         Code = "not_found"
	Conflict         Code = "conflict"
	StaleVersion     Code = "stale_version"
	InUse            Code = "in_use"
	Gone             Code = "gone"
	TooLarge         Code = "too_large"
	ValidationFailed Code = "validation_failed"
	RateLimited      Code = "rate_limited"
	Unavailable      Code = "unavailable"
	Internal         Code = "internal"
)

var statusOf = map[Code]int{
	BadRequest:       http.StatusBadRequest,
	Unauthenticated:  http.StatusUnauthorized,
	Forbidden:        http.StatusForbidden,
	NotFound:         http.StatusNotFound,
	Conflict:         http.StatusConflict,
	StaleVersion:     http.StatusConflict,
	InUse:            http.StatusConflict,
	Gone:             http.StatusGone,
	TooLarge:         http.StatusRequestEntityTooLarge,
	ValidationFailed: http.StatusUnprocessableEntity,
	RateLimited:      http.StatusTooManyRequests,
	Unavailable:      http.StatusServiceUnavailable,
	Internal:         http.StatusInternalServerError,
}

// ConflictItem names one thing a write collided with.
type ConflictItem struct {
	Kind     string     `json:"kind"`
	ShiftID  int64      `json:"shift_id,omitempty"`
	ID       int64      `json:"id,omitempty"`
	StartsAt *time.Time `json:"starts_at,omitempty"`
	EndsAt   *time.Time `json:"ends_at,omitempty"`
}

// Error is the typed error.
type Error struct {
	Code       Code              `json:"code"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields,omitempty"`
	Conflicts  []ConflictItem    `json:"conflicts,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
	RetryAfter time.Duration     `json:"-"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Status is the HTTP status for the error's code.
func (e *Error) Status() int {
	if s, ok := statusOf[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// New returns an error with code and a formatted message.
func New(code Code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// NotFoundf is the 404 for an object that does not exist or that the caller
// may not know exists.
func NotFoundf(what string) *Error { return New(NotFound, "%s not found", what) }

// Validation returns a 422 listing the fields at fault.
func Validation(fields map[string]string) *Error {
	return &Error{Code: ValidationFailed, Message: "some fields are not valid", Fields: fields}
}

// Field returns a 422 for one field.
func Field(name, why string) *Error { return Validation(map[string]string{name: why}) }

// Stale is the 409 for an outdated version.
func Stale(what string) *Error {
	return New(StaleVersion, "%s was changed by someone else; reload and try again", what)
}

// As returns the typed error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Is reports whether err carries code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// Fields collects per-field problems; Err returns nil when there are none.
type Fields map[string]string

// Add records why name is wrong, keeping the first reason.
func (f Fields) Add(name, why string) {
	if _, ok := f[name]; !ok {
		f[name] = why
	}
}

// Err is the 422 for the collected fields, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Validation(f)
}
