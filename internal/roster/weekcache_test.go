package roster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// withWeekCache gives the fixture's service a week cache that hears the
// writer's commits, as internal/app wires it. Entries never age out, so
// only the generations can make an answer fresh.
func (f *fixture) withWeekCache() *fixture {
	f.svc.Weeks = NewWeekCache()
	f.svc.Weeks.MaxAge = time.Hour
	f.svc.W.SetCommitHook(f.svc.Weeks.Committed)
	return f
}

// weekOf is the week view of dept starting on Monday day (a date).
func weekOf(dept int64, day string) ShiftFilter {
	from, _ := time.Parse(time.DateOnly, day)
	return ShiftFilter{DepartmentID: dept, From: day, To: from.AddDate(0, 0, 7).Format(time.DateOnly)}
}

// uncached is what GET /shifts answered before the cache: ListShifts
// encoded by encoding/json, as Gin's c.JSON does.
func (f *fixture) uncached(p auth.Principal, flt ShiftFilter, lp paging.ListParams) ([]byte, error) {
	f.t.Helper()
	page, err := f.svc.ListShifts(ctx, p, flt, lp)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(page)
	if err != nil {
		f.t.Fatal(err)
	}
	return b, nil
}

// weekRead reads through the cache twice: the first answer must be the
// uncached one byte for byte, the second must come from the cache (the
// same bytes in memory). It returns the answer.
func (f *fixture) weekRead(t *testing.T, p auth.Principal, flt ShiftFilter, lp paging.ListParams) []byte {
	t.Helper()
	want, err := f.uncached(p, flt, lp)
	if err != nil {
		t.Fatalf("uncached: %v", err)
	}
	got, err := f.svc.ListShiftsJSON(ctx, p, flt, lp)
	if err != nil {
		t.Fatalf("cached: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("answer differs from the uncached one:\n got %s\nwant %s", got, want)
	}
	again, err := f.svc.ListShiftsJSON(ctx, p, flt, lp)
	if err != nil || &again[0] != &got[0] {
		t.Fatalf("second read was not served from the cache (%v)", err)
	}
	return got
}

func TestWeekCacheAnswersLikeTheUncachedList(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d).withWeekCache()
		e0, e1 := f.emps[0].UserID, f.emps[1].UserID
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-11-30 09:00", "2026-11-30 17:00"))
		pub := shiftIn(f.deptA, &e1, "2026-12-01 09:00", "2026-12-01 17:00")
		pub.Status, pub.Notes = ptr(StatusPublished), ptr(`<b>"bring keys" & smile</b> é`)
		f.mustCreate(f.mgrA, pub)
		f.mustCreate(f.mgrA, shiftIn(f.deptA, nil, "2026-12-02 09:00", "2026-12-02 17:00"))
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-06 22:00", "2026-12-07 06:00")) // crosses the week's end
		f.mustCreate(f.mgrB, shiftIn(f.deptB, &f.empB.UserID, "2026-12-01 09:00", "2026-12-01 17:00"))
		week := weekOf(f.deptA, "2026-11-30")
		instants := ShiftFilter{DepartmentID: f.deptA, From: local("2026-12-01 00:00"), To: local("2026-12-02 12:00")}
		tests := []struct {
			desc string
			p    auth.Principal
			flt  ShiftFilter
			lp   paging.ListParams
		}{
			{"manager's week", f.mgrA, week, paging.ListParams{}},
			{"admin's week", f.admin, week, paging.ListParams{}},
			{"employee's week", f.emps[2], week, paging.ListParams{}},
			{"drafts only", f.mgrA, ShiftFilter{DepartmentID: f.deptA, From: week.From, To: week.To, Status: StatusDraft}, paging.ListParams{}},
			{"one person", f.mgrA, ShiftFilter{DepartmentID: f.deptA, From: week.From, To: week.To, EmployeeID: e0}, paging.ListParams{}},
			{"instants", f.mgrA, instants, paging.ListParams{}},
			{"no range", f.mgrA, ShiftFilter{DepartmentID: f.deptA}, paging.ListParams{}},
			{"first page", f.mgrA, week, paging.ListParams{Limit: 2}},
			{"other department's manager", f.mgrB, week, paging.ListParams{}},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				if tc.p.UserID == f.mgrB.UserID {
					// Sees nothing: answered without the database or the cache.
					got, err := f.svc.ListShiftsJSON(ctx, tc.p, tc.flt, tc.lp)
					if want, _ := f.uncached(tc.p, tc.flt, tc.lp); err != nil || !bytes.Equal(got, want) {
						t.Fatalf("got %s, %v; want %s", got, err, want)
					}
					return
				}
				f.weekRead(t, tc.p, tc.flt, tc.lp)
			})
		}
		t.Run("every page of a paged week", func(t *testing.T) {
			lp := paging.ListParams{Limit: 1}
			for n := 0; ; n++ {
				var page paging.Page[Shift]
				if err := json.Unmarshal(f.weekRead(t, f.mgrA, week, lp), &page); err != nil {
					t.Fatal(err)
				}
				if page.NextCursor == "" {
					if n != 3 {
						t.Fatalf("%d pages", n+1)
					}
					return
				}
				lp.Cursor = page.NextCursor
			}
		})
		t.Run("errors are the same", func(t *testing.T) {
			for _, tc := range []struct {
				desc string
				p    auth.Principal
				flt  ShiftFilter
				lp   paging.ListParams
			}{
				{"bad status", f.mgrA, ShiftFilter{DepartmentID: f.deptA, Status: "maybe"}, paging.ListParams{}},
				{"bad cursor", f.mgrA, week, paging.ListParams{Cursor: "!!"}},
				{"bad date", f.mgrA, ShiftFilter{DepartmentID: f.deptA, From: "soon"}, paging.ListParams{}},
				{"bad date, foreign department", f.mgrB, ShiftFilter{DepartmentID: f.deptA, From: "soon"}, paging.ListParams{}},
				{"bad limit", f.mgrA, week, paging.ListParams{Limit: paging.MaxLimit + 1}},
			} {
				_, want := f.uncached(tc.p, tc.flt, tc.lp)
				_, got := f.svc.ListShiftsJSON(ctx, tc.p, tc.flt, tc.lp)
				if want == nil || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: error %v, want %v", tc.desc, got, want)
				}
			}
		})
	})
}

