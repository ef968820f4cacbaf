package planner

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

// Geographic differentials and level curves (README, "Level curves and geographic
// differentials") depend on more than the band's own cohort: a differential on every
// family and level served at two scopes, a curve on every level of a track. Both are
// figures of the market, the policy, the target percentile and the effective date,
// so a Planner keeps them once computed, for as long as its snapshot is published.

// Planner answers bands on one market snapshot. It keeps the differentials, level
// curves and location suggestions it has computed (a bounded memo: the figures are pure functions of their
// keys, so a forgotten one is only computed again); it is safe for concurrent use.
type Planner struct {
	Snapshot *market.Snapshot
	*kept
}

type kept struct {
	ladders memo[ladderKey, *ladder]
	diffs   memo[diffKey, Differential]
	// near is what a location query that widened to its country was likely meant to
	// be (nearMetros): a search of every spelling, asked again by every such band.
	near memo[string, string]
	// cohorts lists every cohort once, for streams of all of them to share.
	cohortsOnce sync.Once
	cohorts     []Cohort
}

// Cohort is a cohort of the snapshot with its location resolved.
type Cohort struct {
	Key      market.CohortKey
	Location catalog.Location
}

// Cohorts lists every cohort of the snapshot, by family, level (ladder order), scope
// and place, computed once per market and shared: callers must not change it.
func (pl *Planner) Cohorts() []Cohort {
	pl.cohortsOnce.Do(func() {
		if pl.Snapshot == nil {
			return
		}
		rank := map[string]int{}
		for i, l := range catalog.Ladder {
			rank[l.ID] = i
		}
		keys := pl.Snapshot.Keys()
		slices.SortFunc(keys, func(a, b market.CohortKey) int {
			return cmp.Or(cmp.Compare(a.Family, b.Family), cmp.Compare(rank[a.Level], rank[b.Level]),
				cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Place, b.Place))
		})
		pl.cohorts = make([]Cohort, len(keys))
		for i, k := range keys {
			pl.cohorts[i] = Cohort{Key: k, Location: catalog.Geo.At(k.Scope, k.Place)}
		}
	})
	return pl.cohorts
}

// New is a planner on a snapshot (nil until the market is loaded: bands then answer
// SNAPSHOT_NOT_LOADED).
func New(snap *market.Snapshot) *Planner { return &Planner{Snapshot: snap, kept: &kept{}} }

// On is a planner on snap that keeps what pl has computed when snap holds the same
// market (by content: which aging rates it has precomputed changes no figure).
func (pl *Planner) On(snap *market.Snapshot) *Planner {
	if pl == nil || pl.Snapshot == nil || snap == nil || pl.Snapshot.Version != snap.Version {
		return New(snap)
	}
	return &Planner{Snapshot: snap, kept: pl.kept}
}

// Recommend builds the band for a request on a snapshot, with nothing kept: for one-off
// bands and tests; a server recommends through its published Planner.
func Recommend(snap *market.Snapshot, req Request, today time.Time) (*Band, error) {
	return New(snap).Recommend(req, today)
}

// Differential is the ratio of a location's served total midpoints to those of a wider
// scope that serves it: the mean over every family and level both serve of
// mid(location) / mid(wider), weighted by the smaller of the two cohorts' capped
// weights. Pairs is 0 (and Factor 0) when no family and level is served by both.
type Differential struct {
	Scope  catalog.Scope // the wider scope
	Place  string
	Factor float64
	Pairs  int
	Weight float64 // the sum of the pairs' weights
}

// DifferentialsQuery asks for a location's differentials.
type DifferentialsQuery struct {
	Location      string
	Policy        *SettledPolicy // nil: DefaultPolicy
	EffectiveDate time.Time      // zero: today
}

// Differentials are what a query's location translates from: its differential to
// each wider scope that serves it (its zone, its country; none for a country), with
// the resolved location and the effective date.
type Differentials struct {
	Location      catalog.Location
	Effective     time.Time
	Target        float64 // the policy's target percentile, which they are at
	Differentials []Differential
}

