package paging_test

import (
	"testing"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/paging"
)

// FuzzDecodeCursor: any cursor a client sends decodes to an id >= 0 or is a
// bad_request, never a panic; a decoded cursor is one EncodeCursor makes.
func FuzzDecodeCursor(f *testing.F) {
	for _, c := range []string{"", paging.EncodeCursor(0), paging.EncodeCursor(42), paging.EncodeCursor(1<<63 - 1),
		"not*base64!", "LTE", "MDE", "KzE", "===", "AA"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		id, err := paging.DecodeCursor(c)
		if err != nil {
			if !apperr.Is(err, apperr.BadRequest) {
				t.Fatalf("%q: %v is not a bad_request", c, err)
			}
			return
		}
		if id < 0 {
			t.Fatalf("%q decodes to %d", c, id)
		}
		if c != "" {
			again, err := paging.DecodeCursor(paging.EncodeCursor(id))
			if err != nil || again != id {
				t.Fatalf("%q: id %d does not round-trip (%d, %v)", c, id, again, err)
			}
		}
	})
}
