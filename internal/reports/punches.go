package reports

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/crumbcommander/crumb/internal/attendance"
)

// punchColumns is the row shape of every punch query: the thing the punches
// belong to (a shift, or the record itself for a punch without a shift),
// then one attendance record and one of its breaks (LEFT JOINed, so a row
// may carry no record or no break). Rows come ordered by the owner, then
// record, then break, so each owner's rows are adjacent.
const punchColumns = `owner_id, at, shift_from, shift_to, employee_id, max_hours, dept, first_name, last_name, rec_id, clock_in, clock_out, break_from, break_to`

// punch is one attendance record with its breaks.
type punch struct {
	id     int64
	in     time.Time
	out    sql.NullTime
	breaks []attendance.Interval
}

// worked is the punch's time minus breaks; an open punch counts nothing yet.
func (p punch) worked() (worked, onBreak time.Duration) {
	if !p.out.Valid {
		return 0, 0
	}
	return attendance.Worked(p.in, p.out.Time, p.breaks)
}

// owner is a shift (shiftFrom set) or an unscheduled punch, with its punches.
type owner struct {
	id                 int64
	at                 time.Time // the shift's start or the clock-in: the order of the rows
	shiftFrom, shiftTo sql.NullTime
	employee, maxHours int64
	dept, first, last  string
	punches            []punch
}

func (o *owner) name() string { return o.first + " " + o.last }

// punchCursor reads the rows of a punch query and hands out one owner at a
// time, so memory holds one owner's punches, never the whole range.
type punchCursor struct {
	rows *sql.Rows
	next *punchRow // the first row of the following owner, read ahead
	done bool
}

type punchRow struct {
	o          owner
	recID      sql.NullInt64
	in, out    sql.NullTime
	bFrom, bTo sql.NullTime
}

func (c *punchCursor) read() (*punchRow, error) {
	if !c.rows.Next() {
		c.done = true
		return nil, c.rows.Err()
	}
	var r punchRow
	if err := c.rows.Scan(&r.o.id, &r.o.at, &r.o.shiftFrom, &r.o.shiftTo, &r.o.employee, &r.o.maxHours, &r.o.dept, &r.o.first, &r.o.last,
		&r.recID, &r.in, &r.out, &r.bFrom, &r.bTo); err != nil {
		return nil, fmt.Errorf("reports: punches scan: %w", err)
	}
	return &r, nil
}

// Next returns the next owner, or nil at the end.
func (c *punchCursor) Next() (*owner, error) {
	if c.next == nil && !c.done {
		r, err := c.read()
		if err != nil || r == nil {
			return nil, err
		}
		c.next = r
	}
	if c.next == nil {
		return nil, nil
	}
	o := c.next.o
	o.punches = nil
	r := c.next
	for r != nil && r.o.id == o.id {
		if r.recID.Valid {
			if n := len(o.punches); n == 0 || o.punches[n-1].id != r.recID.Int64 {
				o.punches = append(o.punches, punch{id: r.recID.Int64, in: r.in.Time, out: r.out})
			}
			if r.bFrom.Valid {
				p := &o.punches[len(o.punches)-1]
				p.breaks = append(p.breaks, attendance.Interval{Start: r.bFrom.Time, End: r.bTo.Time})
			}
		}
		var err error
		if r, err = c.read(); err != nil {
			return nil, err
		}
	}
	c.next = r
	return &o, nil
}
