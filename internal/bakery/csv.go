package bakery

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// WriteCSV writes a sheet as CSV: one row per line, with the sheet's date,
// kind and status on every row so that exports concatenate cleanly.
func WriteCSV(w io.Writer, sh Sheet) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"date", "kind", "status", "item_id", "item", "count", "upper_limit"})
	for _, l := range sh.Lines {
		cw.Write([]string{sh.Date, sh.Kind, sh.Status, strconv.FormatInt(l.ItemID, 10), safeCell(l.Name),
			strconv.Itoa(l.Count), strconv.Itoa(l.UpperLimit)})
	}
	cw.Flush()
	return cw.Error()
}

// safeCell defuses spreadsheet formulas in text that people typed
// (CSV injection): a leading =, +, -, @, tab or CR becomes literal text.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
