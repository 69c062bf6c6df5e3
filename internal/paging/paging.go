// Package paging is the keyset paging every list endpoint shares: the page
// shape, the limit and cursor parameters, and opaque id cursors.
package paging

import (
	"database/sql"
	"encoding/base64"
	"strconv"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
)

// Page limits of list endpoints.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ListParams are the paging parameters of every list.
type ListParams struct {
	Limit  int
	Cursor string
}

// Normalize applies the default and maximum limit.
func (p ListParams) Normalize() (ListParams, error) {
	switch {
	case p.Limit == 0:
		p.Limit = DefaultLimit
	case p.Limit < 0 || p.Limit > MaxLimit:
		return p, apperr.New(apperr.BadRequest, "limit must be between 1 and %d", MaxLimit)
	}
	return p, nil
}

// EncodeCursor makes an opaque cursor from the last id of a page.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

// DecodeCursor reads a cursor; "" is the first page.
func DecodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, apperr.New(apperr.BadRequest, "cursor is not valid")
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id < 0 {
		return 0, apperr.New(apperr.BadRequest, "cursor is not valid")
	}
	return id, nil
}

// ReadPage scans rows, queried ordered by id with LIMIT limit+1, into a page
// whose cursor is the id of its last item. It closes rows.
func ReadPage[T any](rows *sql.Rows, limit int, scan func(db.Scanner) (T, error), id func(T) int64) (Page[T], error) {
	items, err := db.Collect(rows, scan)
	if err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Items: items}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.NextCursor = EncodeCursor(id(out.Items[limit-1]))
	}
	return out, nil
}
