// Package stats holds the standard compensation maths that every figure of paymix
// rests on: type-7 percentiles, publishing thresholds, means and aging.
package stats

import (
	"math"
	"time"
)

// Percentile returns the q-quantile (0 <= q <= 1) of ascending sorted values by linear
// interpolation between order statistics, Hyndman and Fan's type 7 (the default of
// numpy and R): h = (n-1)q, value = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
// It panics on an empty slice: callers check thresholds first.
func Percentile(sorted []float64, q float64) float64 {
	return PercentileAt(len(sorted), func(i int) float64 { return sorted[i] }, q)
}

// PercentileAt is Percentile over n ascending values read through at, for values held
// elsewhere than in a slice (a cohort's rows in a column store).
func PercentileAt(n int, at func(i int) float64, q float64) float64 {
	h := float64(n-1) * q
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= n {
		return at(n - 1)
	}
	x := at(i)
	return x + (h-lo)*(at(i+1)-x)
}

// Publishing thresholds of pay surveys (the DOJ/FTC 1996 safe-harbour practice): the
// mean and p25, p50, p75 need at least 5 observations; p10 and p90 at least 10.
const (
	MinCentral = 5
	MinTails   = 10
)

// MinCount is how many observations a percentile q (0-1) needs to be published: the
// tail threshold outside [p25, p75], the central one within.
func MinCount(q float64) int {
	if q < 0.25 || q > 0.75 {
		return MinTails
	}
	return MinCentral
}

// DaysPerMonth is the mean Gregorian month (365.2425 / 12 days). Months between dates
// are counted in these units so that aging composes exactly: aging to a later date is
// the same factor for every observation, whatever its report date.
const DaysPerMonth = 365.2425 / 12

// MonthsBetween is the number of mean months from a to b (negative when b is earlier).
func MonthsBetween(a, b time.Time) float64 {
	return b.Sub(a).Hours() / 24 / DaysPerMonth
}

// AgingFactor is (1 + r)^(months / 12): the factor that ages a value to an effective
// date, aged = v (1 + r)^(months / 12), at a yearly rate r (0.03 for 3%) over months.
// A rate of 0 gives 1, which turns aging off.
func AgingFactor(rate, months float64) float64 {
	if rate == 0 || months == 0 {
		return 1
	}
	return math.Pow(1+rate, months/12)
}

// DefaultAgingRate is the default yearly aging rate: about 3% a year in the US.
const DefaultAgingRate = 0.03
