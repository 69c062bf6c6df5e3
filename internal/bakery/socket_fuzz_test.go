package bakery_test

import (
	"context"
	"testing"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// FuzzSocketCount hands bakery.count any WebSocket client message from a
// baker: no panic, and an error is always an API error (the hub sends it
// to the client in the error shape) other than internal.
func FuzzSocketCount(f *testing.F) {
	for _, m := range []string{
		`{"type":"bakery.count","date":"2026-03-08","kind":"bake","item_id":1,"delta":1,"ref":"r1"}`,
		`{"type":"bakery.count","date":"2026-03-08","kind":"waste","item_id":1,"count":3,"version":1}`,
		`{"type":"bakery.count","date":"2026-13-40","kind":"bake","item_id":1,"delta":1}`,
		`{"type":"bakery.count","date":"2026-03-08","kind":"bake","item_id":-1,"delta":-9223372036854775808}`,
		`{"type":"bakery.count","ref":"\u202e","date":"2026-03-08","kind":"bake","item_id":1,"delta":1}`,
		`{"type":"bakery.count","ref":"a\u0000b"}`,
		`{"type":"bakery.count","extra":true}`, `{}`, `[]`, `null`, `"x"`, ``,
	} {
		f.Add(m)
	}
	e := newEnv(f, testutil.NewDB(f, db.SQLite))
	f.Fuzz(func(t *testing.T, msg string) {
		_, err := e.svc.HandleSocketCount(context.Background(), e.baker, []byte(msg))
		if err == nil {
			return
		}
		ae, ok := apperr.As(err)
		if !ok || ae.Status() >= 500 || ae.Message == "" {
			t.Fatalf("%q: %v", msg, err)
		}
	})
}
