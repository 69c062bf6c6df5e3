package labor

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// DaySales is a day's sales forecast, in cents.
type DaySales struct {
	Date  string `json:"date"`
	Cents int64  `json:"cents"`
}

// SalesInput is the body of PUT /departments/{id}/sales: days entered by
// hand, or a CSV (a header "date,amount", then one day a line, amounts in
// dollars such as 1234.50).
type SalesInput struct {
	Days []DaySales `json:"days"`
	CSV  *string    `json:"csv"`
}

// Limits of a forecast upload.
const (
	maxSalesDays  = 400
	maxSalesCents = 100_000_000_00 // a hundred million dollars a day
	maxSalesCSV   = 64 << 10
)

// ParseSalesCSV reads a sales forecast: a header naming a date and an
// amount column ("date,amount"; also "day", "sales"), then one line per day:
// YYYY-MM-DD and an amount in dollars ("1234.50", "1,234.50", "$1234.5";
// never negative, never more than two decimals). It answers the days, or a
// 422 naming the first bad line. It never panics, whatever the input
// (FuzzParseSalesCSV).
func ParseSalesCSV(r io.Reader) ([]DaySales, error) {
	cr := csv.NewReader(bufio.NewReader(io.LimitReader(r, maxSalesCSV+1)))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, apperr.Field("csv", "needs a header line such as date,amount")
	}
	dateCol, amountCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "date", "day":
			dateCol = i
		case "amount", "sales", "forecast":
			amountCol = i
		}
	}
	if dateCol < 0 || amountCol < 0 {
		return nil, apperr.Field("csv", "the header must name a date column (date) and an amount column (amount)")
	}
	seen := map[string]bool{}
	var out []DaySales
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, apperr.Field("csv", fmt.Sprintf("line %d is not valid CSV", line))
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) <= dateCol || len(rec) <= amountCol {
			return nil, apperr.Field("csv", fmt.Sprintf("line %d has too few fields", line))
		}
		d := strings.TrimSpace(rec[dateCol])
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, apperr.Field("csv", fmt.Sprintf("line %d: %q is not a date like 2026-11-09", line, truncate(d)))
		}
		c, ok := parseDollars(rec[amountCol])
		if !ok {
			return nil, apperr.Field("csv", fmt.Sprintf("line %d: %q is not an amount like 1234.50", line, truncate(rec[amountCol])))
		}
		if seen[d] {
			return nil, apperr.Field("csv", fmt.Sprintf("line %d: %s appears twice", line, d))
		}
		seen[d] = true
		if len(out) == maxSalesDays {
			return nil, apperr.Field("csv", fmt.Sprintf("at most %d days at once", maxSalesDays))
		}
		out = append(out, DaySales{Date: d, Cents: c})
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// parseDollars reads "1,234.50" or "$1234.5" as cents, without floats.
func parseDollars(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "$")
	s = strings.ReplaceAll(s, ",", "")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	var f int64
	if frac != "" {
		if len(frac) == 1 {
			frac += "0"
		}
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	return w*100 + f, true
}

// PutSales stores a department's forecast for the days given (managers of
// the department, admins; audited): days by hand, or a CSV. A day already
// forecast is replaced; nothing is written when any day is bad.
func (s *Service) PutSales(ctx context.Context, p auth.Principal, dept int64, in SalesInput) ([]DaySales, error) {
	if err := auth.RequireManagerOf(p, dept); err != nil {
		return nil, err
	}
	days := in.Days
	switch {
	case in.CSV != nil && len(in.Days) > 0:
		return nil, apperr.Field("csv", "send days or csv, not both")
	case in.CSV != nil:
		if len(*in.CSV) > maxSalesCSV {
			return nil, apperr.Field("csv", "at most 64 KiB")
		}
		var err error
		if days, err = ParseSalesCSV(strings.NewReader(*in.CSV)); err != nil {
			return nil, err
		}
	}
	f := apperr.Fields{}
	if len(days) == 0 || len(days) > maxSalesDays {
		f.Add("days", fmt.Sprintf("send 1 to %d days", maxSalesDays))
	}
	seen := map[string]bool{}
	for i, d := range days {
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil || seen[d.Date] {
			f.Add(fmt.Sprintf("days[%d].date", i), "must be a date like 2026-11-09, once")
		}
		seen[d.Date] = true
		if d.Cents < 0 || d.Cents > maxSalesCents {
			f.Add(fmt.Sprintf("days[%d].cents", i), "must be between 0 and 10000000000")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		if err := departmentExists(ctx, tx, dept); err != nil {
			return err
		}
		for _, d := range days {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sales_forecasts WHERE department_id = ? AND day = ?", dept, d.Date); err != nil {
				return fmt.Errorf("labor: sales: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO sales_forecasts (department_id, day, cents, updated_at) VALUES (?, ?, ?, ?)", dept, d.Date, d.Cents, tx.Now()); err != nil {
				return fmt.Errorf("labor: sales: %w", err)
			}
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "labor.sales", Entity: "department", EntityID: dept, Detail: map[string]any{"days": len(days)}})
		tx.EmitManagers(outbox.DeptTopic(dept), EventCostChanged, CostChanged{DepartmentID: dept})
		return nil
	})
	return days, err
}

// loadSales reads a department's forecast of the days [first, last].
func loadSales(ctx context.Context, q querier, dept int64, first, last string) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT day, cents FROM sales_forecasts WHERE department_id = ? AND day >= ? AND day <= ?", dept, first, last)
	if err != nil {
		return nil, fmt.Errorf("labor: sales: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var d string
		var c int64
		if err := rows.Scan(&d, &c); err != nil {
			return nil, fmt.Errorf("labor: sales: %w", err)
		}
		out[d] = c
	}
	return out, rows.Err()
}

// laborBasisPoints is cost as a share of sales in hundredths of a percent
// (2345 = 23.45 %), rounded half up; nil without sales.
func laborBasisPoints(cost, sales int64) *int64 {
	if sales <= 0 {
		return nil
	}
	bp := roundHalfUp(cost*10000, sales)
	return &bp
}
