package comms_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/comms"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/roster"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// world is a store with two departments, a manager and an employee of the
// first, an employee of the second, and a kiosk.
type world struct {
	t          *testing.T
	d          *db.DB
	clock      *testutil.Clock
	ps         *people.Service
	svc        *comms.Service
	bakery     int64
	front      int64
	admin      auth.Principal
	mgr        auth.Principal
	ann, other auth.Principal
	kiosk      auth.Principal
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	ps := &people.Service{W: w, Passwords: testutil.CheapHasher()}
	if err := ps.EnsureStore(ctx, "Test Store", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	wd := &world{t: t, d: d, clock: clock, ps: ps, svc: &comms.Service{W: w, People: ps}}
	wd.bakery = wd.dept("Bakery")
	wd.front = wd.dept("Front")
	wd.admin = auth.Principal{UserID: wd.person("Ada", "ada@example.com", auth.RoleAdmin, nil), Role: auth.RoleAdmin}
	wd.mgr = wd.principal("Mia", "mia@example.com", auth.RoleManager, wd.bakery)
	wd.ann = wd.principal("Ann", "ann@example.com", auth.RoleEmployee, wd.bakery)
	wd.other = wd.principal("Oli", "oli@example.com", auth.RoleEmployee, wd.front)
	wd.kiosk = wd.principal("Kiosk", "kiosk@example.com", auth.RoleKiosk, wd.bakery)
	return wd
}

func (w *world) dept(name string) int64 {
	w.t.Helper()
	color := "#aa5500"
	d, err := w.ps.CreateDepartment(context.Background(), auth.System, people.DepartmentInput{Name: &name, Color: &color})
	if err != nil {
		w.t.Fatal(err)
	}
	return d.ID
}

func (w *world) person(first, email string, role auth.Role, depts []int64) int64 {
	w.t.Helper()
	last, pw := "Tester", "a-long-test-password"
	if depts == nil {
		depts = []int64{}
	}
	e, err := w.ps.CreateEmployee(context.Background(), auth.System, people.EmployeeInput{FirstName: &first, LastName: &last,
		Email: &email, Role: &role, DepartmentIDs: &depts, Password: &pw})
	if err != nil {
		w.t.Fatalf("create %s: %v", email, err)
	}
	return e.ID
}

func (w *world) principal(first, email string, role auth.Role, dept int64) auth.Principal {
	return auth.Principal{UserID: w.person(first, email, role, []int64{dept}), Role: role, DeptIDs: []int64{dept}}
}

func (w *world) count(table string) int {
	w.t.Helper()
	var n int
	if err := w.d.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) events(typ string) int {
	w.t.Helper()
	var n int
	if err := w.d.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM events WHERE type = ?", typ).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func TestPostRefusesBadInputAndWritesNothing(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		ok := comms.AnnouncementInput{Title: "Inventory", Body: "Count the flour.", DepartmentIDs: []int64{w.bakery}}
		past := w.clock.Now().Add(-time.Hour)
		cases := []struct {
			desc string
			p    auth.Principal
			edit func(in *comms.AnnouncementInput)
			code apperr.Code
		}{
			{"body over 4,000 characters", w.mgr, func(in *comms.AnnouncementInput) { in.Body = strings.Repeat("é", comms.MaxBody+1) }, apperr.ValidationFailed},
			{"title over 200 characters", w.mgr, func(in *comms.AnnouncementInput) { in.Title = strings.Repeat("x", comms.MaxTitle+1) }, apperr.ValidationFailed},
			{"empty body", w.mgr, func(in *comms.AnnouncementInput) { in.Body = "  " }, apperr.ValidationFailed},
			{"unknown department", w.admin, func(in *comms.AnnouncementInput) { in.DepartmentIDs = []int64{w.bakery, 99999} }, apperr.ValidationFailed},
			{"no department", w.mgr, func(in *comms.AnnouncementInput) { in.DepartmentIDs = nil }, apperr.ValidationFailed},
			{"NUL in the title", w.mgr, func(in *comms.AnnouncementInput) { in.Title = "a\x00b" }, apperr.ValidationFailed},
			{"bidi override in the body", w.mgr, func(in *comms.AnnouncementInput) { in.Body = "pay \u202eevil" }, apperr.ValidationFailed},
			{"expiry in the past", w.mgr, func(in *comms.AnnouncementInput) { in.ExpiresAt = &past }, apperr.ValidationFailed},
			{"manager to another department", w.mgr, func(in *comms.AnnouncementInput) { in.DepartmentIDs = []int64{w.front} }, apperr.Forbidden},
			{"manager to the whole store", w.mgr, func(in *comms.AnnouncementInput) { in.DepartmentIDs, in.StoreWide = nil, true }, apperr.Forbidden},
			{"employee", w.ann, func(*comms.AnnouncementInput) {}, apperr.Forbidden},
			{"kiosk", w.kiosk, func(*comms.AnnouncementInput) {}, apperr.Forbidden},
		}
		for _, c := range cases {
			in := ok
			c.edit(&in)
			_, err := w.svc.Post(ctx, c.p, in)
			if !apperr.Is(err, c.code) {
				t.Errorf("%s: err = %v, want %s", c.desc, err, c.code)
			}
		}
		if n := w.count("announcements") + w.count("announcement_departments") + w.events(comms.EventAnnouncementPosted); n != 0 {
			t.Errorf("refused posts wrote %d rows", n)
		}
		// Exactly 4,000 characters is fine.
		in := ok
		in.Body = strings.Repeat("é", comms.MaxBody)
		if _, err := w.svc.Post(ctx, w.mgr, in); err != nil {
			t.Fatalf("4,000 characters: %v", err)
		}
	})
}

