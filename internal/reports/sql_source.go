package reports

import (
	"context"
	"fmt"

	"github.com/crumbcommander/crumb/internal/db"
)

// SQLSource streams the rows of one SELECT. The query runs on its own
// connection and rows are handed on one at a time (bounded memory).
type SQLSource struct {
	DB   *db.DB
	Cols []string
	// Build returns the SELECT and its arguments for a query.
	Build func(q Query) (string, []any)
}

var _ Source = (*SQLSource)(nil)

// Columns are the header names.
func (s *SQLSource) Columns() []string { return s.Cols }

// Stream runs the query.
func (s *SQLSource) Stream(ctx context.Context, q Query, emit func(row []any) error) error {
	query, args := s.Build(q)
	rows, err := s.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("reports: query: %w", err)
	}
	defer rows.Close()
	vals := make([]any, len(s.Cols))
	ptrs := make([]any, len(s.Cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("reports: scan: %w", err)
		}
		if err := emit(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
