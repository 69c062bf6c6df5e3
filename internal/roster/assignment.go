package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// The assignment-rules engine: inside the write's locked transaction it
// loads what the conflict rules (conflicts.go) need about the assignee, the
// department and their other shifts, time off and availability, and applies
// them. Creating, updating and batch-creating shifts all go through it.

// person is what the rules need to know about the assignee.
type person struct {
	active   bool
	maxHours int
	inDept   bool
}

// checkAssignment locks the people involved (the previous assignee too),
// checks that the assignee may work in the department, then applies the
// conflict rules. cur is the stored shift on an update, nil on create. It
// returns the warnings, or a 404/422/409.
func (s *Service) checkAssignment(ctx context.Context, tx *outbox.Tx, st people.Store, next Shift, cur *Shift) ([]Warning, error) {
	var prev int64
	if cur != nil {
		prev = cur.employee()
	}
	if next.EmployeeID == nil {
		if err := lockPeople(ctx, tx, prev); err != nil {
			return nil, err
		}
		if cur == nil || cur.DepartmentID != next.DepartmentID {
			return []Warning{}, requireDepartment(ctx, tx, next.DepartmentID)
		}
		return []Warning{}, nil
	}
	lock := tx.DB.ForUpdate()
	if prev != 0 && prev != next.employee() {
		// Two people: lock both in id order first.
		if err := lockPeople(ctx, tx, prev, next.employee()); err != nil {
			return nil, err
		}
		lock = ""
	}
	// One person: reading their row with FOR UPDATE is the lock.
	who, err := loadPerson(ctx, tx, next.employee(), next.DepartmentID, lock)
	if err != nil {
		return nil, err
	}
	pay, err := s.payRules(ctx)
	if err != nil {
		return nil, err
	}
	warnings, err := assess(who,
		func() error { return requireDepartment(ctx, tx, next.DepartmentID) },
		func() (Rules, error) {
			r, err := loadRules(ctx, tx, st, next.employee(), next.Interval(), who.maxHours)
			r.Pay = pay
			return r, err
		})
	if err != nil {
		return nil, err
	}
	return warnings, s.priceOvertime(ctx, tx, warnings, next)
}

// payRules are the labor domain's pay rules, or nil without one (no
// overtime warnings).
func (s *Service) payRules(ctx context.Context) (*labor.Rules, error) {
	if s.Labor == nil {
		return nil, nil
	}
	return s.Labor.PayRules(ctx)
}

// priceOvertime fills in what the overtime of an overtime warning costs,
// at the person's rate for the shift's position and day.
func (s *Service) priceOvertime(ctx context.Context, q labor.Querier, warnings []Warning, sh Shift) error {
	for i, w := range warnings {
		if w.Kind != WarnOvertime || s.Labor == nil || sh.EmployeeID == nil {
			continue
		}
		cost, currency, err := s.Labor.OvertimeCost(ctx, q, *sh.EmployeeID, sh.Position, sh.StartsAt, w.OvertimeMinutes)
		if err != nil {
			return err
		}
		if cost > 0 {
			warnings[i].CostCents = cost
			warnings[i].Message += fmt.Sprintf(", costing %s", labor.FormatMoney(cost, currency))
		}
	}
	return nil
}

// assess is the verdict on giving a shift to a person, once the person is
// read under their lock: they must belong to the shift's department (if
// not, deptExists tells a missing department, 404, from a foreign one, 422)
// and be active; then the conflict rules apply. It returns the warnings, or
// a 404/422/409. Single writes and combined creates both decide here.
func assess(who person, deptExists func() error, rules func() (Rules, error)) ([]Warning, error) {
	if !who.inDept {
		if err := deptExists(); err != nil {
			return nil, err
		}
		return nil, apperr.Field("employee_id", "the person does not work in this department")
	}
	if !who.active {
		return nil, apperr.Field("employee_id", "the person is not active")
	}
	r, err := rules()
	if err != nil {
		return nil, err
	}
	if err := ConflictError(Blocking(r)); err != nil {
		return nil, err
	}
	return Warnings(r), nil
}

func requireDepartment(ctx context.Context, q querier, id int64) error {
	var got int64
	err := q.QueryRowContext(ctx, "SELECT id FROM departments WHERE id = ?", id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundf("department")
	}
	if err != nil {
		return fmt.Errorf("roster: department: %w", err)
	}
	return nil
}