// TestWeekCacheFreshAfterWrites: after every kind of write that changes
// shifts, the next read of a cached week answers the new state.
func TestWeekCacheFreshAfterWrites(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d).withWeekCache()
		e0, e1, e3 := f.emps[0].UserID, f.emps[1].UserID, f.emps[3].UserID
		draft := f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-01 09:00", "2026-12-01 17:00"))
		pubIn := shiftIn(f.deptA, &e1, "2026-12-02 09:00", "2026-12-02 17:00")
		pubIn.Status = ptr(StatusPublished)
		pub := f.mustCreate(f.mgrA, pubIn)
		openIn := ShiftInput{DepartmentID: &f.deptA, StartsAt: ptr(local("2026-12-03 09:00")), EndsAt: ptr(local("2026-12-03 17:00")), Status: ptr(StatusPublished)}
		open := f.mustCreate(f.mgrA, openIn)
		var created ShiftResult
		week, next := weekOf(f.deptA, "2026-11-30"), weekOf(f.deptA, "2026-12-07")
		weekB := weekOf(f.deptB, "2026-11-30")
		steps := []struct {
			desc    string
			write   func(t *testing.T)
			same    bool // the write does not change the week's shifts
			filters []ShiftFilter
		}{
			{desc: "create", write: func(t *testing.T) {
				created = f.mustCreate(f.mgrA, shiftIn(f.deptA, &e3, "2026-12-04 09:00", "2026-12-04 17:00"))
			}},
			{desc: "update", write: func(t *testing.T) {
				f.must(f.svc.UpdateShift(ctx, f.mgrA, created.ID, ShiftInput{Notes: ptr("bring keys")}, nil))
			}},
			{desc: "move to another department", filters: []ShiftFilter{week, weekB}, write: func(t *testing.T) {
				f.must(f.svc.UpdateShift(ctx, f.admin, created.ID, ShiftInput{DepartmentID: &f.deptB, EmployeeID: NullableID{Set: true}}, nil))
			}},
			{desc: "move back", filters: []ShiftFilter{week, weekB}, write: func(t *testing.T) {
				f.must(f.svc.UpdateShift(ctx, f.admin, created.ID, ShiftInput{DepartmentID: &f.deptA}, nil))
			}},
			{desc: "cancel", write: func(t *testing.T) {
				if err := f.svc.DeleteShift(ctx, f.mgrA, created.ID, nil); err != nil {
					t.Fatal(err)
				}
			}},
			{desc: "publish the week", write: func(t *testing.T) {
				f.must(f.svc.PublishWeek(ctx, f.mgrA, PublishInput{DepartmentID: f.deptA, WeekStart: "2026-11-30"}))
			}},
			{desc: "copy the week", filters: []ShiftFilter{next}, write: func(t *testing.T) {
				f.must(f.svc.CopyWeek(ctx, f.mgrA, CopyInput{DepartmentID: f.deptA, FromWeek: "2026-11-30", ToWeek: "2026-12-07"}))
			}},
			{desc: "claim an open shift (pending)", same: true, write: func(t *testing.T) {
				f.must(f.svc.ClaimShift(ctx, f.emps[2], open.ID))
			}},
			{desc: "approve the claim", write: func(t *testing.T) {
				claims, err := f.svc.ListClaims(ctx, f.mgrA, open.ID)
				if err != nil || len(claims) != 1 {
					t.Fatalf("claims %+v, %v", claims, err)
				}
				f.must(f.svc.DecideClaim(ctx, f.mgrA, open.ID, claims[0].ID, true))
			}},
			{desc: "instant claim", write: func(t *testing.T) {
				instant := false
				f.must(f.svc.People.UpdateStore(ctx, auth.System, people.StorePatch{ClaimsNeedApproval: &instant}, nil))
				in := openIn
				in.StartsAt, in.EndsAt = ptr(local("2026-12-05 09:00")), ptr(local("2026-12-05 17:00"))
				open2 := f.mustCreate(f.mgrA, in)
				f.weekRead(t, f.mgrA, week, paging.ListParams{}) // cached again before the claim
				f.must(f.svc.ClaimShift(ctx, f.emps[4], open2.ID))
			}},
			{desc: "swap accepted (no change yet)", same: true, write: func(t *testing.T) {
				w := f.must(f.svc.RequestSwap(ctx, f.emps[1], pub.ID, SwapInput{ToEmployeeID: e3})).(Swap)
				f.must(f.svc.DecideSwap(ctx, f.emps[3], w.ID, SwapAccept))
			}},
			{desc: "approve the swap", write: func(t *testing.T) {
				swaps, err := f.svc.ListSwaps(ctx, f.mgrA, SwapAccepted, paging.ListParams{})
				if err != nil || len(swaps.Items) != 1 {
					t.Fatalf("swaps %+v, %v", swaps, err)
				}
				f.must(f.svc.DecideSwap(ctx, f.mgrA, swaps.Items[0].ID, SwapApprove))
			}},
			{desc: "approve time off (shifts stay)", same: true, write: func(t *testing.T) {
				req := f.must(f.svc.RequestTimeOff(ctx, f.emps[0], TimeOffInput{StartsOn: "2026-12-01", EndsOn: "2026-12-01"})).(TimeOff)
				out := f.must(f.svc.DecideTimeOff(ctx, f.mgrA, req.ID, true)).(TimeOffDecision)
				if len(out.CollidingShifts) != 1 || out.CollidingShifts[0].ID != draft.ID {
					t.Fatalf("colliding %+v", out.CollidingShifts)
				}
			}},
			{desc: "create in the week's first hours", write: func(t *testing.T) {
				f.mustCreate(f.mgrA, shiftIn(f.deptA, &e3, "2026-11-30 00:30", "2026-11-30 03:30"))
			}},
			{desc: "store time zone", write: func(t *testing.T) {
				// 2026-11-30 00:00 in Vancouver is 04:00 in Halifax: the
				// shift above falls out of the week.
				f.must(f.svc.People.UpdateStore(ctx, auth.System, people.StorePatch{Timezone: ptr("America/Vancouver")}, nil))
			}},
		}
		readers := []auth.Principal{f.mgrA, f.emps[0]}
		for _, st := range steps {
			t.Run(st.desc, func(t *testing.T) {
				if st.filters == nil {
					st.filters = []ShiftFilter{week}
				}
				before := map[string][]byte{}
				for _, flt := range st.filters {
					for _, p := range append(readers, f.mgrB) {
						before[fmt.Sprint(p.UserID, flt)] = f.readIfVisible(t, p, flt)
					}
				}
				st.write(t)
				changed := false
				for _, flt := range st.filters {
					for _, p := range append(readers, f.mgrB) {
						after := f.readIfVisible(t, p, flt) // fresh, or the test fails here
						changed = changed || !bytes.Equal(after, before[fmt.Sprint(p.UserID, flt)])
					}
				}
				if changed == st.same {
					t.Errorf("answers changed: %v, want %v", changed, !st.same)
				}
			})
		}
	})
}