// Differentials answers a query on the planner's snapshot.
func (pl *Planner) Differentials(q DifferentialsQuery, today time.Time) (Differentials, error) {
	if pl.Snapshot == nil {
		return Differentials{}, &Error{Kind: KindUnavailable, Reason: "SNAPSHOT_NOT_LOADED", Message: "market data is not loaded yet"}
	}
	var vs violations
	loc := resolve(q.Location, &vs)
	if err := vs.err(); err != nil {
		return Differentials{}, err
	}
	policy := q.Policy
	if policy == nil {
		policy = DefaultPolicy
	}
	c := curves{p: pl, policy: policy, effective: effectiveDate(q.EffectiveDate, today)}
	out := Differentials{Location: loc, Effective: c.effective, Target: value(policy.Policy.TargetPercentile, DefaultTargetPercentile)}
	for _, wider := range scopes {
		if wider > loc.Scope && loc.IDAt(wider) != "" {
			out.Differentials = append(out.Differentials, c.differential(loc, wider))
		}
	}
	return out, nil
}

// curveContext is what a served midpoint depends on beyond its cohort: the policy's
// settings (by fingerprint), the request's own target percentile, the effective date.
type curveContext struct {
	policy    [16]byte
	q         float64 // the request's target percentile as a fraction; -1 for the policy's
	effective int64   // unix seconds
}

type diffKey struct {
	curveContext
	scope, wider catalog.Scope
	place        string
}

type ladderKey struct {
	curveContext
	family string
	track  catalog.Track
	scope  catalog.Scope
	place  string
}

// rung is one level of a ladder: where its band comes from and its midpoints.
type rung struct {
	level  catalog.Level
	served bool
	steps  [3]Step
	nsteps int
	used   market.CohortKey
	// raw is the used cohort's target percentile of aged totals; adjusted is raw
	// times the geographic differential (raw when none applies); smoothed is the
	// level curve's value (adjusted when it needs no smoothing). None is rounded.
	raw, adjusted, smoothed float64
	weight                  float64 // the used cohort's total capped weight
	geo                     Differential
	geoApplied              bool
}

// ladder is one track of one family at one requested location, lowest level first.
type ladder struct{ rungs []rung }

func (l *ladder) at(level string) (int, *rung) {
	for i := range l.rungs {
		if l.rungs[i].level.ID == level {
			return i, &l.rungs[i]
		}
	}
	return -1, nil
}

// below is the nearest served level under rung i, or nil.
func (l *ladder) below(i int) *rung {
	for j := i - 1; j >= 0; j-- {
		if l.rungs[j].served {
			return &l.rungs[j]
		}
	}
	return nil
}

// curves carries what a ladder or differential is computed for.
type curves struct {
	p         *Planner
	policy    *SettledPolicy
	q         *float64 // the request's own target percentile (a fraction), or nil
	effective time.Time
}

func (c *curves) context() curveContext {
	q := -1.0
	if c.q != nil {
		q = *c.q
	}
	return curveContext{policy: c.policy.fingerprint, q: q, effective: c.effective.Unix()}
}

// settings are a level's settings as the curve sees them; ok is false when the level's
// policy is invalid (no band is served there).
func (c *curves) settings(level catalog.Level) (settings, bool) {
	lv := c.policy.levels[level.ID]
	set := lv.set
	if c.q != nil {
		set.q, set.targetPercent = *c.q, *c.q*100
	}
	return set, len(lv.vs) == 0
}

// ladder is the level curve of a family's track at a location, from the memo or
// computed now.
func (c *curves) ladder(family catalog.Family, track catalog.Track, loc catalog.Location) *ladder {
	key := ladderKey{curveContext: c.context(), family: family.ID, track: track, scope: loc.Scope, place: loc.ID()}
	if l, ok := c.p.ladders.get(key); ok {
		return l
	}
	l := c.computeLadder(family, track, loc)
	c.p.ladders.put(key, l)
	return l
}

