package reports_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestSchedulePDF: a two-week schedule prints as one people × days grid a
// week, headed by the store and the week, numbered "Page n of 2", with the
// Go font embedded (FontFile2) so accented names come out as written.
func TestSchedulePDF(t *testing.T) {
	d := testutil.NewDB(t, db.SQLite)
	e := newEnv(t, d)
	ctx := context.Background()
	r, err := e.svc.Create(ctx, e.admin, reports.Request{Kind: "schedule", Format: "pdf", From: "2026-11-30", To: "2026-12-13"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Export(ctx, r.ID, store); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Get(ctx, e.admin, r.ID)
	if err != nil || got.Status != reports.StatusReady || got.Rows != 2 {
		t.Fatalf("report %+v %v", got, err)
	}
	path := filepath.Join(e.root, filepath.FromSlash(got.Object().Key))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("/FontFile2")) {
		t.Errorf("the PDF does not embed a TrueType font (no /FontFile2)")
	}
	if bytes.Contains(b, []byte("/Helvetica")) {
		t.Errorf("the PDF still uses a non-embedded core font")
	}
	out, err := exec.Command(testutil.LookTool(t, "pdftotext"), "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) < 2 || strings.TrimSpace(pages[len(pages)-1]) == "" && len(pages) < 3 {
		t.Fatalf("want 2 pages, got text:\n%s", out)
	}
	for i, want := range [][]string{
		{"Boulangerie Crème", "Bakery · week of Monday 30 November 2026 to Sunday 6 December 2026", "Mon 30 Nov", "Sun 6 Dec", "Zoë Gagné", "07:00–15:00 Ovens", "Page 1 of 2"},
		{"Boulangerie Crème", "week of Monday 7 December 2026", "Tue 8 Dec", "François Lévesque", "09:00–17:00", "Page 2 of 2"},
	} {
		for _, w := range want {
			if !strings.Contains(pages[i], w) {
				t.Errorf("page %d lacks %q:\n%s", i+1, w, pages[i])
			}
		}
	}
	if strings.Contains(pages[0], "François") {
		t.Errorf("the second week's shift is printed in the first week")
	}
}