// readIfVisible is weekRead for a principal that sees the department, and
// the uncached answer otherwise.
func (f *fixture) readIfVisible(t *testing.T, p auth.Principal, flt ShiftFilter) []byte {
	t.Helper()
	if classOf(p, flt.DepartmentID) == seesNothing {
		b, err := f.svc.ListShiftsJSON(ctx, p, flt, paging.ListParams{})
		if want, _ := f.uncached(p, flt, paging.ListParams{}); err != nil || !bytes.Equal(b, want) {
			t.Fatalf("got %s, %v; want %s", b, err, want)
		}
		return b
	}
	return f.weekRead(t, p, flt, paging.ListParams{})
}

// must fails the test on err and returns v (type-assert it for a field).
func (f *fixture) must(v any, err error) any {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// TestWeekCacheVisibility: a manager's cached week (with drafts) is never
// the answer of an employee, whoever reads first.
func TestWeekCacheVisibility(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d).withWeekCache()
		e0 := f.emps[0].UserID
		f.mustCreate(f.mgrA, shiftIn(f.deptA, &e0, "2026-12-01 09:00", "2026-12-01 17:00"))
		pub := shiftIn(f.deptA, &e0, "2026-12-02 09:00", "2026-12-02 17:00")
		pub.Status = ptr(StatusPublished)
		f.mustCreate(f.mgrA, pub)
		week := weekOf(f.deptA, "2026-11-30")
		count := func(b []byte) int {
			var page paging.Page[Shift]
			if err := json.Unmarshal(b, &page); err != nil {
				t.Fatal(err)
			}
			return len(page.Items)
		}
		if n := count(f.weekRead(t, f.mgrA, week, paging.ListParams{})); n != 2 {
			t.Fatalf("manager sees %d shifts", n)
		}
		if n := count(f.weekRead(t, f.emps[1], week, paging.ListParams{})); n != 1 {
			t.Fatalf("employee sees %d shifts after the manager's read", n)
		}
		if n := count(f.weekRead(t, f.admin, week, paging.ListParams{})); n != 2 {
			t.Fatalf("admin sees %d shifts", n)
		}
		drafts := ShiftFilter{DepartmentID: f.deptA, From: week.From, To: week.To, Status: StatusDraft}
		if n := count(f.weekRead(t, f.mgrA, drafts, paging.ListParams{})); n != 1 {
			t.Fatalf("manager sees %d drafts", n)
		}
		if n := count(f.weekRead(t, f.emps[2], drafts, paging.ListParams{})); n != 0 {
			t.Fatalf("employee sees %d drafts", n)
		}
		for _, p := range []auth.Principal{f.empB, f.mgrB, {UserID: 999, Role: auth.RoleEmployee, DeptIDs: []int64{}}} {
			got, err := f.svc.ListShiftsJSON(ctx, p, week, paging.ListParams{})
			if err != nil || string(got) != `{"items":[]}` {
				t.Fatalf("%+v sees %s, %v", p, got, err)
			}
		}
	})
}