func (c *curves) computeLadder(family catalog.Family, track catalog.Track, loc catalog.Location) *ladder {
	l := &ladder{}
	for _, level := range catalog.Ladder {
		if level.Track != track || !family.Accepts(level) {
			continue
		}
		r := rung{level: level}
		if set, ok := c.settings(level); ok {
			c.serve(&r, set, family, loc)
		}
		l.rungs = append(l.rungs, r)
	}
	if c.policy.smoothing != SmoothingNone {
		smooth(l.rungs)
	}
	return l
}

// serve walks a level's fallback chain and sets its midpoints.
func (c *curves) serve(r *rung, set settings, family catalog.Family, loc catalog.Location) {
	snap := c.p.Snapshot
	need := max(set.minSample, stats.MinCount(set.q))
	keyAt := func(scope catalog.Scope) market.CohortKey {
		return market.CohortKey{Family: family.ID, Level: r.level.ID, Scope: scope, Place: loc.IDAt(scope)}
	}
	steps, key, ok := chain(snap, loc, keyAt, set, c.effective, market.Total, need, r.steps[:0])
	r.nsteps = len(steps)
	if !ok {
		return
	}
	r.served, r.used = true, key
	v, _ := snap.Lookup(key, set.agingRate, c.effective)
	v = v.Weighted(set.maxShare, set.minCompanies)
	r.raw, _ = v.Quantile(market.Total, set.q, need)
	r.weight = v.Weight(market.Total, need)
	r.adjusted, r.smoothed = r.raw, r.raw
	if key.Scope != loc.Scope && c.policy.geo {
		d := c.differential(loc, key.Scope)
		r.geo = d
		if d.Pairs > 0 {
			r.geoApplied = true
			r.adjusted, r.smoothed = r.raw*d.Factor, r.raw*d.Factor
		}
	}
}

// chain walks the fallback chain metro -> zone -> country from the requested scope and
// returns the first cohort whose series k has at least need observations in datasets
// that each meet need (and the policy's companies); it never crosses a country.
func chain(snap *market.Snapshot, loc catalog.Location, keyAt func(catalog.Scope) market.CohortKey, set settings,
	effective time.Time, k market.Kind, need int, steps []Step) ([]Step, market.CohortKey, bool) {
	for _, scope := range scopes {
		if scope < loc.Scope || loc.IDAt(scope) == "" {
			continue
		}
		key := keyAt(scope)
		st := Step{Scope: scope, Place: key.Place}
		// Counts do not depend on aging: the default rate's cohorts serve.
		v, _ := snap.Lookup(key, snap.DefaultRate, effective)
		st.Count, st.Companies = v.Count(k), v.Companies(k)
		if v.Weighted(set.maxShare, set.minCompanies).Eligible(k, need) >= need {
			return append(steps, st), key, true
		}
		st.Passed = StepTooFewCompanies
		if v.Eligible(k, need) < need {
			st.Passed = StepTooFewRows
		}
		steps = append(steps, st)
	}
	return steps, market.CohortKey{}, false
}

// differential is a location's differential to a wider scope, from the memo or
// computed now.
//
// A differential is a property of the location under the policy: it is computed at
// the policy's own target percentile even for a request that sets another, so that a
// location translates the same way at every percentile (and a request cycling
// through percentiles does not recompute it).
func (c *curves) differential(loc catalog.Location, wider catalog.Scope) Differential {
	at := *c
	at.q = nil
	key := diffKey{curveContext: at.context(), scope: loc.Scope, place: loc.ID(), wider: wider}
	if d, ok := c.p.diffs.get(key); ok {
		return d
	}
	d := at.computeDifferential(loc, wider)
	c.p.diffs.put(key, d)
	return d
}

