package labor_test

import (
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/labor"
)

func TestParseSalesCSV(t *testing.T) {
	cases := []struct {
		desc string
		in   string
		want []labor.DaySales
		bad  string // a word of the 422's message
	}{
		{desc: "plain", in: "date,amount\n2026-11-09,1234.50\n2026-11-10,99\n", want: []labor.DaySales{{Date: "2026-11-09", Cents: 123450}, {Date: "2026-11-10", Cents: 9900}}},
		{desc: "other names, quotes, a BOM, thousands and a dollar sign", in: "\ufeffSales,Day\n\"$1,500.5\",2026-11-11\n", want: []labor.DaySales{{Date: "2026-11-11", Cents: 150050}}},
		{desc: "blank lines are skipped", in: "date,amount\n\n2026-11-09,1\n\n", want: []labor.DaySales{{Date: "2026-11-09", Cents: 100}}},
		{desc: "no header", in: "", bad: "header"},
		{desc: "header without amount", in: "date,total\n", bad: "amount"},
		{desc: "negative", in: "date,amount\n2026-11-09,-5\n", bad: "line 2"},
		{desc: "three decimals", in: "date,amount\n2026-11-09,1.005\n", bad: "line 2"},
		{desc: "a float's exponent", in: "date,amount\n2026-11-09,1e3\n", bad: "line 2"},
		{desc: "not a date", in: "date,amount\n2026-11-09,1\n11/10/2026,2\n", bad: "line 3"},
		{desc: "a day twice", in: "date,amount\n2026-11-09,1\n2026-11-09,2\n", bad: "twice"},
		{desc: "too few fields", in: "date,amount\n2026-11-09\n", bad: "too few"},
		{desc: "absurd", in: "date,amount\n2026-11-09,99999999999\n", bad: "line 2"},
	}
	for _, tc := range cases {
		got, err := labor.ParseSalesCSV(strings.NewReader(tc.in))
		if tc.bad != "" {
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.ValidationFailed || !strings.Contains(e.Fields["csv"], tc.bad) {
				t.Errorf("%s: %v, want a 422 mentioning %q", tc.desc, err, tc.bad)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%s: %v, %v", tc.desc, got, err)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.desc, got, tc.want)
			}
		}
	}
}

// FuzzParseSalesCSV: whatever the upload, the parser answers days or a 422
// in the error shape, never panics, and every day it accepts is a date
// with an amount in range.
func FuzzParseSalesCSV(f *testing.F) {
	f.Add("date,amount\n2026-11-09,1234.50\n")
	f.Add("Sales,Day\n\"$1,500.5\",2026-11-11\n")
	f.Add("date,amount\n2026-11-09,-1\n")
	f.Fuzz(func(t *testing.T, in string) {
		days, err := labor.ParseSalesCSV(strings.NewReader(in))
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.ValidationFailed || e.Message == "" {
				t.Fatalf("error %v is not a 422", err)
			}
			return
		}
		for _, d := range days {
			if len(d.Date) != 10 || d.Cents < 0 || d.Cents > 99999999999 {
				t.Fatalf("accepted %+v", d)
			}
		}
	})
}
