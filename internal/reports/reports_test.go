package reports_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// memSource yields fixed rows.
type memSource struct {
	cols []string
	rows [][]any
}

func (m memSource) Columns() []string { return m.cols }
func (m memSource) Stream(ctx context.Context, q reports.Query, emit func([]any) error) error {
	for _, r := range m.rows {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

type queued struct{ ids []int64 }

func (q *queued) EnqueueExport(_ context.Context, id int64) error {
	q.ids = append(q.ids, id)
	return nil
}

// store is the store the exports are built for.
var store = people.Store{Name: "Boulangerie Crème", Timezone: "America/Halifax", WeekStartsOn: 1}

type env struct {
	svc   *reports.Service
	q     *queued
	root  string
	admin auth.Principal
	d     *db.DB
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	clock := testutil.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	ps := &people.Service{W: w, Passwords: testutil.CheapHasher()}
	if err := ps.EnsureStore(context.Background(), "Test", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	first, last, email, pw, role := "Ada", "Admin", "ada@example.com", "a-long-test-password", auth.RoleAdmin
	a, err := ps.CreateEmployee(context.Background(), auth.System, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email, Password: &pw, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	start := time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)
	src := memSource{cols: []string{"employee", "starts_at", "late_minutes", "worked_hours"}, rows: [][]any{
		{"Ann Tester", start, int64(0), 7.5}, {"Bob, \"the baker\"", start.Add(time.Hour), int64(12), 6.25}}}
	sched := memSource{cols: (&reports.ScheduleSource{}).Columns(), rows: [][]any{
		{"2026-11-30", "Mon", "Bakery", "Zoë Gagné", "07:00", "15:00", 8.0, "Ovens", "", int64(11)},
		{"2026-12-08", "Tue", "Bakery", "François Lévesque", "09:00", "17:00", 8.0, "Counter", "", int64(12)}}}
	q := &queued{}
	svc := &reports.Service{W: w, Queue: q, Blob: &blob.Dir{Root: root, BaseURL: "http://crumb.test", Key: make([]byte, 32), Clock: clock.Now},
		Sources: map[string]reports.Source{reports.KindAttendance: src, reports.KindSchedule: sched}}
	return &env{svc: svc, q: q, root: root, admin: auth.Principal{UserID: a.ID, Role: auth.RoleAdmin}, d: d}
}

func TestCreateValidation(t *testing.T) {
	d := testutil.NewDB(t, db.SQLite)
	e := newEnv(t, d)
	dept := int64(3)
	tests := []struct {
		desc string
		p    auth.Principal
		in   reports.Request
		want apperr.Code
	}{
		{"employee may not", auth.Principal{UserID: 9, Role: auth.RoleEmployee}, reports.Request{Kind: "hours", Format: "csv", From: "2026-11-01", To: "2026-11-07"}, apperr.Forbidden},
		{"bad kind", e.admin, reports.Request{Kind: "wages", Format: "csv", From: "2026-11-01", To: "2026-11-07"}, apperr.ValidationFailed},
		{"pdf only for schedule", e.admin, reports.Request{Kind: "hours", Format: "pdf", From: "2026-11-01", To: "2026-11-07"}, apperr.ValidationFailed},
		{"to before from", e.admin, reports.Request{Kind: "hours", Format: "csv", From: "2026-11-07", To: "2026-11-01"}, apperr.ValidationFailed},
		{"manager needs a department", auth.Principal{UserID: 9, Role: auth.RoleManager, DeptIDs: []int64{3}}, reports.Request{Kind: "hours", Format: "csv", From: "2026-11-01", To: "2026-11-07"}, apperr.ValidationFailed},
		{"manager of another department", auth.Principal{UserID: 9, Role: auth.RoleManager, DeptIDs: []int64{4}}, reports.Request{Kind: "hours", Format: "csv", From: "2026-11-01", To: "2026-11-07", DepartmentID: &dept}, apperr.Forbidden},
	}
	for _, tc := range tests {
		_, err := e.svc.Create(context.Background(), tc.p, tc.in)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != tc.want {
			t.Errorf("%s: err = %v, want %s", tc.desc, err, tc.want)
		}
	}
}

func TestExportOnceEachFormat(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		tests := []struct {
			desc, kind, format string
			check              func(t *testing.T, b []byte)
		}{
			{"attendance csv", "attendance", "csv", func(t *testing.T, b []byte) {
				want := "employee,starts_at,late_minutes,worked_hours\nAnn Tester,2026-11-30 09:00,0,7.50\n\"Bob, \"\"the baker\"\"\",2026-11-30 10:00,12,6.25\n"
				if string(b) != want {
					t.Errorf("csv:\n%s", b)
				}
			}},
			{"attendance xlsx", "attendance", "xlsx", func(t *testing.T, b []byte) {
				x, err := excelize.OpenReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				rows, _ := x.GetRows("Sheet1")
				if len(rows) != 3 || rows[2][0] != `Bob, "the baker"` || rows[1][1] != "2026-11-30 09:00" {
					t.Errorf("xlsx rows %v", rows)
				}
			}},
			{"schedule pdf", "schedule", "pdf", func(t *testing.T, b []byte) {
				if !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 500 {
					t.Errorf("pdf of %d bytes: %q", len(b), b[:min(20, len(b))])
				}
			}},
		}
		for _, tc := range tests {
			r, err := e.svc.Create(ctx, e.admin, reports.Request{Kind: tc.kind, Format: tc.format, From: "2026-11-30", To: "2026-12-06"})
			if err != nil || r.Status != reports.StatusQueued {
				t.Fatalf("%s: create %+v %v", tc.desc, r, err)
			}
			for i := 0; i < 2; i++ { // a redelivered task does nothing more
				if err := e.svc.Export(ctx, r.ID, store); err != nil {
					t.Fatalf("%s: export: %v", tc.desc, err)
				}
			}
			got, err := e.svc.Get(ctx, e.admin, r.ID)
			if err != nil || got.Status != reports.StatusReady || got.Rows != 2 || !strings.Contains(got.DownloadURL, "sig=") {
				t.Fatalf("%s: get %+v %v", tc.desc, got, err)
			}
			b, err := os.ReadFile(filepath.Join(e.root, filepath.FromSlash(got.Object().Key)))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
			if _, err := e.svc.Get(ctx, auth.Principal{UserID: 999, Role: auth.RoleManager}, r.ID); err == nil {
				t.Errorf("%s: another manager sees the report", tc.desc)
			}
		}
		evs := readyEvents(t, d, e.admin.UserID)
		if len(evs) != 3 {
			t.Errorf("%d report.ready events, want 3 (one per report)", len(evs))
		}
	})
}

func TestExportFailsWithReason(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		r, err := e.svc.Create(ctx, e.admin, reports.Request{Kind: "hours", Format: "csv", From: "2026-11-30", To: "2026-12-06"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Export(ctx, r.ID, people.Store{Timezone: "UTC", WeekStartsOn: 1}); err != nil {
			t.Fatal(err)
		}
		got, _ := e.svc.Get(ctx, e.admin, r.ID)
		if got.Status != reports.StatusFailed || got.Reason == "" || got.DownloadURL != "" {
			t.Errorf("report %+v", got)
		}
		evs := readyEvents(t, d, e.admin.UserID)
		if len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"status":"failed"`) {
			t.Errorf("events %v", evs)
		}
	})
}

func readyEvents(t *testing.T, d *db.DB, user int64) []outbox.Event {
	t.Helper()
	all, err := outbox.Reader{DB: d}.After(context.Background(), 0, []string{outbox.UserTopic(user)}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []outbox.Event
	for _, e := range all {
		if e.Type == reports.EventReady {
			out = append(out, e)
		}
	}
	return out
}

// TestListOwnReports: the list holds only the caller's reports, newest
// first, pages by cursor, and gives ready ones a download link; kinds name
// their formats and a format a kind lacks is refused.
func TestListOwnReports(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var ids []int64
		for _, day := range []string{"2026-11-02", "2026-11-09", "2026-11-16"} {
			r, err := e.svc.Create(ctx, e.admin, reports.Request{Kind: "attendance", Format: "csv", From: day, To: day})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		if err := e.svc.Export(ctx, ids[2], store); err != nil {
			t.Fatal(err)
		}
		page, err := e.svc.List(ctx, e.admin, paging.ListParams{Limit: 2})
		if err != nil || len(page.Items) != 2 || page.NextCursor == "" {
			t.Fatalf("first page %+v %v", page, err)
		}
		if page.Items[0].ID != ids[2] || page.Items[0].Status != reports.StatusReady || !strings.Contains(page.Items[0].DownloadURL, "sig=") ||
			page.Items[1].ID != ids[1] || page.Items[1].DownloadURL != "" {
			t.Errorf("first page %+v", page.Items)
		}
		rest, err := e.svc.List(ctx, e.admin, paging.ListParams{Limit: 2, Cursor: page.NextCursor})
		if err != nil || len(rest.Items) != 1 || rest.Items[0].ID != ids[0] || rest.NextCursor != "" {
			t.Errorf("second page %+v %v", rest, err)
		}
		other, err := e.svc.List(ctx, auth.Principal{UserID: e.admin.UserID + 100, Role: auth.RoleManager, DeptIDs: []int64{1}}, paging.ListParams{})
		if err != nil || len(other.Items) != 0 {
			t.Errorf("another person lists %+v %v", other, err)
		}
	})
	formats := map[string]string{}
	for _, k := range reports.Kinds() {
		formats[k.Kind] = strings.Join(k.Formats, ",")
	}
	if formats["hours"] != "csv,xlsx" || formats["attendance"] != "csv,xlsx" || formats["schedule"] != "csv,xlsx,pdf" {
		t.Errorf("kinds %v", formats)
	}
	_, err := newEnv(t, testutil.NewDB(t, db.SQLite)).svc.Create(context.Background(), auth.Principal{UserID: 1, Role: auth.RoleAdmin},
		reports.Request{Kind: "attendance", Format: "pdf", From: "2026-11-02", To: "2026-11-08"})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Fields["format"] != "attendance reports come as csv, xlsx" {
		t.Errorf("attendance pdf: %v", err)
	}
}