// loadPerson reads what the rules need about a person; lock is "" or the
// dialect's FOR UPDATE (then this read is the person's lock).
func loadPerson(ctx context.Context, q querier, id, dept int64, lock string) (person, error) {
	var who person
	var n int
	err := q.QueryRowContext(ctx, `SELECT u.active, u.max_hours_per_week,
		(SELECT COUNT(*) FROM user_departments ud WHERE ud.user_id = u.id AND ud.department_id = ?)
		FROM users u WHERE u.id = ?`+lock, dept, id).Scan(&who.active, &who.maxHours, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return who, apperr.NotFoundf("employee")
	}
	if err != nil {
		return who, fmt.Errorf("roster: load person: %w", err)
	}
	who.inDept = n > 0
	return who, nil
}

// loadRules reads what the conflict rules need about person emp around iv.
func loadRules(ctx context.Context, q querier, st people.Store, emp int64, iv Interval, maxHours int) (Rules, error) {
	f, err := loadFacts(ctx, q, []ruleAsk{{st: st, emp: emp, iv: iv}}, nil)
	if err != nil {
		return Rules{}, err
	}
	return f.rules(st, emp, iv, maxHours), nil
}

// rulesFrame is the Rules of a proposed shift iv before anything about the
// person is known, and the span [lo, hi) in which the person's other shifts
// matter: iv's week, widened to cover iv, and MinRest either side.
func rulesFrame(st people.Store, iv Interval, maxHours int) (r Rules, lo, hi time.Time) {
	loc := st.Location()
	r = Rules{Shift: iv, Loc: loc, Week: WeekOf(iv.Start, loc, st.WeekStartsOn),
		MinRest: time.Duration(st.MinRestHours) * time.Hour, MaxHours: maxHours}
	lo, hi = r.Week.Start, r.Week.End
	if iv.Start.Before(lo) {
		lo = iv.Start
	}
	if iv.End.After(hi) {
		hi = iv.End
	}
	return r, lo.Add(-r.MinRest).UTC(), hi.Add(r.MinRest).UTC()
}

// nearShift reports whether another shift o of the person matters to a
// proposed shift whose span is [lo, hi): o touches the span. The bound on
// o's start (no shift is longer than MaxShiftLength) lets the query use the
// (employee_id, starts_at) index; loadFacts selects with the same predicate.
func nearShift(o Interval, lo, hi time.Time) bool {
	return !o.Start.Before(lo.Add(-MaxShiftLength)) && o.Start.Before(hi) && o.End.After(lo)
}

// ruleAsk is a proposed shift iv of person emp whose rules are to be loaded;
// dept, when set, also asks whether the person belongs to that department.
type ruleAsk struct {
	st   people.Store
	emp  int64
	iv   Interval
	dept int64
}

// ruleFacts is what the rules read about some people, loaded by loadFacts.
type ruleFacts struct {
	shifts  map[int64][]Interval // by person: their shifts near the asks
	timeOff map[int64][]Interval // by person: approved time off touching the asks
	windows map[int64][]Window   // by person
	member  map[[2]int64]bool    // (person, department) pairs that exist
	depts   map[int64]bool       // departments that exist
}

