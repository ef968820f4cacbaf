package market

import (
	"cmp"
	"slices"
	"sort"
)

// Company weights (ARCHITECTURE.md and the README, "Company weights"): within each
// dataset's cohort and series, no company may carry more than a share c of a
// statistic's weight. With companies' row counts n_1 >= ... >= n_m, k is the smallest
// k >= 0 with n_(k+1) <= c W_k, where W_k = (n_(k+1) + ... + n_m) / (1 - k c); each of
// the first k companies gets total weight c W_k spread equally over its rows, and every
// other row weighs 1. Percentiles are then weighted type 7 and means weighted means;
// with no company above the cap every weight is 1 and they are plain type 7 and means.

// DefaultSharePercent is the default cap of one company's share of a statistic. Its
// weights are computed once per series; any other cap is computed when asked.
const DefaultSharePercent = 25

// companyCount is a company's rows in a series.
type companyCount struct {
	id   uint32 // into the part's strs
	rows int32
}

// companiesOf counts the companies of a series' rows, most rows first.
func (p *Part) companiesOf(rows []uint32) []companyCount {
	ids := make([]uint32, len(rows))
	for i, r := range rows {
		ids[i] = p.company[r]
	}
	slices.Sort(ids)
	var out []companyCount
	for i := 0; i < len(ids); {
		j := i
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		out = append(out, companyCount{id: ids[i], rows: int32(j - i)})
		i = j
	}
	slices.SortFunc(out, func(a, b companyCount) int { return cmp.Or(cmp.Compare(b.rows, a.rows), cmp.Compare(a.id, b.id)) })
	return out
}

// capped is the closed form above: how many companies the cap binds, and the total
// weight each of them gets. counts are most rows first.
func capped(counts []companyCount, share float64) (k int, each float64) {
	rest := 0.0
	for _, c := range counts {
		rest += float64(c.rows)
	}
	for k = 0; k < len(counts); k++ {
		w := rest / (1 - float64(k)*share)
		if float64(counts[k].rows) <= share*w+1e-9 {
			return k, share * w
		}
		rest -= float64(counts[k].rows)
	}
	return 0, 0 // too few companies for the cap (min companies x share < 100 is refused)
}

// weighting is a series' weights under one cap, when the cap binds.
type weighting struct {
	cum        []float64 // S_i, the weight of the first i+1 sorted rows
	sum        float64   // weighted sum of the values
	std        [len(StandardQuantiles)]float64
	maxShare   float64    // the largest company's share of the weight
	mix        [4]float64 // for the Base series: the weighted pay-mix sums (see Cohort.mix)
	capped     []uint32   // the companies the cap binds (a few: at most 1 / share)
	rowWeights []float64  // each one's weight per row
}

// weigh computes a series' weights under a cap share (0-1); nil when the cap does not
// bind (every weight is 1).
func (p *Part) weigh(a *aging, k Kind, s *series, share float64) *weighting {
	if len(s.companies) == 0 || share >= 1 {
		return nil
	}
	n, each := capped(s.companies, share)
	if n == 0 {
		return nil
	}
	w := &weighting{cum: make([]float64, len(s.rows)), capped: make([]uint32, n), rowWeights: make([]float64, n)}
	for i, c := range s.companies[:n] {
		w.capped[i], w.rowWeights[i] = c.id, each/float64(c.rows)
	}
	total := 0.0
	for i, r := range s.rows {
		x := w.weight(p.company[r])
		total += x
		w.cum[i] = total
		v := p.value(a, k, r)
		w.sum += x * v
		if k == Base {
			w.mix = addShares(w.mix, p, r, x)
		}
	}
	w.maxShare = each / total
	for i, q := range StandardQuantiles {
		w.std[i] = w.quantile(p, a, k, s, q)
	}
	return w
}

func (w *weighting) weight(company uint32) float64 {
	for i, id := range w.capped { // a scan: few companies, and no hashing on every row
		if id == company {
			return w.rowWeights[i]
		}
	}
	return 1
}

// quantile is the weighted type-7 q-quantile: with S_i the cumulative weights,
// c_i = S_i - w_i / 2 and p_i = (c_i - c_1) / (c_n - c_1), Q(q) interpolates between
// the x_i linearly in p. Equal weights give p_i = (i - 1) / (n - 1): plain type 7.
func (w *weighting) quantile(p *Part, a *aging, k Kind, s *series, q float64) float64 {
	n := len(s.rows)
	at := func(i int) float64 { return p.value(a, k, s.rows[i]) }
	if n == 1 || q <= 0 {
		return at(0)
	}
	if q >= 1 {
		return at(n - 1)
	}
	c := func(i int) float64 {
		prev := 0.0
		if i > 0 {
			prev = w.cum[i-1]
		}
		return (w.cum[i] + prev) / 2 // S_i - w_i / 2
	}
	c1, cn := c(0), c(n-1)
	pos := func(i int) float64 { return (c(i) - c1) / (cn - c1) }
	// The last i with p_i <= q.
	i := sort.Search(n, func(i int) bool { return pos(i) > q }) - 1
	i = max(0, min(i, n-2))
	pi, pj := pos(i), pos(i+1)
	if pj == pi {
		return at(i)
	}
	x := at(i)
	return x + (q-pi)/(pj-pi)*(at(i+1)-x)
}

// largestRowShare is the largest company's share of a series' rows.
func (s *series) largestRowShare() float64 {
	if len(s.companies) == 0 {
		return 0
	}
	return float64(s.companies[0].rows) / float64(len(s.rows))
}

// Weight is the total weight of a series under the view's cap, summed over the
// datasets whose series takes part in a statistic needing min rows: the row count when
// the cap does not bind. Level curves and geographic differentials weigh cohorts by it.
func (v View) Weight(k Kind, min int) float64 {
	total := 0.0
	for i := range v.parts {
		s := &v.parts[i].c.series[k]
		if !v.takesPart(s, min) {
			continue
		}
		total += s.weight(v.share)
	}
	return total
}

// weight is the series' total weight under a cap share (0-1): the k companies the cap
// binds weigh each, every other row 1.
func (s *series) weight(share float64) float64 {
	n := float64(len(s.rows))
	if share <= 0 || share >= 1 || len(s.companies) == 0 {
		return n
	}
	k, each := capped(s.companies, share)
	for _, c := range s.companies[:k] {
		n += each - float64(c.rows)
	}
	return n
}
