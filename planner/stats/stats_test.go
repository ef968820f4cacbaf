package stats

import (
	"math"
	"testing"
	"time"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g", what, got, want)
	}
}

// Hand-computed type-7 values: h = (n-1)q, x[floor h] + frac(h) (x[floor h+1] - x[floor h]).
// They agree with numpy.percentile and R's quantile(type = 7).
func TestPercentileType7(t *testing.T) {
	five := []float64{10, 20, 30, 40, 50}
	four := []float64{1, 2, 3, 4}
	cases := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		{"n=5 p10: h=0.4 -> 10+0.4*10", five, 0.10, 14},
		{"n=5 p25: h=1", five, 0.25, 20},
		{"n=5 p50: h=2", five, 0.50, 30},
		{"n=5 p75: h=3", five, 0.75, 40},
		{"n=5 p90: h=3.6 -> 40+0.6*10", five, 0.90, 46},
		{"n=4 p50: h=1.5 -> 2.5", four, 0.50, 2.5},
		{"n=4 p90: h=2.7 -> 3.7", four, 0.90, 3.7},
		{"n=4 p10: h=0.3 -> 1.3", four, 0.10, 1.3},
		{"n=4 p0", four, 0, 1},
		{"n=4 p100", four, 1, 4},
		{"n=1", []float64{7}, 0.9, 7},
	}
	for _, c := range cases {
		near(t, c.name, Percentile(c.sorted, c.q), c.want, 1e-9)
	}
}

func TestThresholds(t *testing.T) {
	cases := []struct {
		n    int
		q    float64
		want bool
	}{
		{4, 0.5, false}, {5, 0.5, true}, {5, 0.25, true}, {5, 0.75, true},
		{9, 0.1, false}, {10, 0.1, true}, {9, 0.9, false}, {10, 0.9, true}, {9, 0.2, false},
	}
	for _, c := range cases {
		if got := c.n >= MinCount(c.q); got != c.want {
			t.Errorf("%d observations for q %g: publish %v, want %v", c.n, c.q, got, c.want)
		}
	}
}

// aged = v (1 + r)^(months/12): $100,000 over 18 months at 3% is 100000 * 1.03^1.5
// = 100000 * 1.03 * sqrt(1.03) = 104,533.58.
func TestAging(t *testing.T) {
	near(t, "18 months at 3%", 100000*AgingFactor(0.03, 18), 104533.58, 0.01)
	near(t, "12 months at 3%", 100000*AgingFactor(0.03, 12), 103000, 1e-6)
	near(t, "rate 0 turns aging off", 100000*AgingFactor(0, 18), 100000, 0)
	near(t, "negative months de-age", 103000*AgingFactor(0.03, -12), 100000, 1e-6)

	a := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC) // 546 days
	near(t, "months 2025-01-01 to 2026-07-01: 546 / 30.436875", MonthsBetween(a, b), 546/30.436875, 1e-9)
	near(t, "a mean year is 12 months", MonthsBetween(a, a.Add(time.Duration(365.2425*24*float64(time.Hour)))), 12, 1e-9)
	// Aging composes: a to c equals a to b times b to c.
	c := b.AddDate(0, 7, 3)
	near(t, "factors compose",
		AgingFactor(0.03, MonthsBetween(a, c)),
		AgingFactor(0.03, MonthsBetween(a, b))*AgingFactor(0.03, MonthsBetween(b, c)), 1e-12)
}
