package db

import "strings"

// Placeholders returns n comma-separated `?` placeholders for an IN list,
// e.g. "?, ?, ?" for 3. n must be at least 1: an empty IN () is a syntax
// error in both dialects, so callers skip the query for an empty list.
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
