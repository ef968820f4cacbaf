// Package market holds market data in memory: observations, and the snapshot, an
// immutable index of them by cohort that every band is computed from. A snapshot is
// built once per change of the active data and swapped atomically (see Current), so
// no request ever waits on storage or sees a half-built index.
package market

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/stats"
)

// Observation is one market data point, normalised onto the catalog. Amounts are
// yearly USD. Base 0 means "not reported": the row counts for total, equity and bonus
// but not for base. Tokens is the yearly token budget, 0 when there is none; it is a
// separate series and never part of Total.
type Observation struct {
	Company      string // canonical company name
	CompanyLevel string // the company's canonical level, or the raw one when unmapped
	Title        string
	Family       string // catalog family id; empty when unmapped
	Level        string // standard level id; empty when unmapped
	Metro        string // metro id, empty when only the zone or country is known
	Zone         string
	Country      string // empty when the location is unmapped
	Reported     time.Time
	Base         float64
	Equity       float64
	Bonus        float64
	Total        float64
	Tokens       float64
}

// DatasetInfo describes a dataset behind a snapshot.
type DatasetInfo struct {
	ID        string
	Name      string
	Synthetic bool
	Rows      int
	// Weight is the dataset's blending weight; WeightPercent its share of all weights.
	Weight        float64
	WeightPercent float64
}

// Dataset is a named set of normalised observations with a blending weight.
type Dataset struct {
	DatasetInfo
	Observations []Observation
}

// CohortKey names a cohort: job family x standard level x place at a scope.
type CohortKey struct {
	Family string
	Level  string
	Scope  catalog.Scope
	Place  string // metro, zone or country id
}

// Kind is one series of a cohort.
type Kind int

const (
	Total Kind = iota
	Base
	Equity
	Bonus
	Tokens
	numKinds
)

// Series is one kind of value in a cohort, ascending.
type Series struct {
	Sorted []float64
	Sum    float64
}

// Count is the number of observations in the series.
func (s Series) Count() int { return len(s.Sorted) }

// Cohort holds one dataset's observations of a cohort as sorted series, aged to the
// snapshot's reference date at one aging rate. Token budgets are not aged: compute
// prices fall over time, so a wage index would overstate old budgets.
type Cohort struct {
	Series [numKinds]Series // Base holds rows with a reported base only
	// mix sums base, equity, bonus and total over the rows that report a base: the
	// pay mix must come from rows whose parts are all known.
	mix         [4]float64
	First, Last time.Time // report dates
	rows        []int32   // indices into the dataset's observations
}

// part is one dataset of a snapshot and its cohort index. Nothing in it changes after
// the snapshot is built: readers share it without locks.
type part struct {
	info    DatasetInfo
	obs     []Observation
	cohorts map[CohortKey]*Cohort
	// rated holds the cohorts aged at the other rates the snapshot was built for
	// (WithRates); any other rate is aged on the fly for the one request that asks.
	rated map[float64]map[CohortKey]*Cohort
}

// Snapshot is an immutable index of market observations by cohort, over one or more
// datasets blended by weight.
type Snapshot struct {
	Version  string
	Datasets []DatasetInfo
	// Reference is the date the precomputed series are aged to, and DefaultRate the
	// yearly aging rate they are aged at. Any other effective date is one factor away
	// (see View); the rates of WithRates are precomputed too, and any other rate is
	// aged when a request asks for it.
	Reference   time.Time
	DefaultRate float64

	parts []*part
}

var scopes = [...]catalog.Scope{catalog.ScopeMetro, catalog.ScopeZone, catalog.ScopeCountry}

// Build indexes datasets: every observation with a job family, level and country joins
// the cohorts of its metro, zone and country, and each cohort's series are aged to the
// reference date at the default rate. Observations lacking any of those stay out of
// cohorts (imports count them; nothing is guessed). Weights of zero count as one.
func Build(datasets []Dataset, reference time.Time, defaultRate float64) *Snapshot {
	s := &Snapshot{Reference: reference, DefaultRate: defaultRate}
	totalWeight := 0.0
	for _, ds := range datasets {
		totalWeight += weight(ds.Weight)
	}
	h := fnv.New64a()
	for _, ds := range datasets {
		info := ds.DatasetInfo
		info.Rows = len(ds.Observations)
		info.Weight = weight(ds.Weight)
		info.WeightPercent = info.Weight / totalWeight * 100
		s.Datasets = append(s.Datasets, info)
		s.parts = append(s.parts, buildPart(info, ds.Observations, reference, defaultRate))
		hashDataset(h, info, ds.Observations)
	}
	s.Version = fmt.Sprintf("%016x", h.Sum64())
	return s
}

