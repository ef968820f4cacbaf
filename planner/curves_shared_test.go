package planner_test

import (
	"fmt"
	"testing"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

// On the shared export with the default policy, for each family, at every metro, zone
// and country the snapshot has a cohort of it (what ListCohorts lists), no served
// total midpoint without tokens decreases along a track; checked from the answers
// alone. The counts of smoothed and translated bands are logged for the record.
func TestLevelCurvesNeverInvert(t *testing.T) {
	obs, _ := sharedObservations(t)
	snap := market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{ID: "levels", Name: "levels"}, Observations: obs}}, today, stats.DefaultAgingRate)
	pl := planner.New(snap)
	type place struct {
		family string
		scope  catalog.Scope
		id     string
	}
	places := map[place]bool{}
	for _, k := range snap.Keys() {
		places[place{k.Family, k.Scope, k.Place}] = true
	}
	bands, smoothed, adjusted, curves, steps := 0, 0, 0, 0, 0
	for p := range places {
		family, _ := catalog.FamilyByID(p.family)
		loc := catalog.Geo.At(p.scope, p.id)
		for _, track := range []catalog.Track{catalog.TrackIC, catalog.TrackManager} {
			prev, prevLevel := 0.0, ""
			for _, level := range catalog.Ladder {
				if level.Track != track || !family.Accepts(level) {
					continue
				}
				b, err := pl.Recommend(planner.Request{Family: p.family, Level: level.ID, Location: p.id, Resolved: &loc}, today)
				if err != nil {
					continue
				}
				bands++
				if b.Curve.Smoothed {
					smoothed++
				}
				if b.Provenance.Geo != nil {
					adjusted++
				}
				mid := b.WithoutTokens.Mid
				if prevLevel != "" {
					steps++
					if mid < prev {
						t.Errorf("%s at %s %s: %s %v is below %s %v", p.family, p.scope, p.id, level.ID, mid, prevLevel, prev)
					}
					if b.Curve.Below != prevLevel {
						t.Errorf("%s at %s %s: %s reports its progression from %q, not %s", p.family, p.scope, p.id, level.ID, b.Curve.Below, prevLevel)
					}
				}
				prev, prevLevel = mid, level.ID
			}
			if prevLevel != "" {
				curves++
			}
		}
	}
	if bands < 2000 || steps < 1000 {
		t.Fatalf("%d bands, %d steps checked", bands, steps)
	}
	t.Log(fmt.Sprintf("%d bands on %d level curves, %d steps up: %d smoothed, %d translated by a differential", bands, curves, steps, smoothed, adjusted))
}