// loadFacts reads, in one statement, what the conflict rules need for
// every ask (the person's shifts near it, their approved time off touching
// it, their availability), whether each ask's person belongs to its dept,
// and which of depts exist. A person's shifts and time
// off are read over the union of their asks' spans; rules picks out each
// ask's part with the same predicates.
func loadFacts(ctx context.Context, q querier, asks []ruleAsk, depts []int64) (ruleFacts, error) {
	f := ruleFacts{shifts: map[int64][]Interval{}, timeOff: map[int64][]Interval{}, windows: map[int64][]Window{},
		member: map[[2]int64]bool{}, depts: map[int64]bool{}}
	type span struct{ lo, hi, offLo, offHi time.Time }
	spans := map[int64]*span{}
	var emps []int64
	var pairs [][2]int64
	for _, a := range asks {
		if pair := [2]int64{a.emp, a.dept}; a.dept != 0 && !slices.Contains(pairs, pair) {
			pairs = append(pairs, pair)
		}
		_, lo, hi := rulesFrame(a.st, a.iv, 0)
		offLo, offHi := a.iv.Start.UTC(), a.iv.End.UTC()
		sp := spans[a.emp]
		if sp == nil {
			spans[a.emp] = &span{lo, hi, offLo, offHi}
			emps = append(emps, a.emp)
			continue
		}
		if lo.Before(sp.lo) {
			sp.lo = lo
		}
		if hi.After(sp.hi) {
			sp.hi = hi
		}
		if offLo.Before(sp.offLo) {
			sp.offLo = offLo
		}
		if offHi.After(sp.offHi) {
			sp.offHi = offHi
		}
	}
	// Columns: kind, person, id, starts_at, ends_at, a, b. The first branch
	// names the column types (SQLite reads the DATETIMEs by it).
	var parts []string
	var args []any
	if len(emps) > 0 {
		var shiftOr, offOr []string
		var offArgs []any
		for _, e := range emps {
			sp := spans[e]
			shiftOr = append(shiftOr, "(employee_id = ? AND starts_at >= ? AND starts_at < ? AND ends_at > ?)")
			args = append(args, e, sp.lo.Add(-MaxShiftLength), sp.hi, sp.lo)
			offOr = append(offOr, "(employee_id = ? AND starts_at < ? AND ends_at > ?)")
			offArgs = append(offArgs, e, sp.offHi, sp.offLo)
		}
		parts = append(parts,
			"SELECT 0, employee_id, id, starts_at, ends_at, 0, 0 FROM shifts WHERE "+strings.Join(shiftOr, " OR "),
			"SELECT 1, employee_id, id, starts_at, ends_at, 0, 0 FROM time_off WHERE status = 'approved' AND ("+strings.Join(offOr, " OR ")+")",
			"SELECT 2, user_id, weekday, NULL, NULL, start_minute, end_minute FROM availability WHERE user_id IN ("+db.Placeholders(len(emps))+")")
		args = append(args, offArgs...)
		for _, e := range emps {
			args = append(args, e)
		}
	}
	if len(pairs) > 0 {
		pairOr := make([]string, len(pairs))
		for i, pair := range pairs {
			pairOr[i] = "(user_id = ? AND department_id = ?)"
			args = append(args, pair[0], pair[1])
		}
		parts = append(parts, "SELECT 3, user_id, department_id, NULL, NULL, 0, 0 FROM user_departments WHERE "+strings.Join(pairOr, " OR "))
	}
	if len(depts) > 0 {
		parts = append(parts, "SELECT 4, id, id, NULL, NULL, 0, 0 FROM departments WHERE id IN ("+db.Placeholders(len(depts))+")")
		for _, d := range depts {
			args = append(args, d)
		}
	}
	if len(parts) == 0 {
		return f, nil
	}
	rows, err := q.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return f, fmt.Errorf("roster: load rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, a, b int
		var who, id int64
		var start, end sql.NullTime
		if err := rows.Scan(&kind, &who, &id, &start, &end, &a, &b); err != nil {
			return f, fmt.Errorf("roster: load rules: %w", err)
		}
		iv := Interval{ID: id, Start: start.Time.UTC(), End: end.Time.UTC()}
		switch kind {
		case 0:
			f.shifts[who] = append(f.shifts[who], iv)
		case 1:
			f.timeOff[who] = append(f.timeOff[who], iv)
		case 2:
			f.windows[who] = append(f.windows[who], Window{Weekday: int(id), Start: a, End: b})
		case 3:
			f.member[[2]int64{who, id}] = true
		case 4:
			f.depts[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("roster: load rules: %w", err)
	}
	return f, nil
}

// rules is the Rules of person emp's proposed shift iv, from what loadFacts
// read (and what the caller added since).
func (f ruleFacts) rules(st people.Store, emp int64, iv Interval, maxHours int) Rules {
	r, lo, hi := rulesFrame(st, iv, maxHours)
	for _, o := range f.shifts[emp] {
		if o.ID != iv.ID && nearShift(o, lo, hi) {
			r.Others = append(r.Others, o)
		}
	}
	for _, o := range f.timeOff[emp] {
		if Overlaps(iv, o) {
			r.TimeOff = append(r.TimeOff, o)
		}
	}
	r.Availability = f.windows[emp]
	return r
}
