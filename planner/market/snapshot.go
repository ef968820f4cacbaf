// Package market holds market data in memory: observations, and the snapshot, an
// immutable index of them by cohort that every band is computed from. A snapshot is
// assembled from one Part per dataset; parts are built once and shared by every
// snapshot that holds their dataset, so a change of the active data costs what it
// touches, not what the market holds.
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

// Source is a dataset of a snapshot: its description and weight, and its built part.
type Source struct {
	DatasetInfo
	Part *Part
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

// member is one dataset of a snapshot. Nothing in it changes after the snapshot is
// assembled: readers share it without locks.
type member struct {
	info DatasetInfo
	p    *Part
	// rated holds the part's cohorts aged at the snapshot's other rates (WithRates);
	// any other rate is aged on the fly for the one request that asks.
	rated map[float64]*aging
}

// Snapshot is an immutable index of market observations by cohort, over one or more
// datasets blended by weight.
type Snapshot struct {
	Version  string
	Datasets []DatasetInfo
	// DefaultRate is the yearly aging rate the series are ordered at. Any other
	// effective date is one factor away (see View); the rates of WithRates are
	// precomputed too, and any other rate is aged when a request asks for it.
	DefaultRate float64

	members []*member
	keys    []CohortKey
}

var scopes = [...]catalog.Scope{catalog.ScopeMetro, catalog.ScopeZone, catalog.ScopeCountry}

// Build builds a part of each dataset aged to reference at defaultRate and assembles
// them: the whole market at once, for tests and the built-in data.
func Build(datasets []Dataset, reference time.Time, defaultRate float64) *Snapshot {
	sources := make([]Source, len(datasets))
	for i, ds := range datasets {
		b := NewBuilder(len(ds.Observations))
		for j := range ds.Observations {
			b.Add(&ds.Observations[j])
		}
		sources[i] = Source{DatasetInfo: ds.DatasetInfo, Part: b.Build(reference, defaultRate)}
	}
	return Assemble(sources, defaultRate)
}

// Assemble makes a snapshot of built parts, blended by their weights (zero counts as
// one), in the order given. It costs the number of cohorts, not of observations.
func Assemble(sources []Source, defaultRate float64) *Snapshot {
	s := &Snapshot{DefaultRate: defaultRate}
	totalWeight := 0.0
	for _, src := range sources {
		totalWeight += weight(src.Weight)
	}
	h := fnv.New64a()
	seen := map[CohortKey]bool{}
	for _, src := range sources {
		info := src.DatasetInfo
		info.Rows = src.Part.Len()
		info.Weight = weight(src.Weight)
		info.WeightPercent = info.Weight / totalWeight * 100
		s.Datasets = append(s.Datasets, info)
		m := &member{info: info, p: src.Part}
		if src.Part.Rate != defaultRate {
			m.rated = map[float64]*aging{defaultRate: src.Part.at(defaultRate)}
		}
		s.members = append(s.members, m)
		for _, key := range src.Part.base.keys {
			if !seen[key] {
				seen[key] = true
				s.keys = append(s.keys, key)
			}
		}
		buf := append(append(append([]byte(nil), info.ID...), 0), info.Name...)
		buf = binary.LittleEndian.AppendUint64(append(buf, 0), math.Float64bits(info.Weight))
		h.Write(binary.LittleEndian.AppendUint64(buf, src.Part.Hash))
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

// agingAt is the member's cohorts at a rate when they are precomputed.
func (m *member) agingAt(rate float64) *aging {
	if rate == m.p.Rate {
		return m.p.base
	}
	return m.rated[rate]
}

// WithRates is the snapshot with its cohorts also aged at each of rates (the stored
// policies' rates), precomputed so that no band on them ages a cohort. A part keeps
// what it aged, so a rate costs once per part, whatever snapshots share it; s itself
// is unchanged.
func (s *Snapshot) WithRates(rates []float64) *Snapshot {
	want := map[float64]bool{}
	for _, r := range rates {
		want[r] = true
	}
	delete(want, s.DefaultRate)
	if slices.Equal(s.Rates()[1:], sortedKeys(want)) {
		return s
	}
	out := *s
	out.members = make([]*member, len(s.members))
	for i, m := range s.members {
		nm := &member{info: m.info, p: m.p, rated: map[float64]*aging{}}
		if m.p.Rate != s.DefaultRate {
			nm.rated[s.DefaultRate] = m.rated[s.DefaultRate]
		}
		for r := range want {
			if r != m.p.Rate {
				nm.rated[r] = m.p.at(r)
			}
		}
		out.members[i] = nm
	}
	return &out
}

func sortedKeys(m map[float64]bool) []float64 {
	out := make([]float64, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Rates are the aging rates the snapshot holds precomputed, the default first.
func (s *Snapshot) Rates() []float64 {
	out := []float64{s.DefaultRate}
	if len(s.members) > 0 {
		m := s.members[0]
		for r := range m.rated {
			if r != s.DefaultRate {
				out = append(out, r)
			}
		}
		if m.p.Rate != s.DefaultRate {
			out = append(out, m.p.Rate)
		}
	}
	slices.Sort(out[1:])
	return out
}

// Lookup finds a cohort aged at a yearly rate (0.03 for 3%) to an effective date, in
// every dataset that has it.
func (s *Snapshot) Lookup(key CohortKey, rate float64, effective time.Time) (View, bool) {
	var v View
	for _, m := range s.members {
		a := m.agingAt(rate)
		var c *Cohort
		if a != nil {
			c = a.cohorts[key]
		} else if base := m.p.base.cohorts[key]; base != nil {
			a, c = m.p.ageOne(base, rate) // a rate no stored policy uses: aged for this call only
		}
		if c != nil {
			v.add(viewPart{p: m.p, a: a, c: c, weight: m.info.Weight, info: &m.info,
				factor: stats.AgingFactor(rate, stats.MonthsBetween(m.p.Reference, effective))})
		}
	}
	return v, len(v.parts) > 0
}

// PeerFilter selects observations whatever their cohort: one company's level, say.
// Company and CompanyLevel are asked once per distinct text of a part.
type PeerFilter struct {
	Company, CompanyLevel func(string) bool
	Family                string        // "" for any
	Scope                 catalog.Scope // 0 for anywhere
	Place                 string
}

// Peer gathers the observations a filter selects into a view aged at a rate to an
// effective date.
func (s *Snapshot) Peer(f PeerFilter, rate float64, effective time.Time) View {
	var v View
	for _, m := range s.members {
		if a, c := m.p.peer(f, rate); c != nil {
			v.add(viewPart{p: m.p, a: a, c: c, weight: m.info.Weight, info: &m.info,
				factor: stats.AgingFactor(rate, stats.MonthsBetween(m.p.Reference, effective))})
		}
	}
	return v
}

// Count is the number of observations of a cohort over all datasets, whatever the aging.
func (s *Snapshot) Count(key CohortKey) int {
	n := 0
	for _, m := range s.members {
		if c := m.p.base.cohorts[key]; c != nil {
			n += c.rows
		}
	}
	return n
}

// CompanyNames lists the company names of the snapshot's rows, each once, sorted. It
// walks every row: for explaining a peer query that found nothing, not for every query.
func (s *Snapshot) CompanyNames() []string {
	seen := map[string]bool{}
	for _, m := range s.members {
		asked := make([]bool, len(m.p.strs))
		for _, id := range m.p.company {
			if !asked[id] {
				asked[id], seen[m.p.strs[id]] = true, true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Keys lists every cohort of the snapshot once (in no particular order).
func (s *Snapshot) Keys() []CohortKey { return slices.Clone(s.keys) }

// Synthetic reports whether any dataset behind the snapshot is synthetic.
func (s *Snapshot) Synthetic() bool {
	for _, d := range s.Datasets {
		if d.Synthetic {
			return true
		}
	}
	return false
}
