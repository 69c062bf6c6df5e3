package hub

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestTextFrameLengths: frames built by textFrame and written straight to
// an upgraded connection read back whole through coder/websocket's client,
// at every length encoding and its edges (7-bit up to 125, 16-bit from 126
// to 65535, 64-bit beyond), with the library's own control frames (ping)
// in between.
func TestTextFrameLengths(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 1000, 65535, 65536, 200000}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := NewUpgrade(w)
		ws, err := websocket.Accept(up, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		closed := make(chan struct{})
		go func() { // reads the pongs, then the client's close
			defer close(closed)
			ws.Read(ctx)
		}()
		for _, n := range sizes {
			f := textFrame(bytes.Repeat([]byte{'a' + byte(n%26)}, n))
			if _, err := up.wire.conn.Write(f); err != nil {
				t.Error(err)
				return
			}
			if err := ws.Ping(ctx); err != nil && !strings.Contains(err.Error(), "closed") {
				// the client reads concurrently, so the pong comes back
				t.Errorf("ping: %v", err)
			}
		}
		<-closed
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	for _, n := range sizes {
		typ, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("frame of %d bytes: %v", n, err)
		}
		if typ != websocket.MessageText || len(b) != n || (n > 0 && (b[0] != 'a'+byte(n%26) || b[n-1] != b[0])) {
			t.Fatalf("frame of %d bytes read as %v, %d bytes", n, typ, len(b))
		}
	}
	ws.Close(websocket.StatusNormalClosure, "")
}
