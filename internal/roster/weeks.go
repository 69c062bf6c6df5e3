package roster

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// PublishInput is the body of POST /schedules/publish.
type PublishInput struct {
	DepartmentID int64  `json:"department_id"`
	WeekStart    string `json:"week_start"`
}

// Published is the result of publishing a week, and the payload of
// schedule.published on the department topic.
type Published struct {
	DepartmentID int64   `json:"department_id"`
	WeekStart    string  `json:"week_start"`
	ShiftCount   int     `json:"shift_count"`
	EmployeeIDs  []int64 `json:"employee_ids"`
}

// PublishWeek turns the department's draft shifts starting in the week into
// published ones. Each affected employee gets ONE shift.assigned with all
// their newly published shifts of the week (a draft was never shown to them,
// so each is new to them, even beside shifts published earlier that week);
// the department gets schedule.published.
func (s *Service) PublishWeek(ctx context.Context, p auth.Principal, in PublishInput) (Published, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Published{}, err
	}
	if in.DepartmentID <= 0 {
		return Published{}, apperr.Field("department_id", "is required")
	}
	week, err := weekFromDate("week_start", in.WeekStart, st.Location(), st.WeekStartsOn)
	if err != nil {
		return Published{}, err
	}
	if err := requireManagerOfDept(p, in.DepartmentID); err != nil {
		return Published{}, err
	}
	out := Published{DepartmentID: in.DepartmentID, WeekStart: week.Date(), EmployeeIDs: []int64{}}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		if err := requireDepartment(ctx, tx, in.DepartmentID); err != nil {
			return err
		}
		week := []any{in.DepartmentID, week.Start.UTC(), week.End.UTC()}
		all, err := queryShifts(ctx, tx, "SELECT "+shiftColumns+" FROM shifts WHERE department_id = ? AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id"+tx.DB.ForUpdate(), week...)
		if err != nil {
			return err
		}
		var drafts []Shift
		for _, sh := range all {
			if sh.Status == StatusDraft {
				drafts = append(drafts, sh)
			}
		}
		if len(drafts) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shifts SET status = 'published', version = version + 1, updated_at = ?
			WHERE department_id = ? AND starts_at >= ? AND starts_at < ? AND status = 'draft'`, append([]any{tx.Now()}, week...)...); err != nil {
			return fmt.Errorf("roster: publish week: %w", err)
		}
		perEmp := map[int64][]Shift{}
		for i := range drafts {
			drafts[i].Status = StatusPublished
			drafts[i].Version++
			if e := drafts[i].employee(); e != 0 {
				if _, ok := perEmp[e]; !ok {
					out.EmployeeIDs = append(out.EmployeeIDs, e)
				}
				perEmp[e] = append(perEmp[e], drafts[i])
			}
		}
		slices.Sort(out.EmployeeIDs)
		out.ShiftCount = len(drafts)
		for _, e := range out.EmployeeIDs {
			tx.Emit(outbox.UserTopic(e), EventShiftAssigned, PersonalShifts{EmployeeID: e, DepartmentID: in.DepartmentID,
				Reason: ReasonPublished, WeekStart: out.WeekStart, Shifts: perEmp[e]})
		}
		tx.Emit(outbox.DeptTopic(in.DepartmentID), EventSchedulePublished, out)
		if s.OnPublish != nil {
			if err := s.OnPublish(ctx, tx, out); err != nil {
				return err
			}
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "schedule.publish", Entity: "department", EntityID: in.DepartmentID, Detail: out})
		return nil
	})
	return out, err
}

// CopyInput is the body of POST /schedules/copy.
type CopyInput struct {
	DepartmentID int64  `json:"department_id"`
	FromWeek     string `json:"from_week"`
	ToWeek       string `json:"to_week"`
}

// Skipped is a shift of the source week that was not copied, and why. It
// carries the shift it would have become (person, times in the target week,
// position) so the manager can be told which shift was left out.
type Skipped struct {
	SourceShiftID int64                 `json:"source_shift_id"`
	EmployeeID    *int64                `json:"employee_id"`
	StartsAt      time.Time             `json:"starts_at"`
	EndsAt        time.Time             `json:"ends_at"`
	Position      string                `json:"position"`
	Reason        string                `json:"reason"`
	Conflicts     []apperr.ConflictItem `json:"conflicts,omitempty"`
}

// Copied is the result of copying a week.
type Copied struct {
	DepartmentID int64     `json:"department_id"`
	FromWeek     string    `json:"from_week"`
	ToWeek       string    `json:"to_week"`
	Created      []Shift   `json:"created"`
	Skipped      []Skipped `json:"skipped"`
}

// CopyWeek copies every shift of the department's source week into the
// target week as drafts, at the same local wall-clock times (so 09:00 stays
// 09:00 across DST). Shifts whose person would be double-booked or is on
// approved time off, or no longer works in the department, are skipped and
// reported; the rest are created in one transaction.
func (s *Service) CopyWeek(ctx context.Context, p auth.Principal, in CopyInput) (Copied, error) {
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return Copied{}, err
	}
	loc := st.Location()
	f := apperr.Fields{}
	if in.DepartmentID <= 0 {
		f.Add("department_id", "is required")
	}
	from, errFrom := weekFromDate("from_week", in.FromWeek, loc, st.WeekStartsOn)
	to, errTo := weekFromDate("to_week", in.ToWeek, loc, st.WeekStartsOn)
	if errFrom != nil {
		f.Add("from_week", "must be a date like 2026-03-09")
	}
	if errTo != nil {
		f.Add("to_week", "must be a date like 2026-03-09")
	} else if errFrom == nil && from.Start.Equal(to.Start) {
		f.Add("to_week", "must be another week than from_week")
	}
	if err := f.Err(); err != nil {
		return Copied{}, err
	}
	if err := requireManagerOfDept(p, in.DepartmentID); err != nil {
		return Copied{}, err
	}
	days := daysBetween(from.Start, to.Start)
	out := Copied{DepartmentID: in.DepartmentID, FromWeek: from.Date(), ToWeek: to.Date()}
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		out.Created, out.Skipped = []Shift{}, []Skipped{}
		// Lock every person of the department first (see lockPeople).
		members, err := deptMembers(ctx, tx, in.DepartmentID)
		if err != nil {
			return err
		}
		if err := lockPeople(ctx, tx, members...); err != nil {
			return err
		}
		if err := requireDepartment(ctx, tx, in.DepartmentID); err != nil {
			return err
		}
		src, err := queryShifts(ctx, tx, "SELECT "+shiftColumns+" FROM shifts WHERE department_id = ? AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id",
			in.DepartmentID, from.Start.UTC(), from.End.UTC())
		if err != nil {
			return err
		}
		for _, sh := range src {
			next := Shift{DepartmentID: sh.DepartmentID, EmployeeID: sh.EmployeeID, Position: sh.Position, Notes: sh.Notes, Status: StatusDraft,
				StartsAt: shiftByDays(sh.StartsAt, days, loc), EndsAt: shiftByDays(sh.EndsAt, days, loc), Version: 1}
			if skip, err := s.copyCheck(ctx, tx, st, members, next); err != nil {
				return err
			} else if skip != nil {
				skip.SourceShiftID, skip.EmployeeID, skip.StartsAt, skip.EndsAt, skip.Position = sh.ID, next.EmployeeID, next.StartsAt, next.EndsAt, next.Position
				out.Skipped = append(out.Skipped, *skip)
				continue
			}
			if next.ID, err = insertShift(ctx, tx, next); err != nil {
				return err
			}
			emitShift(tx, EventShiftCreated, next)
			out.Created = append(out.Created, next)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "schedule.copy", Entity: "department", EntityID: in.DepartmentID,
			Detail: map[string]any{"from_week": out.FromWeek, "to_week": out.ToWeek, "created": len(out.Created), "skipped": out.Skipped}})
		return nil
	})
	return out, err
}

// copyCheck applies the blocking rules to one copied shift; nil means copy it.
func (s *Service) copyCheck(ctx context.Context, tx *outbox.Tx, st people.Store, members []int64, next Shift) (*Skipped, error) {
	if next.EmployeeID == nil {
		return nil, nil
	}
	if !slices.Contains(members, *next.EmployeeID) {
		return &Skipped{Reason: "not_in_department"}, nil
	}
	who, err := loadPerson(ctx, tx, *next.EmployeeID, next.DepartmentID, "")
	if err != nil {
		return nil, err
	}
	if !who.active {
		return &Skipped{Reason: "inactive"}, nil
	}
	rules, err := loadRules(ctx, tx, st, *next.EmployeeID, next.Interval(), who.maxHours)
	if err != nil {
		return nil, err
	}
	if items := Blocking(rules); len(items) > 0 {
		return &Skipped{Reason: "conflict", Conflicts: items}, nil
	}
	return nil, nil
}

func insertShift(ctx context.Context, tx *outbox.Tx, sh Shift) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO shifts (department_id, employee_id, starts_at, ends_at, position, notes, status, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, sh.DepartmentID, sh.EmployeeID, sh.StartsAt.UTC(), sh.EndsAt.UTC(), sh.Position, sh.Notes, sh.Status, tx.Now(), tx.Now())
	if err != nil {
		return 0, fmt.Errorf("roster: insert shift: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("roster: insert shift: %w", err)
	}
	return id, nil
}

// deptMembers lists the ids of the people of a department. The rows read
// are the membership table only; the users rows are locked afterwards.
func deptMembers(ctx context.Context, tx *outbox.Tx, dept int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT user_id FROM user_departments WHERE department_id = ? ORDER BY user_id"+tx.DB.ForUpdate(), dept)
	if err != nil {
		return nil, fmt.Errorf("roster: department members: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("roster: department members: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
