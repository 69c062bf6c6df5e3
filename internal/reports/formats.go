package reports

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

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
		if kind != KindSchedule {
			return 0, fmt.Errorf("%w: %s reports have no pdf", ErrPermanent, kind)
		}
		return writeSchedulePDF(ctx, w, src, q)
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
	if h, ok := src.(Headless); !ok || !h.NoHeader() {
		if err := cw.Write(src.Columns()); err != nil {
			return 0, err
		}
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
	n, err := writeSheet(ctx, f, "Sheet1", src, q)
	if err != nil {
		return n, err
	}
	if d, ok := src.(Detailed); ok {
		name, detail := d.DetailSheet()
		if _, err := f.NewSheet(name); err != nil {
			return n, err
		}
		if _, err := writeSheet(ctx, f, name, detail, q); err != nil {
			return n, err
		}
	}
	return n, f.Write(w)
}

// writeSheet streams src's header and rows into the sheet.
func writeSheet(ctx context.Context, f *excelize.File, sheet string, src Source, q Query) (int64, error) {
	sw, err := f.NewStreamWriter(sheet)
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
	return n, sw.Flush()
}
