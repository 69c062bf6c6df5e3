package roster

import (
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
)

// FuzzShiftCursor: any cursor a client sends to GET /shifts decodes to a
// position or is a bad_request, never a panic; a decoded position encodes
// to a cursor that decodes to it again. The seeds (f.Add and
// testdata/fuzz/FuzzShiftCursor) run with every go test.
func FuzzShiftCursor(f *testing.F) {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	for _, c := range []string{"", encodeShiftCursor(at, 42), encodeShiftCursor(time.UnixMicro(0), 0),
		encodeShiftCursor(time.UnixMicro(1<<63-1), 1<<63-1), "not*base64!", "MTox", "Ojo", "LTE6LTE", "===", "AA"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		at, id, err := decodeShiftCursor(c)
		if err != nil {
			if !apperr.Is(err, apperr.BadRequest) {
				t.Fatalf("%q: %v is not a bad_request", c, err)
			}
			return
		}
		again, againID, err := decodeShiftCursor(encodeShiftCursor(at, id))
		if err != nil || !again.Equal(at) || againID != id {
			t.Fatalf("%q: (%v, %d) does not round-trip: (%v, %d, %v)", c, at, id, again, againID, err)
		}
	})
}
