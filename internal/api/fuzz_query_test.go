package api_test

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/db"
)

// FuzzListQuery sends any cursor, date range and status to the lists that
// take them (shifts keyset cursors, employees and audit id cursors): an
// answer or an error in the API shape, never a 500. The seeds (f.Add and
// testdata/fuzz/FuzzListQuery) run with every go test.
func FuzzListQuery(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", ""}, {"MTc2NDU4MTQwMDAwMDAwMDo0Mg", "2026-11-30", "2026-12-07"}, {"not*base64!", "2026-02-30", "x"},
		{"LTE6LTE", "2026-12-01T09:00:00Z", "published"}, {"Ojo", "0000-01-01", "draft"}, {"AA", "9999-12-31T23:59:59+14:00", "\x00"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	s := apptest.Start(f, db.SQLite, apptest.Options{})
	admin := s.AdminToken()
	f.Fuzz(func(t *testing.T, cursor, date, status string) {
		s := on(s, t)
		for _, path := range []string{
			"/api/v1/shifts?" + url.Values{"cursor": {cursor}, "from": {date}, "to": {date}, "status": {status}}.Encode(),
			"/api/v1/employees?" + url.Values{"cursor": {cursor}}.Encode(),
			"/api/v1/audit?" + url.Values{"cursor": {cursor}, "from": {date}, "entity": {status}}.Encode(),
		} {
			checkAnswer(t, "GET "+strconv.Quote(path), s.Do("GET", path, admin, nil))
		}
	})
}