// TestWeekCacheFillRace: a write that commits after a fill has queried but
// before it stores its answer leaves no stale entry behind.
func TestWeekCacheFillRace(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d).withWeekCache()
		sh := f.mustCreate(f.mgrA, shiftIn(f.deptA, nil, "2026-12-01 09:00", "2026-12-01 17:00"))
		week := weekOf(f.deptA, "2026-11-30")
		f.svc.Weeks.beforeStore = func() {
			f.svc.Weeks.beforeStore = nil
			f.must(f.svc.UpdateShift(ctx, f.mgrA, sh.ID, ShiftInput{Notes: ptr("written during the fill")}, nil))
		}
		old, err := f.svc.ListShiftsJSON(ctx, f.mgrA, week, paging.ListParams{})
		if err != nil || bytes.Contains(old, []byte("during the fill")) {
			t.Fatalf("the fill saw the write: %s, %v", old, err)
		}
		if got := f.weekRead(t, f.mgrA, week, paging.ListParams{}); !bytes.Contains(got, []byte("during the fill")) {
			t.Fatalf("stale answer after the fill race: %s", got)
		}
	})
}

// TestWeekCacheSafetyNets: entries age out, the cache is bounded, and the
// hub's observer forgets by department or store topic.
func TestWeekCacheSafetyNets(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d).withWeekCache()
		sh := f.mustCreate(f.mgrA, shiftIn(f.deptA, nil, "2026-12-01 09:00", "2026-12-01 17:00"))
		week := weekOf(f.deptA, "2026-11-30")
		behind := func(notes string) { // a write that no event announces
			t.Helper()
			if _, err := d.ExecContext(ctx, "UPDATE shifts SET notes = ? WHERE id = ?", notes, sh.ID); err != nil {
				t.Fatal(err)
			}
		}
		stale := func(want bool) {
			t.Helper()
			got, err := f.svc.ListShiftsJSON(ctx, f.mgrA, week, paging.ListParams{})
			fresh, _ := f.uncached(f.mgrA, week, paging.ListParams{})
			if err != nil || bytes.Equal(got, fresh) == want {
				t.Fatalf("stale = %v, want %v: %s", !bytes.Equal(got, fresh), want, got)
			}
		}
		clock := testutil.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
		f.svc.Weeks.now = clock.Now
		f.svc.Weeks.MaxAge = 3 * time.Second

		f.weekRead(t, f.mgrA, week, paging.ListParams{})
		behind("one")
		stale(true)
		clock.Advance(3 * time.Second)
		stale(false) // aged out, filled again

		for _, tc := range []struct {
			desc   string
			topic  string
			forget bool
		}{
			{"own department", outbox.DeptTopic(f.deptA), true},
			{"store", outbox.TopicStore, true},
			{"other department", outbox.DeptTopic(f.deptB), false},
			{"a person", outbox.UserTopic(f.emps[0].UserID), false},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				f.weekRead(t, f.mgrA, week, paging.ListParams{})
				behind(tc.desc)
				f.svc.Weeks.Observe(outbox.Event{Topic: tc.topic})
				stale(!tc.forget)
				f.svc.Weeks.Observe(outbox.Event{Topic: outbox.DeptTopic(f.deptA)})
			})
		}

		t.Run("bounded", func(t *testing.T) {
			f.svc.Weeks.MaxEntries = 2
			for _, day := range []string{"2026-11-30", "2026-12-07", "2026-12-14"} {
				f.weekRead(t, f.mgrA, weekOf(f.deptA, day), paging.ListParams{})
			}
			f.svc.Weeks.mu.Lock()
			n := len(f.svc.Weeks.entries)
			f.svc.Weeks.mu.Unlock()
			if n != 2 {
				t.Fatalf("%d entries held, want 2", n)
			}
		})
	})
}
