package reports

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/xuri/excelize/v2"
)

// writeFormat writes the source's rows to w in format and returns the row count.
func writeFormat(ctx context.Context, format, kind string, w io.Writer, src Source, q Query) (int64, error) {
	switch format {
	case FormatCSV:
		return writeCSV(ctx, w, src, q)
	case FormatXLSX:
		return writeXLSX(ctx, w, src, q)
	case FormatPDF:
		return writePDF(ctx, w, kind, src, q)
	}
	return 0, fmt.Errorf("%w: unknown format %q", ErrPermanent, format)
}

func cellString(v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.In(loc).Format("2006-01-02 15:04")
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func writeCSV(ctx context.Context, w io.Writer, src Source, q Query) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(src.Columns()); err != nil {
		return 0, err
	}
	var n int64
	rec := make([]string, len(src.Columns()))
	err := src.Stream(ctx, q, func(row []any) error {
		for i, v := range row {
			rec[i] = cellString(v, q.Location)
		}
		n++
		return cw.Write(rec)
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// writeXLSX uses excelize's stream writer: rows go to a temporary file, not
// memory; the finished workbook is zipped once at the end.
func writeXLSX(ctx context.Context, w io.Writer, src Source, q Query) (int64, error) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return 0, err
	}
	header := make([]any, len(src.Columns()))
	for i, c := range src.Columns() {
		header[i] = c
	}
	if err := sw.SetRow("A1", header); err != nil {
		return 0, err
	}
	var n int64
	cells := make([]any, len(header))
	err = src.Stream(ctx, q, func(row []any) error {
		for i, v := range row {
			switch x := v.(type) {
			case time.Time:
				cells[i] = x.In(q.Location).Format("2006-01-02 15:04")
			case []byte:
				cells[i] = string(x)
			default:
				cells[i] = v
			}
		}
		n++
		cell, err := excelize.CoordinatesToCellName(1, int(n)+1)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return n, err
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	return n, f.Write(w)
}

// writePDF prints the rows as a landscape table (the printable schedule).
// A schedule has at most a few hundred rows, so the document is built in
// memory.
func writePDF(ctx context.Context, w io.Writer, kind string, src Source, q Query) (int64, error) {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetTitle("CrumbCommander "+kind, true)
	pdf.SetAutoPageBreak(true, 12)
	cols := src.Columns()
	width := 277.0 / float64(len(cols))
	header := func() {
		pdf.SetFont("Helvetica", "B", 9)
		for _, c := range cols {
			pdf.CellFormat(width, 7, c, "1", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 9)
	}
	pdf.SetHeaderFunc(func() {
		pdf.SetFont("Helvetica", "B", 13)
		pdf.CellFormat(0, 9, fmt.Sprintf("%s %s to %s", kind, q.From.Format("2006-01-02"), q.To.Format("2006-01-02")), "", 1, "L", false, 0, "")
		header()
	})
	pdf.AddPage()
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	var n int64
	err := src.Stream(ctx, q, func(row []any) error {
		for _, v := range row {
			pdf.CellFormat(width, 6, tr(cellString(v, q.Location)), "1", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
		n++
		return pdf.Error()
	})
	if err != nil {
		return n, err
	}
	return n, pdf.Output(w)
}
