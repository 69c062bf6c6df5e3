package roster

import (
	"testing"
	"time"
)

// Halifax springs forward on 2026-03-08 (02:00 AST -> 03:00 ADT) and falls
// back on 2026-11-01 (02:00 ADT -> 01:00 AST).
func TestWeekOfAcrossDST(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("America/Halifax")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc      string
		instant   string
		startsOn  int
		wantStart string
		wantEnd   string
		wantHours float64
	}{
		{"spring week, Monday start", "2026-03-08T12:00:00-03:00", 1, "2026-03-02T00:00:00-04:00", "2026-03-09T00:00:00-03:00", 167},
		{"spring week, Sunday start", "2026-03-08T12:00:00-03:00", 0, "2026-03-08T00:00:00-04:00", "2026-03-15T00:00:00-03:00", 167},
		{"autumn week, Monday start", "2026-11-01T12:00:00-04:00", 1, "2026-10-26T00:00:00-03:00", "2026-11-02T00:00:00-04:00", 169},
		{"autumn week, Sunday start", "2026-11-01T00:30:00-03:00", 0, "2026-11-01T00:00:00-03:00", "2026-11-08T00:00:00-04:00", 169},
		{"plain week", "2026-12-02T12:00:00-04:00", 1, "2026-11-30T00:00:00-04:00", "2026-12-07T00:00:00-04:00", 168},
		{"instant late Sunday UTC is still Sunday local", "2026-03-09T02:30:00Z", 1, "2026-03-02T00:00:00-04:00", "2026-03-09T00:00:00-03:00", 167},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			w := WeekOf(at(tc.instant), loc, tc.startsOn)
			if !w.Start.Equal(at(tc.wantStart)) || !w.End.Equal(at(tc.wantEnd)) {
				t.Errorf("WeekOf = [%s, %s), want [%s, %s)", w.Start, w.End, tc.wantStart, tc.wantEnd)
			}
			if w.Hours() != tc.wantHours {
				t.Errorf("week is %v hours, want %v", w.Hours(), tc.wantHours)
			}
		})
	}
}

func TestDurationsAndCopyAcrossDST(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Halifax")
	tests := []struct {
		desc       string
		start, end string
		wantHours  float64
		days       int
		wantCopy   string // local wall clock of the copied start
	}{
		{"overnight into spring forward is 7 h", "2026-03-07T22:00:00-04:00", "2026-03-08T06:00:00-03:00", 7, 7, "2026-03-14T22:00:00-03:00"},
		{"overnight into fall back is 9 h", "2026-10-31T22:00:00-03:00", "2026-11-01T06:00:00-04:00", 9, 7, "2026-11-07T22:00:00-04:00"},
		{"copy into the spring week keeps 09:00", "2026-03-02T09:00:00-04:00", "2026-03-02T17:00:00-04:00", 8, 7, "2026-03-09T09:00:00-03:00"},
		{"copy into the autumn week keeps 09:00", "2026-10-26T09:00:00-03:00", "2026-10-26T17:00:00-03:00", 8, 7, "2026-11-02T09:00:00-04:00"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s, e := at(tc.start), at(tc.end)
			if h := e.Sub(s).Hours(); h != tc.wantHours {
				t.Errorf("duration %v h, want %v", h, tc.wantHours)
			}
			if got := shiftByDays(s, tc.days, loc); !got.Equal(at(tc.wantCopy)) {
				t.Errorf("copied start %s, want %s", got.In(loc), tc.wantCopy)
			}
		})
	}
}

func TestWeekHoursAcrossFallBack(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Halifax")
	w := WeekOf(at("2026-11-01T12:00:00-04:00"), loc, 1)
	shifts := []Interval{
		iv(1, "2026-10-31T22:00:00-03:00", "2026-11-01T06:00:00-04:00"), // 9 h by the clock on the wall it looks like 8
		iv(2, "2026-11-02T09:00:00-04:00", "2026-11-02T17:00:00-04:00"), // next week
	}
	if got := WeekHours(w, shifts); got != 9 {
		t.Errorf("WeekHours = %v, want 9", got)
	}
}
