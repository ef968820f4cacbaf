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
	// share (0-1] caps one company's share of a statistic within each dataset's
	// series, and minCompanies is how many companies a dataset's series needs to take
	// part (see Weighted); the zero View applies neither.
	share        float64
	minCompanies int
}

// Weighted is the view with company weights: no company carries more than
// sharePercent of a statistic within a dataset's series, and a dataset's series takes
// part in a statistic only with at least minCompanies companies.
func (v View) Weighted(sharePercent float64, minCompanies int) View {
	v.share, v.minCompanies = sharePercent/100, minCompanies
	return v
}

// Participating is the view narrowed to the datasets whose series k takes part in a
// statistic needing min rows (and the view's companies): what its figures rest on.
// With none, the view is returned whole, so that counts still say what there is.
func (v View) Participating(k Kind, min int) View {
	out := v
	out.parts = nil
	for i := range v.parts {
		if v.takesPart(&v.parts[i].c.series[k], min) {
			out.parts = append(out.parts, v.parts[i])
		}
	}
	if len(out.parts) == 0 {
		return v
	}
	if len(out.parts) == len(v.parts) {
		return v
	}
	out.mixed = false
	for i, p := range out.parts {
		if i == 0 {
			out.factor = p.factor
		} else if p.factor != out.factor {
			out.mixed = true
		}
	}
	return out
}

// weights are a part's series' weights under the view's cap; nil when it does not bind.
func (v *View) weights(p *viewPart, k Kind, s *series) *weighting {
	switch {
	case v.share <= 0 || v.share >= 1:
		return nil
	case v.share == DefaultSharePercent/100.0:
		return s.dflt
	}
	return p.p.weigh(p.a, k, s, v.share)
}

// takesPart says whether a part's series meets a statistic's row threshold and the
// view's company threshold.
func (v *View) takesPart(s *series, min int) bool {
	return len(s.rows) > 0 && len(s.rows) >= min && len(s.companies) >= v.minCompanies
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
	for i := range v.parts {
		if s := &v.parts[i].c.series[k]; v.takesPart(s, min) {
			n += len(s.rows)
		}
	}
	return n
}

// Companies is the number of distinct companies of a series over all datasets.
func (v View) Companies(k Kind) int {
	if len(v.parts) == 1 {
		return len(v.parts[0].c.series[k].companies)
	}
	names := map[string]bool{}
	for _, p := range v.parts {
		for _, c := range p.c.series[k].companies {
			names[p.p.strs[c.id]] = true
		}
	}
	return len(names)
}

// LargestRowShare is the largest company's share of a series' rows over all datasets
// (before any cap), 0-1.
func (v View) LargestRowShare(k Kind) float64 {
	if len(v.parts) == 1 {
		return v.parts[0].c.series[k].largestRowShare()
	}
	rows, n := map[string]int32{}, int32(0)
	for _, p := range v.parts {
		for _, c := range p.c.series[k].companies {
			rows[p.p.strs[c.id]] += c.rows
			n += c.rows
		}
	}
	most := int32(0)
	for _, r := range rows {
		most = max(most, r)
	}
	if n == 0 {
		return 0
	}
	return float64(most) / float64(n)
}

// LargestWeightShare is the largest company's share of a series' weight in the
// statistics that need min rows, 0-1: within a dataset its weight over the series',
// blended as the dataset-weighted sum of its shares.
func (v View) LargestWeightShare(k Kind, min int) float64 {
	if len(v.parts) == 1 { // the common case, without a map
		p := &v.parts[0]
		s := &p.c.series[k]
		if !v.takesPart(s, min) {
			return 0
		}
		if w := v.weights(p, k, s); w != nil {
			return w.maxShare
		}
		return s.largestRowShare()
	}
	shares := map[string]float64{}
	weights := 0.0
	for i := range v.parts {
		p := &v.parts[i]
		s := &p.c.series[k]
		if !v.takesPart(s, min) {
			continue
		}
		weights += p.weight
	}
	if weights == 0 {
		return 0
	}
	for i := range v.parts {
		p := &v.parts[i]
		s := &p.c.series[k]
		if !v.takesPart(s, min) {
			continue
		}
		w := v.weights(p, k, s)
		for j, c := range s.companies {
			if w == nil && j > 0 {
				break // unweighted, only the largest can be the largest
			}
			share := float64(c.rows) / float64(len(s.rows))
			if w != nil {
				share = w.weight(c.id) * float64(c.rows) / w.cum[len(w.cum)-1]
			}
			shares[p.p.strs[c.id]] += p.weight / weights * share
		}
	}
	most := 0.0
	for _, x := range shares {
		most = max(most, x)
	}
	return most
}

// Quantile is the blended type-7 q-quantile of a series at the effective date, over
// the datasets with at least min observations of it (and the view's companies),
// weighted by company under the view's cap; ok is false when there are none.
func (v View) Quantile(k Kind, q float64, min int) (float64, bool) {
	std := slices.Index(StandardQuantiles[:], q)
	return v.blend(k, min, func(p *viewPart, s *series, w *weighting) float64 {
		switch {
		case w != nil && std >= 0:
			return w.std[std]
		case w != nil:
			return w.quantile(p.p, p.a, k, s, q)
		case std >= 0:
			return s.std[std]
		}
		return stats.PercentileAt(len(s.rows), func(i int) float64 { return p.p.value(p.a, k, s.rows[i]) }, q)
	})
}

// Mean is the blended (company-weighted) mean of a series at the effective date, over
// the datasets with at least min observations of it.
func (v View) Mean(k Kind, min int) (float64, bool) {
	return v.blend(k, max(min, 1), func(_ *viewPart, s *series, w *weighting) float64 {
		if w != nil {
			return w.sum / w.cum[len(w.cum)-1]
		}
		return s.sum / float64(len(s.rows))
	})
}

func (v View) blend(k Kind, min int, stat func(*viewPart, *series, *weighting) float64) (float64, bool) {
	sum, weights := 0.0, 0.0
	for i := range v.parts {
		p := &v.parts[i]
		s := &p.c.series[k]
		if !v.takesPart(s, min) {
			continue
		}
		x := stat(p, s, v.weights(p, k, s))
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

// PayMix is the cohort's pay mix: for base, equity and bonus, the mean over the rows
// that report a base of component / (base + equity + bonus) (company-weighted under
// the view's cap), blended over the datasets whose cohort has at least min rows and
// the view's companies. A mean of each row's shares, not a ratio of means: a few rows
// with large grants cannot set the cohort's equity share. The shares sum to 1. ok is
// false when no dataset qualifies.
func (v View) PayMix(min int) (mix [3]float64, ok bool) {
	weights := 0.0
	for i := range v.parts {
		p := &v.parts[i]
		if !v.takesPart(&p.c.series[Total], max(min, 1)) {
			continue
		}
		m := p.c.mix
		if s := &p.c.series[Base]; len(s.rows) == 0 {
			continue
		} else if w := v.weights(p, Base, s); w != nil {
			m = w.mix
		}
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

// MedianAge is how old a series' data is at a date, in mean months: each dataset's
// median report day, blended by dataset weight. ok is false for an empty series.
func (v View) MedianAge(k Kind, at time.Time) (months float64, ok bool) {
	sum, weights := 0.0, 0.0
	for _, p := range v.parts {
		s := &p.c.series[k]
		if len(s.rows) == 0 {
			continue
		}
		sum += p.weight * stats.MonthsBetween(dayTime(s.medianDay), at)
		weights += p.weight
	}
	if weights == 0 {
		return 0, false
	}
	return sum / weights, true
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
