package reports_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func collect(t *testing.T, src reports.Source, q reports.Query) []string {
	t.Helper()
	var out []string
	err := src.Stream(context.Background(), q, func(row []any) error {
		var cells []string
		for _, v := range row {
			if x, ok := v.(float64); ok {
				cells = append(cells, strconv.FormatFloat(x, 'f', -1, 64)+"h")
			} else {
				cells = append(cells, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(cells, "|"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestScheduleAndHoursSources(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		ps := &people.Service{W: e.svc.W, Passwords: testutil.CheapHasher()}
		name, color := "Bakery", "#aa5500"
		dep, err := ps.CreateDepartment(ctx, auth.System, people.DepartmentInput{Name: &name, Color: &color})
		if err != nil {
			t.Fatal(err)
		}
		first, last, email, pw, role, maxH := "Ann", "Tester", "ann@example.com", "a-long-test-password", auth.RoleEmployee, 16
		depts := []int64{dep.ID}
		ann, err := ps.CreateEmployee(ctx, auth.System, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email,
			Password: &pw, Role: &role, DepartmentIDs: &depts, MaxHoursPerWeek: &maxH})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		shift := func(emp any, start time.Time, hours int, status string) {
			_, err := d.ExecContext(ctx, `INSERT INTO shifts (department_id, employee_id, starts_at, ends_at, position, notes, status, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, 'Bench', '', ?, 1, ?, ?)`, dep.ID, emp, start, start.Add(time.Duration(hours)*time.Hour), status, now, now)
			if err != nil {
				t.Fatal(err)
			}
		}
		mon := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) // 08:00 in Halifax
		for i := 0; i < 3; i++ {
			shift(ann.ID, mon.Add(time.Duration(i)*24*time.Hour), 8, "published") // 24 h: 8 over her 16
		}
		shift(ann.ID, mon.Add(7*24*time.Hour), 6, "published") // next week
		shift(ann.ID, mon.Add(4*24*time.Hour), 8, "draft")     // drafts are not counted
		shift(nil, mon.Add(5*24*time.Hour), 4, "published")    // open shift
		loc, _ := time.LoadLocation("America/Halifax")
		q := reports.Query{From: time.Date(2026, 11, 30, 0, 0, 0, 0, loc), To: time.Date(2026, 12, 13, 0, 0, 0, 0, loc),
			DepartmentID: &dep.ID, Location: loc, WeekStart: time.Monday}

		// Ann clocked in 7 minutes late for Monday, took a 30-minute break
		// and worked until 16:00; on Tuesday she came on time and left at
		// 15:15; on Thursday she came in without a shift for two hours.
		shiftAt := func(at time.Time) int64 {
			var id int64
			if err := d.QueryRowContext(ctx, `SELECT id FROM shifts WHERE starts_at = ?`, at).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		punch := func(shift any, in, out time.Time, breaks ...time.Time) {
			res, err := d.ExecContext(ctx, `INSERT INTO attendance_records (employee_id, department_id, shift_id, clock_in_at, clock_out_at, source, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 'web', ?, ?)`, ann.ID, dep.ID, shift, in, out, in, in)
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := res.LastInsertId()
			for i := 0; i+1 < len(breaks); i += 2 {
				if _, err := d.ExecContext(ctx, `INSERT INTO attendance_breaks (record_id, starts_at, ends_at) VALUES (?, ?, ?)`, rec, breaks[i], breaks[i+1]); err != nil {
					t.Fatal(err)
				}
			}
		}
		tue, thu := mon.Add(24*time.Hour), mon.Add(72*time.Hour)
		punch(shiftAt(mon), mon.Add(7*time.Minute), mon.Add(8*time.Hour), mon.Add(4*time.Hour), mon.Add(4*time.Hour+30*time.Minute))
		punch(shiftAt(tue), tue, tue.Add(7*time.Hour+15*time.Minute))
		punch(nil, thu, thu.Add(2*time.Hour))

		// Hours worked come from the punches (7h23 + 7h15 + 2h = 16.633 h,
		// 0.633 over her 16), scheduled hours from the shifts (3 × 8 h, the
		// not yet worked Wednesday included).
		hours := collect(t, &reports.HoursSource{DB: d}, q)
		want := []string{"|Ann Tester|2026-11-30|3|24h|16.633333333333333h|0.5h|16h|0.6333333333333329h", "|Ann Tester|2026-12-07|1|6h|0h|0h|16h|0h"}
		if len(hours) != 2 || !strings.HasSuffix(hours[0], want[0]) || !strings.HasSuffix(hours[1], want[1]) {
			t.Errorf("hours rows\n%s\nwant suffixes\n%s", strings.Join(hours, "\n"), strings.Join(want, "\n"))
		}
		att := collect(t, &reports.AttendanceSource{DB: d, Clock: func() time.Time { return mon.Add(57 * time.Hour) }}, q)
		wantAtt := []string{
			"2026-11-30|Bakery|Ann Tester|08:00|16:00|8h|08:07|16:00|7.383333333333334h|30|7|0|late",
			"2026-12-01|Bakery|Ann Tester|08:00|16:00|8h|08:00|15:15|7.25h|0|0|45|left_early",
			"2026-12-02|Bakery|Ann Tester|08:00|16:00|8h|||0h|0|0|0|no_show",
			"2026-12-03|Bakery|Ann Tester|||0h|08:00|10:00|2h|0|0|0|unscheduled",
			"2026-12-07|Bakery|Ann Tester|08:00|14:00|6h|||0h|0|0|0|scheduled",
		}
		if strings.Join(att, "\n") != strings.Join(wantAtt, "\n") {
			t.Errorf("attendance rows\n%s\nwant\n%s", strings.Join(att, "\n"), strings.Join(wantAtt, "\n"))
		}
		sched := collect(t, &reports.ScheduleSource{DB: d}, q)
		if len(sched) != 5 || !strings.HasPrefix(sched[0], "2026-11-30|Mon|Bakery|Ann Tester|08:00|16:00|8h|Bench") ||
			!strings.Contains(sched[3], "(open)") {
			t.Errorf("schedule rows %q", sched)
		}
	})
}
