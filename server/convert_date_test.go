package server

import (
	"testing"
	"time"
)

// date writes what time.Format does, whether the day is kept, replaced in its slot by
// another day, or written again.
func TestDateStrings(t *testing.T) {
	if got := date(time.Time{}); got != "" {
		t.Errorf("the zero time: %q", got)
	}
	day := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	for i := range 3 * len(dateStrings) { // every slot taken over at least twice
		d := day.AddDate(0, 0, i*len(dateStrings)/3)
		for range 2 {
			if got, want := date(d), d.Format(time.DateOnly); got != want {
				t.Fatalf("date(%v) = %q, want %q", d, got, want)
			}
		}
		if got := date(day); got != "2026-11-15" {
			t.Fatalf("after %d days: %q", i, got)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { date(day) }); allocs != 0 {
		t.Errorf("a kept day allocates %v times", allocs)
	}
}
