package planner_test

import (
	"slices"
	"testing"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

var today = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func demoSnapshot() *market.Snapshot {
	return market.Build([]market.Dataset{demo.Dataset()}, today, stats.DefaultAgingRate)
}

// Every cohort of the demo data that can carry a band gets one whose components sum
// exactly to its total, in order, in every token mode and funding.
func TestDemoBandsHoldTheirInvariants(t *testing.T) {
	snap := demoSnapshot()
	policies := []*planner.TokenPolicy{
		nil,
		{Mode: planner.TokenModePercentOfBase, PercentOfBase: ptr(50.0), CapUSD: ptr(250000.0)},
		{Mode: planner.TokenModeFixed, FixedUSD: ptr(100000.0), Funding: planner.FundingCarveOutEquity},
		{Mode: planner.TokenModeMarket, Funding: planner.FundingCarveOutBase},
	}
	// Narrow spreads and coarse rounding are where a careless split puts a component's
	// min above its mid.
	shapes := []planner.Policy{{}, {SpreadPercent: ptr(4.0), RoundingUSD: ptr(10000.0)}, {SpreadPercent: ptr(0.0002)}}
	bands := 0
	for i, key := range snap.Keys() {
		if key.Scope != catalog.ScopeMetro {
			continue
		}
		for j, tp := range policies {
			shape := shapes[(i+j)%len(shapes)]
			b, err := planner.Recommend(snap, planner.Request{Family: key.Family, Level: key.Level, Location: key.Place, Tokens: tp, Policy: planner.Settle(shape, "inline", 0)}, today)
			if err != nil {
				continue // thin everywhere in its country: refused, which TestFallback covers
			}
			bands++
			var sum planner.Range
			for _, c := range b.Components {
				if c.Min > c.Mid || c.Mid > c.Max || c.Min < 0 {
					t.Fatalf("%v %v: %s out of order: %+v", key, tp, c.Component, c.Range)
				}
				sum.Min, sum.Mid, sum.Max = sum.Min+c.Min, sum.Mid+c.Mid, sum.Max+c.Max
			}
			if sum != b.Total.Range {
				t.Fatalf("%v %v: components %+v != total %+v", key, tp, sum, b.Total.Range)
			}
			if b.Provenance.Fallback.UsedPlace != key.Place && b.Provenance.Count >= 10 && b.Provenance.Fallback.Used == catalog.ScopeMetro {
				t.Fatalf("%v: used %+v", key, b.Provenance.Fallback)
			}
		}
	}
	if bands < 1000 {
		t.Errorf("only %d bands built on the demo data", bands)
	}
}

func TestDemoSeniorEngineerSanFrancisco(t *testing.T) {
	b, err := planner.Recommend(demoSnapshot(), planner.Request{Family: "software-engineer", Level: "IC3", Location: "San Francisco, CA"}, today)
	if err != nil {
		t.Fatal(err)
	}
	// Calibrated to Levels.fyi medians (Google L5 $344k, Meta E5 $375k), aged to today.
	if b.Total.Market.P50.Value < 330000 || b.Total.Market.P50.Value > 400000 {
		t.Errorf("market median total %v is off the calibration", b.Total.Market.P50.Value)
	}
	p := b.Provenance
	if !p.Synthetic || p.Fallback.Used != catalog.ScopeMetro || p.Count < 100 || p.DataEnd.Before(demo.End.AddDate(0, 0, -7)) || p.DataStart.After(demo.End.AddDate(-2, 0, 0)) {
		t.Errorf("provenance %+v", b.Provenance)
	}
	if b.Tokens.Mode != planner.TokenModeMarket || b.Tokens.USDPerYear <= 0 || b.Tokens.MarketScope != catalog.ScopeMetro {
		t.Errorf("default token budget %+v", b.Tokens)
	}
	families := map[string]bool{}
	for _, m := range b.Tokens.Models {
		families[m.Price.Family] = m.PerYear > 0 && m.PerMonth > 0
	}
	if !families["claude"] || !families["gpt"] || !families["gemini"] {
		t.Errorf("token counts by family %v", families)
	}
	found := false
	for _, w := range b.Warnings {
		found = found || w.Code == "SYNTHETIC_DATA"
	}
	if !found {
		t.Error("a band on demo data must say it is synthetic")
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkRecommend measures one band on the demo snapshot, beside a baseline of
// fixed work measured in the same run (copying and sorting the cohort's 662 totals,
// which a band never does), so that the ratio band / baseline means something on a
// noisy machine.
func BenchmarkRecommend(b *testing.B) {
	snap := demoSnapshot()
	req := planner.Request{Family: "software-engineer", Level: "IC3", Location: "San Francisco, CA"}
	b.Run("baseline-sort-cohort", func(b *testing.B) {
		var totals []float64
		for _, o := range demo.Dataset().Observations {
			if o.Family == "software-engineer" && o.Level == "IC3" && o.Metro == "sf-bay-area" {
				totals = append(totals, o.Total)
			}
		}
		buf := make([]float64, len(totals))
		b.ReportAllocs()
		for b.Loop() {
			copy(buf, totals)
			slices.Sort(buf)
		}
	})
	b.Run("band", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := planner.Recommend(snap, req, today); err != nil {
				b.Fatal(err)
			}
		}
	})
	// As a server answers: one planner kept for the snapshot (its level curves and
	// differentials computed once), requests cycling through every cohort.
	b.Run("band-kept-every-cohort", func(b *testing.B) {
		pl := planner.New(snap)
		var reqs []planner.Request
		for i, c := range pl.Cohorts() {
			loc := c.Location
			r := planner.Request{Family: c.Key.Family, Level: c.Key.Level, Location: loc.ID(), Resolved: &loc,
				TargetPercentile: ptr([]float64{25, 40, 50, 60, 75, 90}[i%6])}
			if _, err := pl.Recommend(r, today); err == nil {
				reqs = append(reqs, r)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if _, err := pl.Recommend(reqs[i%len(reqs)], today); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("band-percent-of-base-aged-5pct", func(b *testing.B) {
		r := req
		r.Tokens = &planner.TokenPolicy{Mode: planner.TokenModePercentOfBase, PercentOfBase: ptr(50.0), CapUSD: ptr(250000.0)}
		r.Policy = planner.Settle(planner.Policy{AgingRatePercent: ptr(5.0)}, "inline", 0)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := planner.Recommend(snap, r, today); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBuildDemoSnapshot(b *testing.B) {
	ds := demo.Dataset()
	b.ReportAllocs()
	for b.Loop() {
		market.Build([]market.Dataset{ds}, today, stats.DefaultAgingRate)
	}
}
