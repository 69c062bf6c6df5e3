package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
)

// FuzzClientMessages plays any client message to a live socket, followed
// by a ping: no panic, the socket stays open and answers the ping, and every
// frame the message caused is JSON; an error frame is in the API error
// shape and never internal. The "echo" handler decodes strictly, as the
// product's handlers (bakery.count) do.
func FuzzClientMessages(f *testing.F) {
	for _, m := range []string{`{"type":"echo","n":1}`, `{"type":"echo","n":"x"}`, `{"type":"echo","n":1,"x":2}`,
		`{"type":"echo","note":"\u202e"}`, `{"type":"ping"}`, `{"type":"nope"}`, `{"type":""}`, `{}`, `[]`, `null`, `x`, ``,
		`{"type":"echo"` + string(rune(0)) + `}`} {
		f.Add(m)
	}
	h := startHub(f, Options{}, func(h *Hub) {
		h.Handle("echo", func(_ context.Context, _ auth.Principal, raw []byte) (any, error) {
			var in struct {
				Type string `json:"type"`
				N    int    `json:"n"`
				Note string `json:"note"`
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				return nil, apperr.New(apperr.BadRequest, "an echo message has n and note")
			}
			if err := apperr.CheckText(&in); err != nil {
				return nil, err
			}
			return map[string]any{"type": "echoed", "n": in.N}, nil
		})
	})
	s := h.connect(auth.Principal{UserID: 7, Role: auth.RoleEmployee}, 0, false)
	pings := 0
	f.Fuzz(func(t *testing.T, msg string) {
		s.mu.Lock()
		from := len(s.msgs)
		s.mu.Unlock()
		s.send(msg)
		s.send(`{"type":"ping"}`)
		pings++
		want := pings + countPongs(msg)
		deadline := time.Now().Add(5 * time.Second)
		for {
			s.mu.Lock()
			msgs, code := append([]string(nil), s.msgs...), s.code
			s.mu.Unlock()
			if code != 0 {
				t.Fatalf("%q closed the socket: %d", msg, code)
			}
			pongs := 0
			for _, m := range msgs {
				if m == `{"type":"pong"}` {
					pongs++
				}
			}
			if pongs >= want {
				for _, m := range msgs[from:] {
					var fr frameMsg
					var e struct {
						Error *apperr.Error `json:"error"`
					}
					if json.Unmarshal([]byte(m), &fr) != nil || json.Unmarshal([]byte(m), &e) != nil {
						t.Fatalf("%q: frame %q is not JSON", msg, m)
					}
					if fr.Type == "error" && (e.Error == nil || e.Error.Code == "" || e.Error.Code == apperr.Internal || e.Error.Message == "") {
						t.Fatalf("%q: error frame %q", msg, m)
					}
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q: no pong within 5 s (%d of %d)", msg, pongs, want)
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// countPongs is how many pongs msg itself asks for (a fuzzed ping), so far
// as the hub reads it as one.
func countPongs(msg string) int {
	var m struct {
		Type string `json:"type"`
	}
	if json.Unmarshal([]byte(msg), &m) == nil && m.Type == "ping" {
		return 1
	}
	return 0
}