func (c *curves) computeDifferential(loc catalog.Location, wider catalog.Scope) Differential {
	d := Differential{Scope: wider, Place: loc.IDAt(wider)}
	if d.Place == "" || wider <= loc.Scope {
		return d
	}
	sum := 0.0
	for _, family := range catalog.Families {
		for _, level := range catalog.Ladder {
			if !family.Accepts(level) {
				continue
			}
			set, ok := c.settings(level)
			if !ok {
				continue
			}
			here, okHere := c.cohortMid(market.CohortKey{Family: family.ID, Level: level.ID, Scope: loc.Scope, Place: loc.ID()}, set)
			there, okThere := c.cohortMid(market.CohortKey{Family: family.ID, Level: level.ID, Scope: wider, Place: d.Place}, set)
			if !okHere || !okThere || there.mid <= 0 {
				continue
			}
			w := min(here.weight, there.weight)
			sum += w * here.mid / there.mid
			d.Weight += w
			d.Pairs++
		}
	}
	if d.Weight > 0 {
		d.Factor = sum / d.Weight
	} else {
		d.Pairs = 0
	}
	return d
}

type cohortMid struct{ mid, weight float64 }

// cohortMid is a cohort's own served total midpoint and weight, when it serves a band
// by itself (no fallback).
func (c *curves) cohortMid(key market.CohortKey, set settings) (cohortMid, bool) {
	snap := c.p.Snapshot
	need := max(set.minSample, stats.MinCount(set.q))
	counts, ok := snap.Lookup(key, snap.DefaultRate, c.effective)
	if !ok || counts.Weighted(set.maxShare, set.minCompanies).Eligible(market.Total, need) < need {
		return cohortMid{}, false
	}
	v, _ := snap.Lookup(key, set.agingRate, c.effective)
	v = v.Weighted(set.maxShare, set.minCompanies)
	mid, ok := v.Quantile(market.Total, set.q, need)
	return cohortMid{mid: mid, weight: v.Weight(market.Total, need)}, ok
}

// smooth makes the served midpoints of a track non-decreasing by weighted isotonic
// regression (pool adjacent violators): a level below its predecessor is pooled with
// it into their weighted mean, and pools merge until no pool is above the next. Levels
// not served are skipped, so their neighbours are compared across the gap.
func smooth(rungs []rung) {
	type pool struct {
		value, weight float64
		n             int // served rungs in the pool
	}
	var pools []pool
	for i := range rungs {
		if !rungs[i].served {
			continue
		}
		pools = append(pools, pool{value: rungs[i].adjusted, weight: rungs[i].weight, n: 1})
		for len(pools) > 1 && pools[len(pools)-2].value > pools[len(pools)-1].value {
			a, b := pools[len(pools)-2], pools[len(pools)-1]
			w := a.weight + b.weight
			pools = append(pools[:len(pools)-2], pool{value: (a.value*a.weight + b.value*b.weight) / w, weight: w, n: a.n + b.n})
		}
	}
	j := 0
	for _, p := range pools {
		for n := 0; n < p.n; j++ {
			if rungs[j].served {
				rungs[j].smoothed = p.value
				n++
			}
		}
	}
}

// smoothed reports whether the curve moved a rung's midpoint (beyond float noise).
func (r *rung) isSmoothed() bool {
	return math.Abs(r.smoothed-r.adjusted) > 1e-9*math.Max(1, math.Abs(r.adjusted))
}

// memoLimit bounds each memo: beyond it, about an eighth of the entries are forgotten
// at a time, so a working set larger than the memo costs in proportion to its misses.
const memoLimit = 1 << 14

// memo is a bounded concurrent map of computed figures: reads take no lock (sync.Map
// suits keys written once and read many times).
type memo[K comparable, V any] struct {
	m sync.Map
	n atomic.Int64
}

func (m *memo[K, V]) get(k K) (V, bool) {
	v, ok := m.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

func (m *memo[K, V]) put(k K, v V) {
	if _, loaded := m.m.LoadOrStore(k, v); loaded {
		return
	}
	if m.n.Add(1) <= memoLimit {
		return
	}
	drop := memoLimit / 8
	m.m.Range(func(key, _ any) bool {
		if _, ok := m.m.LoadAndDelete(key); ok {
			m.n.Add(-1)
		}
		drop--
		return drop > 0
	})
}
