package market

import (
	"slices"
	"time"

	"github.com/paymix/paymix/planner/stats"
)

// View is a cohort as seen from an effective date, over every dataset that has it.
// Statistics blend datasets by the weighted mean of each dataset's own statistic
// (ARCHITECTURE.md, "Blending sources"); a dataset takes part in a statistic only
// when its own series meets that statistic's threshold, so a handful of rows in a
// second dataset cannot move a published figure. With one dataset every statistic is
// that dataset's own.
type View struct {
	parts []viewPart
	// factor ages values from the parts' reference date to the effective date, when
	// every part has the same reference (the usual case); mixed is true otherwise, and
	// each part's own factor applies. Months are mean Gregorian months, so moving the
	// effective date multiplies every aged value by the same factor.
	factor float64
	mixed  bool
}

type viewPart struct {
	p      *Part
	a      *aging
	c      *Cohort
	weight float64
	info   *DatasetInfo
	factor float64
}

func (v *View) add(vp viewPart) {
	if len(v.parts) == 0 {
		v.factor = vp.factor
	} else if vp.factor != v.factor {
		v.mixed = true
	}
	v.parts = append(v.parts, vp)
}

// Datasets are the datasets the view's observations come from, each with its share of
// their weights: what a figure built on the view rests on.
func (v View) Datasets() []DatasetInfo {
	total := 0.0
	for _, p := range v.parts {
		total += p.weight
	}
	out := make([]DatasetInfo, len(v.parts))
	for i, p := range v.parts {
		out[i] = *p.info
		out[i].WeightPercent = p.weight / total * 100
	}
	return out
}

// Count is the number of observations of a series over all datasets.
func (v View) Count(k Kind) int {
	n := 0
	for _, p := range v.parts {
		n += len(p.c.series[k].rows)
	}
	return n
}

// Rows is the number of observations of the cohort over all datasets.
func (v View) Rows() int {
	n := 0
	for _, p := range v.parts {
		n += p.c.rows
	}
	return n
}

// Eligible is the number of observations of a series in the datasets whose own count
// is at least min: what a statistic needing min observations rests on.
func (v View) Eligible(k Kind, min int) int {
	n := 0
	for _, p := range v.parts {
		if c := len(p.c.series[k].rows); c >= min {
			n += c
		}
	}
	return n
}

// Quantile is the blended type-7 q-quantile of a series at the effective date, over
// the datasets with at least min observations of it; ok is false when there are none.
func (v View) Quantile(k Kind, q float64, min int) (float64, bool) {
	std := slices.Index(StandardQuantiles[:], q)
	return v.blend(k, min, func(p *viewPart, s series) float64 {
		if std >= 0 {
			return s.std[std]
		}
		return stats.PercentileAt(len(s.rows), func(i int) float64 { return p.p.value(p.a, k, s.rows[i]) }, q)
	})
}

// Mean is the blended mean of a series at the effective date, over the datasets with
// at least min observations of it.
func (v View) Mean(k Kind, min int) (float64, bool) {
	return v.blend(k, max(min, 1), func(_ *viewPart, s series) float64 { return s.sum / float64(len(s.rows)) })
}

func (v View) blend(k Kind, min int, stat func(*viewPart, series) float64) (float64, bool) {
	sum, weights := 0.0, 0.0
	for i := range v.parts {
		p := &v.parts[i]
		s := p.c.series[k]
		if len(s.rows) == 0 || len(s.rows) < min {
			continue
		}
		x := stat(p, s)
		if v.mixed && k != Tokens {
			x *= p.factor
		}
		sum += p.weight * x
		weights += p.weight
	}
	if weights == 0 {
		return 0, false
	}
	value := sum / weights
	if !v.mixed && k != Tokens {
		value *= v.factor
	}
	return value, true
}

// PayMix is the cohort's pay mix, mean(component) / mean(total) for base, equity and
// bonus, over the rows that report all three, blended over datasets. In real data the
// parts do not always add up to the reported total, so the shares are scaled to sum
// to 1 (components must sum exactly to a band's total). ok is false when no row
// reports a base.
func (v View) PayMix() (mix [3]float64, ok bool) {
	weights := 0.0
	for _, p := range v.parts {
		m := p.c.mix
		sum := m[0] + m[1] + m[2]
		if m[3] <= 0 || sum <= 0 {
			continue
		}
		for i := range mix {
			mix[i] += p.weight * m[i] / sum
		}
		weights += p.weight
	}
	if weights == 0 {
		return [3]float64{}, false
	}
	for i := range mix {
		mix[i] /= weights
	}
	return mix, true
}

// Dates are the first and last report dates over all datasets.
func (v View) Dates() (first, last time.Time) {
	for i, p := range v.parts {
		f, l := dayTime(p.c.first), dayTime(p.c.last)
		if i == 0 || f.Before(first) {
			first = f
		}
		if i == 0 || l.After(last) {
			last = l
		}
	}
	return first, last
}