func weight(w float64) float64 {
	if w <= 0 {
		return 1
	}
	return w
}

func buildPart(info DatasetInfo, obs []Observation, reference time.Time, rate float64) *part {
	p := &part{info: info, obs: obs, cohorts: map[CohortKey]*Cohort{}}
	for i, o := range obs {
		if o.Family == "" || o.Level == "" || o.Country == "" {
			continue
		}
		for _, scope := range scopes {
			place := o.Place(scope)
			if place == "" {
				continue
			}
			key := CohortKey{Family: o.Family, Level: o.Level, Scope: scope, Place: place}
			c := p.cohorts[key]
			if c == nil {
				c = &Cohort{}
				p.cohorts[key] = c
			}
			c.rows = append(c.rows, int32(i))
		}
	}
	factors := make([]float64, len(obs))
	for i, o := range obs {
		factors[i] = agingFactor(o, reference, rate)
	}
	for _, c := range p.cohorts {
		fill(c, obs, func(r int32) float64 { return factors[r] })
	}
	return p
}

// Place is the observation's metro, zone or country id at a scope.
func (o *Observation) Place(scope catalog.Scope) string {
	switch scope {
	case catalog.ScopeMetro:
		return o.Metro
	case catalog.ScopeZone:
		return o.Zone
	}
	return o.Country
}

// agingFactor ages an observation to the reference date at a rate.
func agingFactor(o Observation, reference time.Time, rate float64) float64 {
	return stats.AgingFactor(rate, stats.MonthsBetween(o.Reported, reference))
}

// fill computes a cohort's series from its rows and the aging factor of each row.
func fill(c *Cohort, obs []Observation, factor func(row int32) float64) {
	n := len(c.rows)
	// One backing array for all series keeps a cohort to a few allocations.
	buf := make([]float64, 0, int(numKinds)*n)
	for k := range numKinds {
		start := len(buf)
		sum := 0.0
		for _, r := range c.rows {
			o := &obs[r]
			var v float64
			switch k {
			case Total:
				v = o.Total
			case Base:
				if v = o.Base; v <= 0 {
					continue // not reported
				}
			case Equity:
				v = o.Equity
			case Bonus:
				v = o.Bonus
			case Tokens:
				if v = o.Tokens; v <= 0 {
					continue // no budget
				}
			}
			if k != Tokens {
				v *= factor(r)
			}
			buf = append(buf, v)
			sum += v
		}
		vals := buf[start:len(buf):len(buf)]
		slices.Sort(vals)
		c.Series[k] = Series{Sorted: vals, Sum: sum}
	}
	for _, r := range c.rows {
		if o := &obs[r]; o.Base > 0 {
			f := factor(r)
			c.mix[0] += o.Base * f
			c.mix[1] += o.Equity * f
			c.mix[2] += o.Bonus * f
			c.mix[3] += o.Total * f
		}
	}
	for i, r := range c.rows {
		d := obs[r].Reported
		if i == 0 || d.Before(c.First) {
			c.First = d
		}
		if i == 0 || d.After(c.Last) {
			c.Last = d
		}
	}
}

// cohortAt finds the part's cohort aged at a rate: precomputed for the default rate
// and the snapshot's other rates, aged now (and not kept) for any other.
func (p *part) cohortAt(key CohortKey, rate, defaultRate float64, reference time.Time) *Cohort {
	base := p.cohorts[key]
	if base == nil || rate == defaultRate {
		return base
	}
	if byKey, ok := p.rated[rate]; ok {
		return byKey[key]
	}
	return p.aged(base, rate, reference)
}

// aged is a cohort's series aged at another rate.
func (p *part) aged(base *Cohort, rate float64, reference time.Time) *Cohort {
	c := &Cohort{rows: base.rows}
	fill(c, p.obs, func(r int32) float64 { return agingFactor(p.obs[r], reference, rate) })
	return c
}

