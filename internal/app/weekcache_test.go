package app

import (
	"fmt"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestWeekCacheAcrossNodes: node A's cached week forgets a write made
// through node B once A's hub dispatches B's event, before A's sockets hear
// it (a client that reloads on the event reads the new state). Entries
// never age out here, so only the hub's observer can make A's answer fresh.
func TestWeekCacheAcrossNodes(t *testing.T) {
	_, rdb := testutil.Redis(t)
	redisURL := fmt.Sprintf("redis://%s/%d", testutil.RedisAddr(), rdb)
	u := testutil.NewDBURL(t, db.MySQL)
	a := startNode(t, nodeOpts{DatabaseURL: u, RedisURL: redisURL, WeekMaxAge: time.Hour})
	b := startNode(t, nodeOpts{DatabaseURL: u, RedisURL: redisURL})
	f := a.fixture()
	c := a.dial(f.Manager, "")
	c.until("ready", nil)
	untilEvent := func(typ string) {
		t.Helper()
		for fr := c.until("event", nil); fr.Event != typ; fr = c.until("event", nil) {
		}
	}
	var sh struct {
		ID int64 `json:"id"`
	}
	if code := a.do("POST", "/api/v1/shifts", f.Manager, map[string]any{"department_id": f.DeptID,
		"starts_at": "2027-01-05T09:00:00-04:00", "ends_at": "2027-01-05T17:00:00-04:00", "notes": "first"}, &sh); code != 201 {
		t.Fatalf("create: %d", code)
	}
	untilEvent("shift.created") // A's hub is past its own write
	path := fmt.Sprintf("/api/v1/shifts?department_id=%d&from=2027-01-04&to=2027-01-11", f.DeptID)
	notes := func(n *node) string {
		t.Helper()
		var page struct {
			Items []struct {
				Notes string `json:"notes"`
			} `json:"items"`
		}
		if code := n.do("GET", path, f.Manager, nil, &page); code != 200 || len(page.Items) != 1 {
			t.Fatalf("read: %d %+v", code, page)
		}
		return page.Items[0].Notes
	}
	for range 2 { // filled, then cached
		if got := notes(a); got != "first" {
			t.Fatalf("notes %q", got)
		}
	}
	if code := b.do("PATCH", fmt.Sprintf("/api/v1/shifts/%d", sh.ID), f.Manager, map[string]any{"notes": "second"}, nil); code != 200 {
		t.Fatalf("patch on B: %d", code)
	}
	untilEvent("shift.updated")
	if got := notes(a); got != "second" {
		t.Fatalf("node A answers %q after B's write reached its hub", got)
	}
}
