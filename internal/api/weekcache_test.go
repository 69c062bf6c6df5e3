package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// get answers a GET's status, content type and body as sent.
func (e *env) get(path, token string) (int, string, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// TestWeekReadAPI: GET /shifts for a department's week answers, from the
// database or from the week cache, byte for byte what Gin's c.JSON rendered
// for the page before the cache, with the same content type; and a write
// through the API is seen by the next read.
func TestWeekReadAPI(t *testing.T) {
	for _, dialect := range testutil.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			e := newEnv(t, dialect)
			dept := e.dept("A")
			mgrID, mgr := e.person(auth.RoleManager, dept)
			empID, emp := e.person(auth.RoleEmployee, dept)
			var draft shiftJSON
			if code := e.call("POST", "/shifts", mgr, map[string]any{"department_id": dept, "employee_id": empID,
				"starts_at": at("2026-12-01 09:00"), "ends_at": at("2026-12-01 17:00"), "notes": `<b>"keys" & smile</b>`}, &draft); code != 201 {
				t.Fatalf("create: %d", code)
			}
			if code := e.call("POST", "/shifts", mgr, map[string]any{"department_id": dept, "status": "published",
				"starts_at": at("2026-12-02 09:00"), "ends_at": at("2026-12-02 17:00")}, nil); code != 201 {
				t.Fatalf("create: %d", code)
			}
			filter := roster.ShiftFilter{DepartmentID: dept, From: "2026-11-30", To: "2026-12-07"}
			path := fmt.Sprintf("/shifts?department_id=%d&from=%s&to=%s", dept, filter.From, filter.To)
			rendered := func(p auth.Principal) (string, []byte) {
				page, err := e.a.Roster.ListShifts(context.Background(), p, filter, paging.ListParams{})
				if err != nil {
					t.Fatal(err)
				}
				w := httptest.NewRecorder()
				c, _ := gin.CreateTestContext(w)
				c.JSON(http.StatusOK, page)
				return w.Header().Get("Content-Type"), w.Body.Bytes()
			}
			for _, who := range []struct {
				desc  string
				token string
				p     auth.Principal
			}{
				{"manager", mgr, auth.Principal{UserID: mgrID, Role: auth.RoleManager, DeptIDs: []int64{dept}}},
				{"employee", emp, auth.Principal{UserID: empID, Role: auth.RoleEmployee, DeptIDs: []int64{dept}}},
			} {
				wantType, want := rendered(who.p)
				for _, read := range []string{"first", "cached"} {
					code, typ, got := e.get(path, who.token)
					if code != 200 || typ != wantType || !bytes.Equal(got, want) {
						t.Fatalf("%s, %s read: %d %q %s\nwant %q %s", who.desc, read, code, typ, got, wantType, want)
					}
				}
			}
			if code := e.call("PATCH", fmt.Sprintf("/shifts/%d", draft.ID), mgr, map[string]any{"notes": "changed"}, nil); code != 200 {
				t.Fatalf("patch: %d", code)
			}
			if _, _, got := e.get(path, mgr); !bytes.Contains(got, []byte(`"notes":"changed"`)) {
				t.Fatalf("read after the write: %s", got)
			}
		})
	}
}