// WithRates is the snapshot with its cohorts also aged at each of rates (the stored
// policies' rates), precomputed so that no band on them ages a cohort. Rates already
// computed are shared with s; s itself is unchanged.
func (s *Snapshot) WithRates(rates []float64) *Snapshot {
	want := map[float64]bool{}
	for _, r := range rates {
		if r != s.DefaultRate {
			want[r] = true
		}
	}
	same := len(s.parts) == 0 || len(want) == len(s.parts[0].rated)
	for r := range want {
		if same {
			_, same = s.parts[0].rated[r]
		}
	}
	if same {
		return s
	}
	out := *s
	out.parts = make([]*part, len(s.parts))
	for i, p := range s.parts {
		np := *p
		np.rated = make(map[float64]map[CohortKey]*Cohort, len(want))
		for r := range want {
			if byKey, ok := p.rated[r]; ok {
				np.rated[r] = byKey
				continue
			}
			factors := make([]float64, len(p.obs))
			for j := range p.obs {
				factors[j] = agingFactor(p.obs[j], s.Reference, r)
			}
			byKey := make(map[CohortKey]*Cohort, len(p.cohorts))
			for key, base := range p.cohorts {
				c := &Cohort{rows: base.rows}
				fill(c, p.obs, func(row int32) float64 { return factors[row] })
				byKey[key] = c
			}
			np.rated[r] = byKey
		}
		out.parts[i] = &np
	}
	return &out
}

// Rates are the aging rates the snapshot holds precomputed, the default first.
func (s *Snapshot) Rates() []float64 {
	out := []float64{s.DefaultRate}
	if len(s.parts) > 0 {
		for r := range s.parts[0].rated {
			out = append(out, r)
		}
	}
	slices.Sort(out[1:])
	return out
}

// Lookup finds a cohort aged at a yearly rate (0.03 for 3%) to an effective date, in
// every dataset that has it.
func (s *Snapshot) Lookup(key CohortKey, rate float64, effective time.Time) (View, bool) {
	v := View{factor: stats.AgingFactor(rate, stats.MonthsBetween(s.Reference, effective))}
	for _, p := range s.parts {
		if c := p.cohortAt(key, rate, s.DefaultRate, s.Reference); c != nil {
			v.parts = append(v.parts, viewPart{c: c, weight: p.info.Weight, info: &p.info})
		}
	}
	return v, len(v.parts) > 0
}

// Peer gathers the observations that match a filter (for example one company's
// level, whatever the cohort) into a view aged at a rate to an effective date.
func (s *Snapshot) Peer(match func(*Observation) bool, rate float64, effective time.Time) View {
	v := View{factor: stats.AgingFactor(rate, stats.MonthsBetween(s.Reference, effective))}
	for _, p := range s.parts {
		c := &Cohort{}
		for i := range p.obs {
			if match(&p.obs[i]) {
				c.rows = append(c.rows, int32(i))
			}
		}
		if len(c.rows) == 0 {
			continue
		}
		fill(c, p.obs, func(r int32) float64 { return agingFactor(p.obs[r], s.Reference, rate) })
		v.parts = append(v.parts, viewPart{c: c, weight: p.info.Weight, info: &p.info})
	}
	return v
}

// Count is the number of observations of a cohort over all datasets, whatever the aging.
func (s *Snapshot) Count(key CohortKey) int {
	n := 0
	for _, p := range s.parts {
		if c := p.cohorts[key]; c != nil {
			n += len(c.rows)
		}
	}
	return n
}

// Keys lists every cohort of the snapshot once (in no particular order).
func (s *Snapshot) Keys() []CohortKey {
	seen := map[CohortKey]bool{}
	var keys []CohortKey
	for _, p := range s.parts {
		for k := range p.cohorts {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// Synthetic reports whether any dataset behind the snapshot is synthetic.
func (s *Snapshot) Synthetic() bool {
	for _, d := range s.Datasets {
		if d.Synthetic {
			return true
		}
	}
	return false
}

// hashDataset adds a dataset to the snapshot's content hash: the same data gives the
// same version on every start, so clients may cache bands by it.
func hashDataset(h interface{ Write([]byte) (int, error) }, info DatasetInfo, obs []Observation) {
	buf := make([]byte, 0, 256)
	buf = append(append(append(buf, info.ID...), 0), info.Name...)
	buf = binary.LittleEndian.AppendUint64(append(buf, 0), math.Float64bits(info.Weight))
	h.Write(buf)
	for i := range obs {
		o := &obs[i]
		buf = buf[:0]
		for _, s := range [...]string{o.Company, o.CompanyLevel, o.Title, o.Family, o.Level, o.Metro, o.Zone, o.Country} {
			buf = append(append(buf, s...), 0)
		}
		for _, v := range [...]float64{float64(o.Reported.Unix()), o.Base, o.Equity, o.Bonus, o.Total, o.Tokens} {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		h.Write(buf)
	}
}
