package planner_test

import (
	"slices"
	"testing"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

// On the shared export with the default policy, every band's component midpoints lie
// within their published market p10-p90 (p25-p75 where the tails are withheld; times
// the differential of a band translated from a wider scope), and none needs
// SPLIT_OUTSIDE_MARKET; checked from the answers alone.
func TestSplitsStayInsideTheMarket(t *testing.T) {
	obs, _ := sharedObservations(t)
	snap := market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{ID: "levels", Name: "levels"}, Observations: obs}}, today, stats.DefaultAgingRate)
	bands, checked := 0, 0
	for _, key := range snap.Keys() {
		b, err := planner.Recommend(snap, planner.Request{Family: key.Family, Level: key.Level, Location: key.Place, Resolved: resolved(key)}, today)
		if err != nil {
			continue
		}
		bands++
		if slices.ContainsFunc(b.Warnings, func(w planner.Warning) bool { return w.Code == "SPLIT_OUTSIDE_MARKET" }) {
			t.Errorf("%v: SPLIT_OUTSIDE_MARKET at the default target percentile", key)
			continue
		}
		for _, c := range b.Components[:planner.Tokens] {
			m := c.Market
			lo, hi := m.P10, m.P90
			if !lo.Published || !hi.Published {
				lo, hi = m.P25, m.P75
			}
			if !lo.Published || !hi.Published {
				continue
			}
			// A band translated from a wider scope is held within that scope's market
			// translated alike.
			factor := 1.0
			if g := b.Provenance.Geo; g != nil {
				factor = g.Factor
			}
			checked++
			if c.Mid < lo.Value*factor || c.Mid > hi.Value*factor {
				t.Errorf("%v: %s midpoint %v outside its market %v-%v (x %v)", key, c.Component, c.Mid, lo.Value, hi.Value, factor)
			}
		}
	}
	if bands < 1000 || checked < 2000 {
		t.Fatalf("%d bands, %d components checked", bands, checked)
	}
	t.Logf("%d bands, %d component midpoints inside their markets", bands, checked)
}

func resolved(key market.CohortKey) *catalog.Location {
	loc := catalog.Geo.At(key.Scope, key.Place)
	return &loc
}
