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
		ps := &people.Service{W: e.svc.W}
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

		hours := collect(t, &reports.HoursSource{DB: d}, q)
		want := []string{"|Ann Tester|2026-11-30|3|24h|16h|8h", "|Ann Tester|2026-12-07|1|6h|16h|0h"}
		if len(hours) != 2 || !strings.HasSuffix(hours[0], want[0]) || !strings.HasSuffix(hours[1], want[1]) {
			t.Errorf("hours rows %q, want suffixes %q", hours, want)
		}
		sched := collect(t, &reports.ScheduleSource{DB: d}, q)
		if len(sched) != 5 || !strings.HasPrefix(sched[0], "2026-11-30|Mon|Bakery|Ann Tester|08:00|16:00|8h|Bench") ||
			!strings.Contains(sched[3], "(open)") {
			t.Errorf("schedule rows %q", sched)
		}
	})
}
