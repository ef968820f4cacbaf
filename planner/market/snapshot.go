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
	"sync"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/stats"
)

// Observation is one market data point, normalised onto the catalog. Amounts are
// yearly USD. Base 0 means "not reported": the row counts for total, equity and bonus
// but not for base. Tokens is the yearly token budget, 0 when there is none; it is a
// separate series and never part of Total.
type Observation struct {
	Company      string
	CompanyLevel string
	Title        string
	Family       string // catalog family id
	Level        string // standard level id
	Metro        string // metro id, empty when only the zone or country is known
	Zone         string
	Country      string
	Reported     time.Time
	Base         float64
	Equity       float64
	Bonus        float64
	Total        float64
	Tokens       float64
}

// Dataset is a named set of observations.
type Dataset struct {
	Name         string
	Synthetic    bool
	Observations []Observation
}

// DatasetInfo describes a dataset behind a snapshot.
type DatasetInfo struct {
	Name          string
	Synthetic     bool
	Rows          int
	WeightPercent float64 // its share of the blend
}

// CohortKey names a cohort: job family x standard level x place at a scope.
type CohortKey struct {
	Family string
	Level  string
	Scope  catalog.Scope
	Place  string // metro, zone or country id
}

// Series is one component's values in a cohort, ascending.
type Series struct {
	Sorted []float64
	Sum    float64
}

// Count is the number of observations in the series.
func (s Series) Count() int { return len(s.Sorted) }

// Cohort holds a cohort's observations as sorted series, aged to the snapshot's
// reference date at one aging rate.
type Cohort struct {
	Key    CohortKey
	Total  Series
	Base   Series // rows with a reported base only
	Equity Series
	Bonus  Series
	// Tokens are the budgets greater than zero, not aged: compute prices fall over
	// time, so a wage index would overstate old budgets.
	Tokens      Series
	First, Last time.Time // report dates
	rows        []int32   // indices into the snapshot's observations
}

// Count is the number of observations in the cohort.
func (c *Cohort) Count() int { return len(c.rows) }

// Snapshot is an immutable index of market observations by cohort.
type Snapshot struct {
	Version  string
	Datasets []DatasetInfo
	// Reference is the date the precomputed series are aged to, and DefaultRate the
	// yearly aging rate they are aged at. Any other effective date is one factor away
	// (see Aged); other rates are computed on first use and cached.
	Reference   time.Time
	DefaultRate float64

	obs     []Observation
	cohorts map[CohortKey]*Cohort

	mu    sync.Mutex
	other map[float64]map[CohortKey]*Cohort // by aging rate
}

// maxCachedRates bounds the cache of cohorts aged at non-default rates.
const maxCachedRates = 16

// Build indexes a dataset: every observation with a job family and level joins the
// cohorts of its metro, zone and country, and each cohort's series are aged to the
// reference date at the default rate. Observations lacking family or level are kept
// out of cohorts (they are counted at import, never guessed).
func Build(ds Dataset, reference time.Time, defaultRate float64) *Snapshot {
	s := &Snapshot{
		Datasets:    []DatasetInfo{{Name: ds.Name, Synthetic: ds.Synthetic, Rows: len(ds.Observations), WeightPercent: 100}},
		Reference:   reference,
		DefaultRate: defaultRate,
		obs:         ds.Observations,
		cohorts:     map[CohortKey]*Cohort{},
		other:       map[float64]map[CohortKey]*Cohort{},
	}
	s.Version = version(ds)
	for i, o := range ds.Observations {
		if o.Family == "" || o.Level == "" {
			continue
		}
		for _, scope := range []catalog.Scope{catalog.ScopeMetro, catalog.ScopeZone, catalog.ScopeCountry} {
			place := placeAt(o, scope)
			if place == "" {
				continue
			}
			key := CohortKey{Family: o.Family, Level: o.Level, Scope: scope, Place: place}
			c := s.cohorts[key]
			if c == nil {
				c = &Cohort{Key: key}
				s.cohorts[key] = c
			}
			c.rows = append(c.rows, int32(i))
		}
	}
	factors := make([]float64, len(s.obs))
	for i, o := range s.obs {
		factors[i] = s.factor(o, defaultRate)
	}
	aged := func(r int32) float64 { return factors[r] }
	for _, c := range s.cohorts {
		s.fill(c, aged)
	}
	return s
}

func placeAt(o Observation, scope catalog.Scope) string {
	switch scope {
	case catalog.ScopeMetro:
		return o.Metro
	case catalog.ScopeZone:
		return o.Zone
	}
	return o.Country
}

