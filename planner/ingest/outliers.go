package ingest

import (
	"slices"

	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

// Outlier rule (opt-in): within each job family x standard level x country group of
// a file with at least OutlierMinGroup rows, a row whose total lies outside Tukey's far
// fences, Q1 - 3 IQR and Q3 + 3 IQR (type-7 quartiles), is excluded. Far fences, not
// the usual 1.5 IQR, because pay is right-skewed: only a mistyped figure (an extra
// zero, pay in thousands) should fall outside them. Rows with an unmapped family,
// level or country are never excluded: they have no group.
const (
	OutlierMinGroup = 20
	OutlierFence    = 3
)

// Outliers returns the indices of the observations the outlier rule excludes, ascending.
func Outliers(obs []market.Observation) []int {
	type key struct{ family, level, country string }
	groups := map[key][]int{}
	for i, o := range obs {
		if o.Family != "" && o.Level != "" && o.Country != "" {
			k := key{o.Family, o.Level, o.Country}
			groups[k] = append(groups[k], i)
		}
	}
	var out []int
	for _, idx := range groups {
		if len(idx) < OutlierMinGroup {
			continue
		}
		totals := make([]float64, len(idx))
		for j, i := range idx {
			totals[j] = obs[i].Total
		}
		slices.Sort(totals)
		q1, q3 := stats.Percentile(totals, 0.25), stats.Percentile(totals, 0.75)
		lo, hi := q1-OutlierFence*(q3-q1), q3+OutlierFence*(q3-q1)
		for _, i := range idx {
			if t := obs[i].Total; t < lo || t > hi {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out
}
