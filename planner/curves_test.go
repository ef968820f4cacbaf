package planner

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

// rows adds n software-engineer observations of one level in a metro, each from a
// company of its own, with totals around total (x 0.775, 0.825, ... 1.225 in turn, so
// that every median is total) or all equal to it when flat.
func rows(out []market.Observation, level, metro string, n int, total float64, flat bool) []market.Observation {
	zone := map[string]string{"seattle": "us-tier-1", "sf-bay-area": "us-tier-1", "austin": "us-tier-2"}[metro]
	for i := range n {
		companies++
		x := total
		if !flat {
			x = total * (0.775 + 0.05*float64(i%10))
		}
		out = append(out, market.Observation{Company: "company-" + strconv.Itoa(companies), Family: "software-engineer", Level: level,
			Metro: metro, Zone: zone, Country: "US", Reported: ref, Base: x * 0.6, Equity: x * 0.3, Bonus: x * 0.1, Total: x})
	}
	return out
}

func snapshotOf(obs []market.Observation) *market.Snapshot {
	return market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{Name: "curves"}, Observations: obs}}, ref, stats.DefaultAgingRate)
}

// curve is the total midpoints without tokens of a track's levels in a place (0 for a
// level not served), and the bands.
func curve(t *testing.T, pl *Planner, place string, policy *SettledPolicy, levels ...string) ([]float64, []*Band) {
	t.Helper()
	mids := make([]float64, len(levels))
	bands := make([]*Band, len(levels))
	for i, lv := range levels {
		b, err := pl.Recommend(Request{Family: "software-engineer", Level: lv, Location: place, Policy: policy, Tokens: &TokenPolicy{Mode: TokenModeNone}}, ref)
		if err != nil {
			continue
		}
		checkSums(t, *b)
		mids[i], bands[i] = b.WithoutTokens.Mid, b
	}
	return mids, bands
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var noSmoothing = Settle(Policy{LevelSmoothing: SmoothingNone}, "inline", 0)

// Three cohorts of Seattle are served at its zone too:
//
//	IC2: Seattle 10 x 100,000; the zone with the Bay Area's 30 x 120,000: 120,000
//	IC3: Seattle 20 x 150,000; with 20 x 200,000: 175,000
//	IC4: Seattle 10 x 200,000; with 10 x 200,000: 200,000
//
// weighted by the smaller cohort (10, 20, 10): D = (10 x 100/120 + 20 x 150/175 +
// 10 x 1) / 40 = 0.886905. Seattle's IC5 falls back to the zone (40 x 250,000) and is
// scaled by D: 221,726.
func TestDifferentialFromThreePairedCohorts(t *testing.T) {
	var obs []market.Observation
	obs = rows(obs, "IC2", "seattle", 10, 100000, true)
	obs = rows(obs, "IC2", "sf-bay-area", 30, 120000, true)
	obs = rows(obs, "IC3", "seattle", 20, 150000, true)
	obs = rows(obs, "IC3", "sf-bay-area", 20, 200000, true)
	obs = rows(obs, "IC4", "seattle", 10, 200000, true)
	obs = rows(obs, "IC4", "sf-bay-area", 10, 200000, true)
	obs = rows(obs, "IC5", "sf-bay-area", 40, 250000, true)
	pl := New(snapshotOf(obs))
	want := (10*100.0/120 + 20*150.0/175 + 10) / 40
	got, err := pl.Differentials(DifferentialsQuery{Location: "Seattle, WA"}, ref)
	ds := got.Differentials
	if err != nil || got.Location.Metro != "seattle" || got.Target != 50 || !got.Effective.Equal(ref) {
		t.Fatalf("differentials of Seattle: %+v, %v", got, err)
	}
	if len(ds) != 2 || ds[0].Scope != catalog.ScopeZone || ds[0].Place != "us-tier-1" || ds[0].Pairs != 3 || ds[0].Weight != 40 ||
		math.Abs(ds[0].Factor-want) > 1e-12 || ds[1].Scope != catalog.ScopeCountry || math.Abs(ds[1].Factor-want) > 1e-12 {
		t.Fatalf("differentials %+v, want zone and country at %v over 3 pairs", ds, want)
	}
	mids, bands := curve(t, pl, "seattle", nil, "IC2", "IC3", "IC4", "IC5")
	if !equal(mids, []float64{100000, 150000, 200000, 221726}) {
		t.Errorf("Seattle's curve %v", mids)
	}
	ic5 := bands[3]
	if g := ic5.Provenance.Geo; g == nil || g.Factor != ds[0].Factor || !hasWarning(*ic5, "GEO_ADJUSTED") || hasWarning(*ic5, "LEVEL_CURVE_SMOOTHED") {
		t.Errorf("IC5: geo %+v, warnings %+v", ic5.Provenance.Geo, ic5.Warnings)
	}
	// Its market figures stay the zone's.
	if m := ic5.Total.Market; m.P50.Value != 250000 || m.Count != 40 {
		t.Errorf("IC5 market %+v, want the zone's", m)
	}
	// Progression from the level below: 221,726 / 200,000 - 1.
	if cv := ic5.Curve; cv.Below != "IC4" || !cv.HasProgression || cv.ProgressionPercent != 10.86 || cv.RawMid != 221726 {
		t.Errorf("IC5 curve %+v", cv)
	}
	if cv := bands[0].Curve; cv.Below != "" || cv.HasProgression {
		t.Errorf("IC2, the lowest level served, has a progression: %+v", cv)
	}
	// A request at another percentile translates by the same differential.
	if b, err := pl.Recommend(Request{Family: "software-engineer", Level: "IC5", Location: "seattle", TargetPercentile: ptr(90.0)}, ref); err != nil ||
		b.Provenance.Geo == nil || b.Provenance.Geo.Factor != ds[0].Factor {
		t.Errorf("IC5 at p90: %+v %v", b, err)
	}
	// Off, the zone's figure is served as it is.
	off := Settle(Policy{GeoAdjustment: new(bool)}, "inline", 0)
	if mids, _ := curve(t, pl, "seattle", off, "IC5"); mids[0] != 250000 {
		t.Errorf("without geo adjustment IC5 is %v", mids[0])
	}
	// A location with no pair has no differential, and its fallbacks are not scaled.
	if got, _ := pl.Differentials(DifferentialsQuery{Location: "austin"}, ref); len(got.Differentials) != 2 || got.Differentials[0].Pairs != 0 || got.Differentials[0].Factor != 0 {
		t.Errorf("Austin: %+v", got)
	}
	// A country has nothing wider; an unknown place is refused by name.
	if got, err := pl.Differentials(DifferentialsQuery{Location: "US"}, ref); err != nil || len(got.Differentials) != 0 {
		t.Errorf("US: %+v %v", got, err)
	}
	if _, err := pl.Differentials(DifferentialsQuery{Location: "Atlantis"}, ref); err == nil || !strings.Contains(err.Error(), "Atlantis") {
		t.Errorf("Atlantis: %v", err)
	}
}

// Raw midpoints 100,000 / 180,000 / 140,000 / 120,000 / 250,000 at IC2-IC6 (weights
// 10 each): pooling adjacent violators, IC3 and IC4 pool to 160,000 (weight 20), then
// IC5 joins them at (160,000 x 20 + 120,000 x 10) / 30 = 146,667.
func TestThreeLevelInversionSmoothed(t *testing.T) {
	var obs []market.Observation
	for _, c := range []struct {
		level string
		total float64
	}{{"IC2", 100000}, {"IC3", 180000}, {"IC4", 140000}, {"IC5", 120000}, {"IC6", 250000}} {
		obs = rows(obs, c.level, "seattle", 10, c.total, false)
	}
	pl := New(snapshotOf(obs))
	levels := []string{"IC2", "IC3", "IC4", "IC5", "IC6"}
	mids, bands := curve(t, pl, "seattle", nil, levels...)
	if !equal(mids, []float64{100000, 146667, 146667, 146667, 250000}) {
		t.Fatalf("smoothed curve %v", mids)
	}
	for i, raw := range []float64{100000, 180000, 140000, 120000, 250000} {
		b := bands[i]
		smoothed := i >= 1 && i <= 3
		if b.Curve.RawMid != raw || b.Curve.Smoothed != smoothed || hasWarning(*b, "LEVEL_CURVE_SMOOTHED") != smoothed {
			t.Errorf("%s: curve %+v warnings %+v", levels[i], b.Curve, b.Warnings)
		}
	}
	// Min and max follow the smoothed midpoint by the level's spread: IC4 50%.
	if r := bands[2].Total.Range; r.Min != 117333 || r.Max != 176000 {
		t.Errorf("IC4 range %+v", r)
	}
	for i, want := range []float64{0, 46.67, 0, 0, 70.45} {
		if cv := bands[i].Curve; cv.ProgressionPercent != want || cv.HasProgression != (i > 0) {
			t.Errorf("%s progression %+v, want %v", levels[i], cv, want)
		}
	}
	// With smoothing off the cohorts are served as they are.
	if raw, _ := curve(t, pl, "seattle", noSmoothing, levels...); !equal(raw, []float64{100000, 180000, 140000, 120000, 250000}) {
		t.Errorf("unsmoothed curve %v", raw)
	}
}

// IC2 100,000 and IC4 90,000 (weights 10) with IC3 withheld (five rows): the two are
// compared across the gap and pool to 95,000; IC3 stays withheld.
func TestInversionAcrossAWithheldLevel(t *testing.T) {
	var obs []market.Observation
	obs = rows(obs, "IC2", "seattle", 10, 100000, false)
	obs = rows(obs, "IC3", "seattle", 5, 300000, false)
	obs = rows(obs, "IC4", "seattle", 10, 90000, false)
	pl := New(snapshotOf(obs))
	mids, bands := curve(t, pl, "seattle", nil, "IC2", "IC3", "IC4")
	if !equal(mids, []float64{95000, 0, 95000}) || bands[1] != nil {
		t.Fatalf("curve %v", mids)
	}
	if cv := bands[2].Curve; cv.Below != "IC2" || cv.ProgressionPercent != 0 || !cv.Smoothed || cv.RawMid != 90000 {
		t.Errorf("IC4 curve %+v", cv)
	}
}

// Seattle serves IC2 (10 x 200,000) and IC3 (10 x 250,000) itself; its IC4 (3 rows)
// falls back to the zone, where 20 Bay Area rows at 200,000 set the median at
// 200,000. The zone's IC2 and IC3 medians are 150,000 and 200,000, so Seattle's
// differential is (200/150 + 250/200) / 2 = 1.291667.
//
//	geo on:  IC4 = 200,000 x 1.291667 = 258,333, above IC3: nothing to smooth
//	geo off: IC4 = 200,000 < IC3: pooled (250,000 x 10 + 200,000 x 23) / 33 = 215,152
func TestInversionAcrossAChangeOfScope(t *testing.T) {
	var obs []market.Observation
	obs = rows(obs, "IC2", "seattle", 10, 200000, true)
	obs = rows(obs, "IC2", "sf-bay-area", 10, 100000, true)
	obs = rows(obs, "IC3", "seattle", 10, 250000, true)
	obs = rows(obs, "IC3", "sf-bay-area", 10, 150000, true)
	obs = rows(obs, "IC4", "seattle", 3, 300000, true)
	obs = rows(obs, "IC4", "sf-bay-area", 20, 200000, true)
	pl := New(snapshotOf(obs))
	mids, bands := curve(t, pl, "seattle", nil, "IC2", "IC3", "IC4")
	if !equal(mids, []float64{200000, 250000, 258333}) || !hasWarning(*bands[2], "GEO_ADJUSTED") || hasWarning(*bands[2], "LEVEL_CURVE_SMOOTHED") {
		t.Errorf("geo on: %v, IC4 warnings %+v", mids, bands[2].Warnings)
	}
	if fb := bands[2].Provenance.Fallback; fb.Used != catalog.ScopeZone {
		t.Errorf("IC4 fallback %+v", fb)
	}
	off := Settle(Policy{GeoAdjustment: new(bool)}, "inline", 0)
	mids, bands = curve(t, pl, "seattle", off, "IC2", "IC3", "IC4")
	if !equal(mids, []float64{200000, 215152, 215152}) || hasWarning(*bands[2], "GEO_ADJUSTED") || !hasWarning(*bands[2], "LEVEL_CURVE_SMOOTHED") {
		t.Errorf("geo off: %v, IC4 warnings %+v", mids, bands[2].Warnings)
	}
	if bands[2].Provenance.Geo != nil || bands[2].Provenance.GeoAdjustment {
		t.Errorf("geo off: provenance %+v", bands[2].Provenance)
	}
}

// The pool-adjacent-violators fit on its own: weights matter, and a curve that does
// not invert is left alone.
func TestSmooth(t *testing.T) {
	mk := func(vals, weights []float64) []rung {
		out := make([]rung, len(vals))
		for i := range vals {
			out[i] = rung{served: vals[i] > 0, adjusted: vals[i], smoothed: vals[i], weight: weights[i]}
		}
		return out
	}
	for _, c := range []struct {
		vals, weights, want []float64
	}{
		{[]float64{1, 2, 3}, []float64{1, 1, 1}, []float64{1, 2, 3}},
		{[]float64{3, 1}, []float64{1, 3}, []float64{1.5, 1.5}},
		{[]float64{1, 3, 0, 2}, []float64{1, 1, 1, 1}, []float64{1, 2.5, 0, 2.5}},
		{[]float64{4, 3, 2, 1}, []float64{1, 1, 1, 1}, []float64{2.5, 2.5, 2.5, 2.5}},
	} {
		r := mk(c.vals, c.weights)
		smooth(r)
		for i := range r {
			if math.Abs(r[i].smoothed-c.want[i]) > 1e-12 && r[i].served {
				t.Errorf("%v: %v", c.vals, r)
				break
			}
		}
	}
}