func TestAnnouncementsListedReadAndAcknowledged(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		soon := w.clock.Now().Add(time.Hour)
		old, err := w.svc.Post(ctx, w.mgr, comms.AnnouncementInput{Title: "Old", Body: "first", DepartmentIDs: []int64{w.bakery}})
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Minute)
		expiring, _ := w.svc.Post(ctx, w.mgr, comms.AnnouncementInput{Title: "Today only", Body: "b", DepartmentIDs: []int64{w.bakery}, ExpiresAt: &soon})
		w.clock.Advance(time.Minute)
		pinned, err := w.svc.Post(ctx, w.admin, comms.AnnouncementInput{Title: "Safety", Body: "Read https://example.com/safety", StoreWide: true, Pinned: true, NeedsAck: true})
		if err != nil {
			t.Fatal(err)
		}
		front, _ := w.svc.Post(ctx, w.admin, comms.AnnouncementInput{Title: "Front only", Body: "x", DepartmentIDs: []int64{w.front}})
		// A store-wide post goes to every department's topic.
		if n := w.events(comms.EventAnnouncementPosted); n != 5 {
			t.Errorf("%d announcement.posted events, want 5 (1 + 1 + 2 store-wide + 1)", n)
		}

		titles := func(p auth.Principal) []string {
			list, err := w.svc.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range list {
				out = append(out, a.Title)
			}
			return out
		}
		if got := strings.Join(titles(w.ann), ","); got != "Safety,Today only,Old" {
			t.Errorf("ann's list %s, want pinned first then newest", got)
		}
		if got := strings.Join(titles(w.other), ","); got != "Safety,Front only" {
			t.Errorf("oli's list %s", got)
		}
		if _, err := w.svc.List(ctx, w.kiosk); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("kiosk list: %v", err)
		}
		if _, err := w.svc.Announcement(ctx, w.ann, front.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("ann reads a Front post: %v", err)
		}
		w.clock.Advance(2 * time.Hour)
		if got := strings.Join(titles(w.ann), ","); got != "Safety,Old" {
			t.Errorf("after expiry ann's list %s", got)
		}
		_ = expiring

		// Seen: once per person; posts not addressed to the caller are skipped.
		reads, err := w.svc.MarkSeen(ctx, w.ann, comms.SeenInput{IDs: []int64{pinned.ID, old.ID, front.ID}})
		if err != nil || len(reads) != 2 {
			t.Fatalf("mark seen: %v %+v", err, reads)
		}
		if again, _ := w.svc.MarkSeen(ctx, w.ann, comms.SeenInput{IDs: []int64{pinned.ID, old.ID}}); len(again) != 0 {
			t.Errorf("seen twice recorded %+v", again)
		}
		if _, err := w.svc.Acknowledge(ctx, w.ann, old.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("ack of a post without acknowledgement: %v", err)
		}
		r, err := w.svc.Acknowledge(ctx, w.ann, pinned.ID)
		if err != nil || r.Status != "acknowledged" || r.SeenAt == nil {
			t.Fatalf("ack: %v %+v", err, r)
		}
		if _, err := w.svc.Acknowledge(ctx, w.kiosk, pinned.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("kiosk ack: %v", err)
		}

		// The admin sees every recipient of the store-wide post.
		all, err := w.svc.Reads(ctx, w.admin, pinned.ID)
		if err != nil {
			t.Fatal(err)
		}
		status := map[int64]string{}
		for _, r := range all {
			status[r.UserID] = r.Status
		}
		if status[w.ann.UserID] != "acknowledged" || status[w.other.UserID] != "not_yet" || status[w.mgr.UserID] != "not_yet" {
			t.Errorf("reads %+v", all)
		}
		if _, ok := status[w.kiosk.UserID]; ok {
			t.Errorf("a kiosk is a recipient: %+v", all)
		}
		// A manager sees the reads of their department's post, not the store's.
		mine, err := w.svc.Reads(ctx, w.mgr, old.ID)
		if err != nil || len(mine) != 2 {
			t.Fatalf("manager's reads: %v %+v", err, mine)
		}
		if _, err := w.svc.Reads(ctx, w.mgr, pinned.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("manager reads of a store-wide post: %v", err)
		}
		if _, err := w.svc.Reads(ctx, w.ann, old.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("employee reads: %v", err)
		}
		_, ids, err := w.svc.Recipients(ctx, old.ID)
		if err != nil || len(ids) != 1 || ids[0] != w.ann.UserID {
			t.Errorf("recipients of the manager's post %v %v (author left out)", ids, err)
		}
	})
}

