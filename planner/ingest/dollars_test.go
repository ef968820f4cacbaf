package ingest

import "testing"

func TestDollars(t *testing.T) {
	for v, want := range map[float64]string{1255000: "$1,255,000", 0: "$0", 999: "$999", 1000: "$1,000", -25000: "-$25,000",
		1234.5: "$1,234.50", 100000001: "$100,000,001", 1e308: "1e+308"} {
		if got := dollars(v); got != want {
			t.Errorf("%g: %q, want %q", v, got, want)
		}
	}
}
