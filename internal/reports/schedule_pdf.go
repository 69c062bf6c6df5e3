package reports

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// The printable schedule: one A4 landscape grid per week, people down the
// side, the week's days across, each cell the person's shifts that day. The
// Go fonts (BSD licensed, shipped with golang.org/x/image) are embedded as
// TrueType subsets, so every name prints, accents included, on any printer.
const (
	pdfFont      = "gofont"
	pdfMargin    = 10.0
	pdfNameWidth = 52.0
	pdfLine      = 4.2 // mm per text line in a cell
	pdfPageH     = 210.0
	pdfPageW     = 297.0
	pdfFooter    = 12.0
)

// gridShift is one shift of the grid.
type gridShift struct {
	day           string // local date
	person, dept  string
	personID      string // "" for an open shift: two people of one name keep two rows
	from, to, pos string
}

// writeSchedulePDF reads the schedule source's rows (a schedule has at
// most a few hundred a week, so they are held in memory) and prints them as
// week grids. The rows are looked up by column name.
func writeSchedulePDF(ctx context.Context, w io.Writer, src Source, q Query) (int64, error) {
	col := map[string]int{}
	for i, c := range src.Columns() {
		col[c] = i
	}
	for _, c := range []string{"date", "department", "employee", "employee_id", "from", "to", "position"} {
		if _, ok := col[c]; !ok {
			return 0, fmt.Errorf("%w: the schedule has no %s column", ErrPermanent, c)
		}
	}
	var shifts []gridShift
	depts := map[string]bool{}
	err := src.Stream(ctx, q, func(row []any) error {
		cell := func(name string) string { return cellString(row[col[name]], q.Location) }
		sh := gridShift{day: cell("date"), person: cell("employee"), personID: cell("employee_id"), dept: cell("department"),
			from: cell("from"), to: cell("to"), pos: cell("position")}
		depts[sh.dept] = true
		shifts = append(shifts, sh)
		return nil
	})
	if err != nil {
		return 0, err
	}
	doc := newSchedulePDF(q)
	deptTitle := "All departments"
	if len(depts) == 1 {
		for d := range depts {
			deptTitle = d
		}
	}
	for start := weekStart(q.From, q.WeekStart); !start.After(q.To); start = start.AddDate(0, 0, 7) {
		doc.week(start, deptTitle, len(depts) > 1, shifts)
	}
	return int64(len(shifts)), doc.pdf.Output(w)
}

type schedulePDF struct {
	pdf   *fpdf.Fpdf
	store string
	title string // the current page's heading: department and week
	days  []time.Time
}

func newSchedulePDF(q Query) *schedulePDF {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(pdfFont, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(pdfFont, "B", gobold.TTF)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(false, pdfFooter)
	pdf.AliasNbPages("{nb}")
	store := q.StoreName
	if store == "" {
		store = "CrumbCommander"
	}
	pdf.SetTitle(store+" schedule "+q.From.Format(dayLayout)+" to "+q.To.Format(dayLayout), true)
	pdf.SetCreator("CrumbCommander", true)
	d := &schedulePDF{pdf: pdf, store: store}
	pdf.SetHeaderFunc(d.header)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfFooter + 2)
		pdf.SetFont(pdfFont, "", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s · printed schedule · Page %d of {nb}", store, pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	return d
}

func (d *schedulePDF) dayWidth() float64 { return (pdfPageW - 2*pdfMargin - pdfNameWidth) / 7 }

// header prints the store, the department and week, and the day columns.
func (d *schedulePDF) header() {
	p := d.pdf
	p.SetFont(pdfFont, "B", 14)
	p.CellFormat(0, 7, d.store, "", 1, "L", false, 0, "")
	p.SetFont(pdfFont, "", 11)
	p.CellFormat(0, 6, d.title, "", 1, "L", false, 0, "")
	p.Ln(2)
	p.SetFont(pdfFont, "B", 9)
	p.SetFillColor(235, 235, 235)
	p.CellFormat(pdfNameWidth, 7, "Person", "1", 0, "L", true, 0, "")
	for _, day := range d.days {
		p.CellFormat(d.dayWidth(), 7, day.Format("Mon 2 Jan"), "1", 0, "C", true, 0, "")
	}
	p.Ln(-1)
}

// week prints the grid of the week starting on start, on new pages.
func (d *schedulePDF) week(start time.Time, dept string, withDept bool, shifts []gridShift) {
	d.days = d.days[:0]
	index := map[string]int{}
	for i := range 7 {
		day := start.AddDate(0, 0, i)
		d.days = append(d.days, day)
		index[day.Format(dayLayout)] = i
	}
	d.title = fmt.Sprintf("%s · week of %s to %s", dept, start.Format("Monday 2 January 2006"), d.days[6].Format("Monday 2 January 2006"))
	// cells[person][day] lists the shift lines.
	type person struct {
		label, key string
		cells      [7][]string
	}
	byKey := map[string]*person{}
	for _, sh := range shifts {
		i, ok := index[sh.day]
		if !ok {
			continue
		}
		label, key := sh.person, sh.personID+"|"+sh.person
		if withDept {
			label += " (" + sh.dept + ")"
			key += "|" + sh.dept
		}
		pr := byKey[key]
		if pr == nil {
			pr = &person{label: label, key: key}
			byKey[key] = pr
		}
		line := sh.from + "–" + sh.to
		if sh.pos != "" {
			line += " " + sh.pos
		}
		pr.cells[i] = append(pr.cells[i], line)
	}
	people := make([]*person, 0, len(byKey))
	for _, pr := range byKey {
		people = append(people, pr)
	}
	// Open shifts go last; people by name.
	slices.SortFunc(people, func(a, b *person) int {
		ao, bo := strings.HasPrefix(a.label, "(open)"), strings.HasPrefix(b.label, "(open)")
		if ao != bo {
			if ao {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.label, b.label), cmp.Compare(a.key, b.key))
	})
	p := d.pdf
	p.AddPage()
	if len(people) == 0 {
		p.SetFont(pdfFont, "", 10)
		p.CellFormat(0, 8, "No published shifts this week.", "", 1, "L", false, 0, "")
		return
	}
	for _, pr := range people {
		lines := 1
		for _, c := range pr.cells {
			lines = max(lines, len(c))
		}
		h := float64(lines)*pdfLine + 2
		if p.GetY()+h > pdfPageH-pdfFooter {
			p.AddPage()
		}
		x, y := p.GetX(), p.GetY()
		p.SetFont(pdfFont, "B", 9)
		p.Rect(x, y, pdfNameWidth, h, "D")
		p.SetXY(x+1, y+1)
		p.CellFormat(pdfNameWidth-2, pdfLine, fit(p, pr.label, pdfNameWidth-2), "", 0, "L", false, 0, "")
		p.SetFont(pdfFont, "", 8)
		for i, c := range pr.cells {
			cx := x + pdfNameWidth + float64(i)*d.dayWidth()
			p.Rect(cx, y, d.dayWidth(), h, "D")
			for j, line := range c {
				p.SetXY(cx+1, y+1+float64(j)*pdfLine)
				p.CellFormat(d.dayWidth()-2, pdfLine, fit(p, line, d.dayWidth()-2), "", 0, "L", false, 0, "")
			}
		}
		p.SetXY(x, y+h)
	}
}

// fit shortens s with an ellipsis until it fits width in the current font.
func fit(p *fpdf.Fpdf, s string, width float64) string {
	if p.GetStringWidth(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && p.GetStringWidth(string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