func TestScheduleAcknowledgement(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		week := comms.WeekInput{DepartmentID: w.bakery, WeekStart: "2026-12-07"}
		publish := func() {
			t.Helper()
			err := w.svc.W.Do(ctx, func(tx *outbox.Tx) error {
				return w.svc.RecordPublish(ctx, tx, roster.Published{DepartmentID: w.bakery, WeekStart: week.WeekStart, EmployeeIDs: []int64{w.ann.UserID, w.mgr.UserID}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		publish()
		rows, err := w.svc.WeekAcks(ctx, w.mgr, week)
		if err != nil || len(rows) != 2 || rows[0].Status != "not_yet" {
			t.Fatalf("week acks %v %+v", err, rows)
		}
		pending, _ := w.svc.PendingReminders(ctx, nil)
		if len(pending) != 1 || !pending[0].At.Equal(w.clock.Now().Add(24*time.Hour)) {
			t.Errorf("pending reminders %+v, want one 24 h after the publish", pending)
		}
		if _, err := w.svc.WeekAcks(ctx, w.ann, week); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("employee lists acks: %v", err)
		}
		if _, err := w.svc.WeekAcks(ctx, w.mgr, comms.WeekInput{DepartmentID: w.front, WeekStart: week.WeekStart}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("manager lists another department: %v", err)
		}
		if _, err := w.svc.AcknowledgeWeek(ctx, w.kiosk, week); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("kiosk acks: %v", err)
		}
		if _, err := w.svc.AcknowledgeWeek(ctx, w.other, week); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("someone not asked acks: %v", err)
		}
		if _, err := w.svc.AcknowledgeWeek(ctx, w.ann, comms.WeekInput{DepartmentID: w.bakery, WeekStart: "next week"}); !apperr.Is(err, apperr.ValidationFailed) {
			t.Errorf("bad week: %v", err)
		}
		mine, _ := w.svc.MyAcks(ctx, w.ann)
		if len(mine) != 1 || mine[0].DepartmentName != "Bakery" {
			t.Fatalf("ann's pending weeks %+v", mine)
		}
		if a, err := w.svc.MarkWeekSeen(ctx, w.ann, week); err != nil || a.Status != "seen" {
			t.Fatalf("seen: %v %+v", err, a)
		}
		before := w.events(comms.EventScheduleAck)
		w.svc.MarkWeekSeen(ctx, w.ann, week)
		if n := w.events(comms.EventScheduleAck); n != before {
			t.Errorf("seen twice emitted %d more events", n-before)
		}

		// The link: works once, for its person and week; reused or
		// expired is 410, unknown 404, and those write nothing.
		tok, err := w.svc.IssueAckLink(ctx, w.mgr.UserID, week)
		if err != nil {
			t.Fatal(err)
		}
		a, err := w.svc.AcknowledgeByLink(ctx, comms.LinkInput{Token: tok})
		if err != nil || a.UserID != w.mgr.UserID || a.Status != "acknowledged" {
			t.Fatalf("by link: %v %+v", err, a)
		}
		events := w.events(comms.EventScheduleAck)
		_, err = w.svc.AcknowledgeByLink(ctx, comms.LinkInput{Token: tok})
		wantCode(t, err, apperr.Gone)
		_, err = w.svc.AcknowledgeByLink(ctx, comms.LinkInput{Token: "crumbl_nope"})
		wantCode(t, err, apperr.NotFound)
		late, _ := w.svc.IssueAckLink(ctx, w.ann.UserID, week)
		w.clock.Advance(comms.AckLinkTTL + time.Minute)
		_, err = w.svc.AcknowledgeByLink(ctx, comms.LinkInput{Token: late})
		wantCode(t, err, apperr.Gone)
		if n := w.events(comms.EventScheduleAck); n != events {
			t.Errorf("refused links emitted %d events", n-events)
		}
		rows, _ = w.svc.WeekAcks(ctx, w.mgr, week)
		got := map[int64]string{}
		for _, r := range rows {
			got[r.UserID] = r.Status
		}
		if got[w.ann.UserID] != "seen" || got[w.mgr.UserID] != "acknowledged" {
			t.Errorf("statuses %v", got)
		}
		if pending, _ := w.svc.PendingReminders(ctx, &week); len(pending) != 1 {
			t.Errorf("pending after one ack %+v (ann still owes one)", pending)
		}

		// A new publish to the same people asks again.
		publish()
		rows, _ = w.svc.WeekAcks(ctx, w.mgr, week)
		for _, r := range rows {
			if r.Status != "not_yet" {
				t.Errorf("after a new publish %s is %s", r.Name, r.Status)
			}
		}
	})
}

// Many people marking the same post seen at once: their calls share
// transactions, and each gets exactly their own read.
func TestMarkSeenConcurrentCallers(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		a, err := w.svc.Post(ctx, w.admin, comms.AnnouncementInput{Title: "All", Body: "b", StoreWide: true})
		if err != nil {
			t.Fatal(err)
		}
		var readers []auth.Principal
		for i := range 30 {
			readers = append(readers, w.principal(fmt.Sprintf("P%d", i), fmt.Sprintf("p%d@example.com", i), auth.RoleEmployee, w.bakery))
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(readers))
		for _, p := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reads, err := w.svc.MarkSeen(ctx, p, comms.SeenInput{IDs: []int64{a.ID, a.ID, 99999}})
				if err == nil && (len(reads) != 1 || reads[0].UserID != p.UserID) {
					err = fmt.Errorf("reads of %d: %+v", p.UserID, reads)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		var n int
		d.QueryRowContext(ctx, "SELECT COUNT(*) FROM announcement_reads WHERE announcement_id = ?", a.ID).Scan(&n)
		if n != len(readers) {
			t.Errorf("%d reads recorded, want %d", n, len(readers))
		}
	})
}
