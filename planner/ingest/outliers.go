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
	var f Fences
	for i := range obs {
		f.Add(&obs[i])
	}
	return f.Excluded()
}

// Fences applies the outlier rule to observations added one at a time, holding a
// group and a total per observation (12 bytes), not the observations.
type Fences struct {
	groups map[[3]string]int32
	group  []int32 // per observation, -1 for none
	total  []float64
}

// Add records the next observation.
func (f *Fences) Add(o *market.Observation) {
	if f.groups == nil {
		f.groups = map[[3]string]int32{}
	}
	g := int32(-1)
	if o.Family != "" && o.Level != "" && o.Country != "" {
		k := [3]string{o.Family, o.Level, o.Country}
		var ok bool
		if g, ok = f.groups[k]; !ok {
			g = int32(len(f.groups))
			f.groups[k] = g
		}
	}
	f.group = append(f.group, g)
	f.total = append(f.total, o.Total)
}

// Excluded returns the indices (in the order added) of the observations the rule
// excludes, ascending.
func (f *Fences) Excluded() []int {
	members := make([][]int, len(f.groups))
	for i, g := range f.group {
		if g >= 0 {
			members[g] = append(members[g], i)
		}
	}
	var out []int
	for _, idx := range members {
		if len(idx) < OutlierMinGroup {
			continue
		}
		totals := make([]float64, len(idx))
		for j, i := range idx {
			totals[j] = f.total[i]
		}
		slices.Sort(totals)
		q1, q3 := stats.Percentile(totals, 0.25), stats.Percentile(totals, 0.75)
		lo, hi := q1-OutlierFence*(q3-q1), q3+OutlierFence*(q3-q1)
		for _, i := range idx {
			if t := f.total[i]; t < lo || t > hi {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out
}