// factor ages an observation to the reference date at a rate.
func (s *Snapshot) factor(o Observation, rate float64) float64 {
	return stats.AgingFactor(rate, stats.MonthsBetween(o.Reported, s.Reference))
}

// fill computes a cohort's series from its rows and the aging factor of each row.
func (s *Snapshot) fill(c *Cohort, factor func(row int32) float64) {
	n := len(c.rows)
	// One backing array for the five series keeps a cohort to a few allocations.
	buf := make([]float64, 0, 5*n)
	take := func(pick func(o Observation) (float64, bool), aged bool) Series {
		start := len(buf)
		sum := 0.0
		for _, r := range c.rows {
			v, ok := pick(s.obs[r])
			if !ok {
				continue
			}
			if aged {
				v *= factor(r)
			}
			buf = append(buf, v)
			sum += v
		}
		vals := buf[start:len(buf):len(buf)]
		slices.Sort(vals)
		return Series{Sorted: vals, Sum: sum}
	}
	c.Total = take(func(o Observation) (float64, bool) { return o.Total, true }, true)
	c.Base = take(func(o Observation) (float64, bool) { return o.Base, o.Base > 0 }, true)
	c.Equity = take(func(o Observation) (float64, bool) { return o.Equity, true }, true)
	c.Bonus = take(func(o Observation) (float64, bool) { return o.Bonus, true }, true)
	c.Tokens = take(func(o Observation) (float64, bool) { return o.Tokens, o.Tokens > 0 }, false)
	for i, r := range c.rows {
		d := s.obs[r].Reported
		if i == 0 || d.Before(c.First) {
			c.First = d
		}
		if i == 0 || d.After(c.Last) {
			c.Last = d
		}
	}
}

// Aged is a cohort as seen from an effective date: its series scaled by Factor.
type Aged struct {
	*Cohort
	// Factor ages the cohort's series from the snapshot's reference date to the
	// effective date. Months are counted in mean Gregorian months, so moving the
	// effective date multiplies every aged value by the same factor.
	Factor float64
}

// Quantile is the type-7 q-quantile of a series of the cohort at the effective date.
func (a Aged) Quantile(s Series, q float64) float64 {
	return stats.Percentile(s.Sorted, q) * a.Factor
}

// Mean of a series at the effective date; 0 for an empty one.
func (a Aged) Mean(s Series) float64 {
	if s.Count() == 0 {
		return 0
	}
	return s.Sum / float64(s.Count()) * a.Factor
}

// Lookup finds a cohort aged at a yearly rate (0.03 for 3%) to an effective date.
func (s *Snapshot) Lookup(key CohortKey, rate float64, effective time.Time) (Aged, bool) {
	c, ok := s.cohortAt(key, rate)
	if !ok {
		return Aged{}, false
	}
	return Aged{Cohort: c, Factor: stats.AgingFactor(rate, stats.MonthsBetween(s.Reference, effective))}, true
}

// Count is the number of observations of a cohort, whatever the aging.
func (s *Snapshot) Count(key CohortKey) int {
	if c, ok := s.cohorts[key]; ok {
		return c.Count()
	}
	return 0
}

func (s *Snapshot) cohortAt(key CohortKey, rate float64) (*Cohort, bool) {
	base, ok := s.cohorts[key]
	if !ok {
		return nil, false
	}
	if rate == s.DefaultRate {
		return base, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	byKey := s.other[rate]
	if byKey == nil {
		if len(s.other) >= maxCachedRates {
			clear(s.other)
		}
		byKey = map[CohortKey]*Cohort{}
		s.other[rate] = byKey
	}
	if c, ok := byKey[key]; ok {
		return c, true
	}
	c := &Cohort{Key: key, rows: base.rows}
	s.fill(c, func(r int32) float64 { return s.factor(s.obs[r], rate) })
	byKey[key] = c
	return c, true
}

// Keys lists every cohort of the snapshot (in no particular order).
func (s *Snapshot) Keys() []CohortKey {
	keys := make([]CohortKey, 0, len(s.cohorts))
	for k := range s.cohorts {
		keys = append(keys, k)
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

// version is a content hash of a dataset: the same data gives the same version on
// every start, so clients may cache bands by it.
func version(ds Dataset) string {
	h := fnv.New64a()
	h.Write([]byte(ds.Name))
	var b [8]byte
	for _, o := range ds.Observations {
		for _, s := range []string{o.Company, o.CompanyLevel, o.Title, o.Family, o.Level, o.Metro, o.Zone, o.Country} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		for _, v := range []float64{float64(o.Reported.Unix()), o.Base, o.Equity, o.Bonus, o.Total, o.Tokens} {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			h.Write(b[:])
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}
