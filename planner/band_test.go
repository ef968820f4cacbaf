package planner

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/planner/tokens"
)

var ref = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

var companies int // numbers the companies of obs

// obs makes an observation reported on the reference date (aging factor 1) with the
// total split 60/30/10 into base, equity and bonus.
//
// Each comes from a company of its own, so that company weights and thresholds leave
// the hand-computed figures alone.
func obs(metro, zone, country string, total, tokens float64) market.Observation {
	companies++
	return market.Observation{Company: "company-" + strconv.Itoa(companies), Family: "software-engineer", Level: "IC3", Metro: metro, Zone: zone, Country: country,
		Reported: ref, Base: total * 0.6, Equity: total * 0.3, Bonus: total * 0.1, Total: total, Tokens: tokens}
}

// sfSnapshot: ten Bay Area senior engineers with totals 100k, 110k, ... 190k times
// scale; six of them hold token budgets of 10k ... 60k.
func sfSnapshot(scale float64) *market.Snapshot {
	var rows []market.Observation
	for i := range 10 {
		tok := 0.0
		if i < 6 {
			tok = float64(i+1) * 10000
		}
		rows = append(rows, obs("sf-bay-area", "us-tier-1", "US", (100000+float64(i)*10000)*scale, tok))
	}
	return market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{Name: "hand"}, Observations: rows}}, ref, stats.DefaultAgingRate)
}

func recommend(t *testing.T, snap *market.Snapshot, req Request) Band {
	t.Helper()
	if req.Family == "" {
		req.Family, req.Level, req.Location = "software-engineer", "IC3", "San Francisco, CA"
	}
	b, err := Recommend(snap, req, ref)
	if err != nil {
		t.Fatalf("Recommend: %v", err)
	}
	checkSums(t, *b)
	return *b
}

// checkSums asserts the invariants of every band: min <= mid <= max for each component
// and the total, and components summing exactly to the total's min, mid and max.
func checkSums(t *testing.T, b Band) {
	t.Helper()
	var sum Range
	for _, c := range b.Components {
		if c.Min > c.Mid || c.Mid > c.Max || c.Min < 0 {
			t.Errorf("%s: min %v mid %v max %v out of order", c.Component, c.Min, c.Mid, c.Max)
		}
		sum.Min += c.Min
		sum.Mid += c.Mid
		sum.Max += c.Max
	}
	if sum != b.Total.Range {
		t.Errorf("components sum to %+v, total is %+v", sum, b.Total.Range)
	}
}

func ranges(b Band) [5]Range {
	return [5]Range{b.Components[Base].Range, b.Components[Equity].Range, b.Components[Bonus].Range, b.Components[Tokens].Range, b.Total.Range}
}

// The hand computation behind TestBandHandComputed:
//
//	totals 100k..190k, n = 10: p50 at h = 4.5 -> 140000 + 0.5 * 10000 = 145000
//	IC3 spread 50%: min = 2 * 145000 / 2.5 = 116000, max = 116000 * 1.5 = 174000
//	pay mix 60/30/10: mid 87000 / 43500 / 14500, min 69600 / 34800 / 11600,
//	max 104400 / 52200 / 17400
func TestBandHandComputed(t *testing.T) {
	snap := sfSnapshot(1)
	cases := []struct {
		name   string
		tokens *TokenPolicy
		want   [5]Range // base, equity, bonus, tokens, total
		capped bool
	}{
		{"no tokens", &TokenPolicy{Mode: TokenModeNone}, [5]Range{
			{69600, 87000, 104400}, {34800, 43500, 52200}, {11600, 14500, 17400}, {}, {116000, 145000, 174000}}, false},
		// 50% of base, below the cap: 34800 / 43500 / 52200, added on top.
		{"50% of base under a $250k cap", &TokenPolicy{Mode: TokenModePercentOfBase, PercentOfBase: ptr(50.0), CapUSD: ptr(250000.0)}, [5]Range{
			{69600, 87000, 104400}, {34800, 43500, 52200}, {11600, 14500, 17400}, {34800, 43500, 52200}, {150800, 188500, 226200}}, false},
		// A $40k cap cuts mid and max: 34800 / 40000 / 40000.
		{"50% of base, $40k cap", &TokenPolicy{Mode: TokenModePercentOfBase, PercentOfBase: ptr(50.0), CapUSD: ptr(40000.0)}, [5]Range{
			{69600, 87000, 104400}, {34800, 43500, 52200}, {11600, 14500, 17400}, {34800, 40000, 40000}, {150800, 185000, 214000}}, true},
		// Default policy: MARKET median of budgets > 0 (10k..60k, h = 2.5 -> 35000), ADDITIVE.
		{"market median (default)", nil, [5]Range{
			{69600, 87000, 104400}, {34800, 43500, 52200}, {11600, 14500, 17400}, {35000, 35000, 35000}, {151000, 180000, 209000}}, false},
		// FIXED $20k carved out of base: base falls by 20k, the total is unchanged.
		{"fixed $20k carved out of base", &TokenPolicy{Mode: TokenModeFixed, FixedUSD: ptr(20000.0), Funding: FundingCarveOutBase}, [5]Range{
			{49600, 67000, 84400}, {34800, 43500, 52200}, {11600, 14500, 17400}, {20000, 20000, 20000}, {116000, 145000, 174000}}, false},
		// FIXED by level wins over fixed_usd; carved out of equity.
		{"fixed by level carved out of equity", &TokenPolicy{Mode: TokenModeFixed, FixedUSD: ptr(1.0), FixedByLevel: map[string]float64{"ic3": 30000}, Funding: FundingCarveOutEquity}, [5]Range{
			{69600, 87000, 104400}, {4800, 13500, 22200}, {11600, 14500, 17400}, {30000, 30000, 30000}, {116000, 145000, 174000}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := recommend(t, snap, Request{Tokens: c.tokens})
			if got := ranges(b); got != c.want {
				t.Errorf("bands\n got %v\nwant %v", got, c.want)
			}
			if b.Tokens.Capped != c.capped {
				t.Errorf("capped = %v, want %v", b.Tokens.Capped, c.capped)
			}
			if b.Tokens.USDPerYear != c.want[Tokens].Mid || b.Tokens.USDPerMonth != math.Round(c.want[Tokens].Mid/12) {
				t.Errorf("token budget %v / %v a month", b.Tokens.USDPerYear, b.Tokens.USDPerMonth)
			}
		})
	}
}

// 50% of a base midpoint above $500k is capped at exactly $250,000.
func TestPercentOfBaseCapIsExact(t *testing.T) {
	b := recommend(t, sfSnapshot(10), Request{Tokens: &TokenPolicy{Mode: TokenModePercentOfBase, PercentOfBase: ptr(50.0), CapUSD: ptr(250000.0)}})
	tok := b.Components[Tokens]
	if b.Components[Base].Mid != 870000 || tok.Mid != 250000 || tok.Max != 250000 || !b.Tokens.Capped {
		t.Fatalf("base mid %v, tokens %+v capped %v; want base 870000 and tokens capped at 250000", b.Components[Base].Mid, tok.Range, b.Tokens.Capped)
	}
	// 50% of the base minimum (696000) is above the cap too.
	if tok.Min != 250000 {
		t.Errorf("tokens min %v, want 250000", tok.Min)
	}
}

func TestCarveOutClampsWithWarning(t *testing.T) {
	b := recommend(t, sfSnapshot(1), Request{Tokens: &TokenPolicy{Mode: TokenModeFixed, FixedUSD: ptr(100000.0), Funding: FundingCarveOutBase}})
	want := [5]Range{{0, 0, 4400}, {34800, 43500, 52200}, {11600, 14500, 17400}, {69600, 87000, 100000}, {116000, 145000, 174000}}
	if got := ranges(b); got != want {
		t.Errorf("bands\n got %v\nwant %v", got, want)
	}
	if !hasWarning(b, "TOKENS_CLAMPED") {
		t.Errorf("no TOKENS_CLAMPED warning: %+v", b.Warnings)
	}
	if b.WithoutTokens != (Range{46400, 58000, 74000}) {
		t.Errorf("total without tokens %+v", b.WithoutTokens)
	}
}

func hasWarning(b Band, code string) bool {
	return slices.ContainsFunc(b.Warnings, func(w Warning) bool { return w.Code == code })
}

func TestTargetPercentileSpreadAndRounding(t *testing.T) {
	// p75 of 100k..190k: h = 6.75 -> 160000 + 0.75 * 10000 = 167500. Spread 40%:
	// min = 335000 / 2.4 = 139583.33 -> 140000 at $1,000 rounding; max = 195416.67 -> 195000.
	b := recommend(t, sfSnapshot(1), Request{
		TargetPercentile: ptr(75.0),
		Tokens:           &TokenPolicy{Mode: TokenModeNone},
		Policy:           Settle(Policy{SpreadPercent: ptr(40.0), RoundingUSD: ptr(1000.0)}, "inline", 0),
	})
	if b.Total.Range != (Range{140000, 168000, 195000}) {
		t.Errorf("total %+v, want 140000 / 168000 / 195000", b.Total.Range)
	}
	// 168000 at 60/30/10 in $1,000 units: 100.8, 50.4, 16.8 -> 100, 50, 16 plus the two
	// units left to the largest remainders (0.8 and 0.8): 101, 50, 17.
	if b.Components[Base].Mid != 101000 || b.Components[Equity].Mid != 50000 || b.Components[Bonus].Mid != 17000 {
		t.Errorf("mid split %v %v %v", b.Components[Base].Mid, b.Components[Equity].Mid, b.Components[Bonus].Mid)
	}
	if b.Provenance.TargetPercentile != 75 || b.Provenance.SpreadPercent != 40 {
		t.Errorf("provenance %+v", b.Provenance)
	}
}

func TestLargestRemainder(t *testing.T) {
	cases := []struct {
		total  float64
		shares [3]float64
		unit   float64
		want   [3]float64
	}{
		{100, [3]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, 1, [3]float64{34, 33, 33}},
		// 555.5, 333.3, 111.2: floors 555 + 333 + 111 = 999, the last unit to .5.
		{1000, [3]float64{0.5555, 0.3333, 0.1112}, 1, [3]float64{556, 333, 111}},
		// 5.5, 2.5, 2: a tie on .5 goes to the earlier component.
		{10, [3]float64{0.55, 0.25, 0.2}, 1, [3]float64{6, 2, 2}},
		// In $100 units: 1234 units x (0.7, 0.2, 0.1) = 863.8, 246.8, 123.4 -> 864, 247, 123.
		{123400, [3]float64{0.7, 0.2, 0.1}, 100, [3]float64{86400, 24700, 12300}},
	}
	for _, c := range cases {
		got := largestRemainder(c.total, c.shares, c.unit)
		if got != c.want || got[0]+got[1]+got[2] != c.total {
			t.Errorf("largestRemainder(%v, %v, %v) = %v, want %v", c.total, c.shares, c.unit, got, c.want)
		}
	}
}

func TestMinMaxFromMidpointAndSpread(t *testing.T) {
	// min = 2m / (2 + s), max = min (1 + s); so (max - min) / min = s.
	for _, c := range []struct{ mid, spread, min, max float64 }{
		{100000, 0.5, 80000, 120000},
		{150000, 0.4, 125000, 175000},
		{200000, 0, 200000, 200000},
	} {
		lo := 2 * c.mid / (2 + c.spread)
		hi := lo * (1 + c.spread)
		if math.Abs(lo-c.min) > 1e-6 || math.Abs(hi-c.max) > 1e-6 {
			t.Errorf("mid %v spread %v: %v..%v, want %v..%v", c.mid, c.spread, lo, hi, c.min, c.max)
		}
	}
	// The same through Recommend: a $100k-median cohort at 50%.
	var rows []market.Observation
	for range 10 {
		rows = append(rows, obs("sf-bay-area", "us-tier-1", "US", 100000, 0))
	}
	snap := market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{Name: "flat"}, Observations: rows}}, ref, stats.DefaultAgingRate)
	b := recommend(t, snap, Request{Tokens: &TokenPolicy{Mode: TokenModeNone}})
	if b.Total.Range != (Range{80000, 100000, 120000}) {
		t.Errorf("total %+v, want 80000 / 100000 / 120000", b.Total.Range)
	}
}

// Observations reported 18 mean months before the effective date age by 1.03^1.5.
func TestAgingToEffectiveDate(t *testing.T) {
	snap := sfSnapshot(1)
	months18 := ref.Add(time.Duration(18 * stats.DaysPerMonth * 24 * float64(time.Hour)))
	b := recommend(t, snap, Request{EffectiveDate: months18, Tokens: &TokenPolicy{Mode: TokenModeNone}})
	if want := math.Round(145000 * math.Pow(1.03, 1.5)); b.Total.Mid != want { // 151574
		t.Errorf("aged midpoint %v, want %v", b.Total.Mid, want)
	}
	// Aging off: the raw midpoint.
	b = recommend(t, snap, Request{EffectiveDate: months18, Tokens: &TokenPolicy{Mode: TokenModeNone}, Policy: Settle(Policy{AgingRatePercent: ptr(0.0)}, "inline", 0)})
	if b.Total.Mid != 145000 {
		t.Errorf("unaged midpoint %v, want 145000", b.Total.Mid)
	}
	// 5% a year over 18 months: 145000 * 1.05^1.5.
	b = recommend(t, snap, Request{EffectiveDate: months18, Tokens: &TokenPolicy{Mode: TokenModeNone}, Policy: Settle(Policy{AgingRatePercent: ptr(5.0)}, "inline", 0)})
	if want := math.Round(145000 * math.Pow(1.05, 1.5)); b.Total.Mid != want {
		t.Errorf("midpoint aged at 5%%: %v, want %v", b.Total.Mid, want)
	}
}

func TestMarketFiguresAndThresholds(t *testing.T) {
	b := recommend(t, sfSnapshot(1), Request{})
	tot := b.Total.Market
	// totals 100k..190k: p10 h=0.9 -> 109000, p25 h=2.25 -> 122500, p75 h=6.75 -> 167500, p90 h=8.1 -> 181000.
	if tot.Count != 10 || tot.P10.Value != 109000 || tot.P25.Value != 122500 || tot.P50.Value != 145000 ||
		tot.P75.Value != 167500 || tot.P90.Value != 181000 || tot.Mean.Value != 145000 {
		t.Errorf("total market %+v", tot)
	}
	// Six token budgets: central percentiles published, p10 and p90 withheld.
	tok := b.Components[Tokens].Market
	if tok.Count != 6 || !tok.P50.Published || tok.P50.Value != 35000 || tok.P10.Published || tok.P90.Published {
		t.Errorf("token market %+v", tok)
	}
	if !hasWarning(b, "PERCENTILE_WITHHELD") {
		t.Errorf("withheld token tails not warned: %+v", b.Warnings)
	}
}

// A thin London cohort falls back to its zone, then to the UK, never to US data.
func TestFallbackStaysInCountry(t *testing.T) {
	var rows []market.Observation
	for i := range 3 {
		rows = append(rows, obs("london", "gb-london", "GB", 90000+float64(i)*1000, 0))
	}
	for i := range 12 {
		rows = append(rows, obs("cambridge-uk", "gb-national", "GB", 80000+float64(i)*1000, 0))
	}
	for i := range 50 {
		rows = append(rows, obs("sf-bay-area", "us-tier-1", "US", 300000+float64(i)*1000, 0))
	}
	snap := market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{Name: "geo"}, Observations: rows}}, ref, stats.DefaultAgingRate)
	b := recommend(t, snap, Request{Family: "software-engineer", Level: "IC3", Location: "London, EN, United Kingdom", Tokens: &TokenPolicy{Mode: TokenModeNone}})
	fb := b.Provenance.Fallback
	if fb.Used != 3 /* country */ || fb.UsedPlace != "GB" || b.Provenance.Count != 15 || len(fb.Steps) != 3 {
		t.Fatalf("fallback %+v count %d, want the 15 UK rows", fb, b.Provenance.Count)
	}
	if b.Total.Mid > 100000 {
		t.Errorf("midpoint %v includes US data", b.Total.Mid)
	}
	if !hasWarning(b, "FALLBACK") {
		t.Errorf("no FALLBACK warning: %+v", b.Warnings)
	}
	// A UK cohort too thin even at country level is refused, not filled from the US.
	_, err := Recommend(snap, Request{Family: "software-engineer", Level: "IC3", Location: "London, United Kingdom", Policy: Settle(Policy{MinSample: ptr(20)}, "inline", 0)}, ref)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindFailedPrecondition || pe.Reason != "INSUFFICIENT_DATA" {
		t.Errorf("want INSUFFICIENT_DATA, got %v", err)
	}
}

func TestInvalidRequestsNameTheirFields(t *testing.T) {
	snap := sfSnapshot(1)
	cases := []struct {
		req    Request
		fields []string
	}{
		// Domain paths: ranges are the wire's to check, the server maps these to proto paths.
		{Request{Family: "astronaut", Level: "IC9", Location: "Atlantis"}, []string{"Family", "Level", "Location"}},
		{Request{Family: "software-engineer", Level: "IC3", Location: "SF"}, []string{"Location"}},
		{Request{Family: "software-engineer", Level: "IC3", Location: "Seattle", Tokens: &TokenPolicy{Mode: TokenModeFixed}}, []string{"Tokens.FixedUSD"}},
		{Request{Family: "software-engineer", Level: "IC3", Location: "Seattle", Tokens: &TokenPolicy{Mode: TokenModePercentOfBase}}, []string{"Tokens.PercentOfBase"}},
		{Request{Family: "software-engineer", Level: "IC3", Location: "Seattle", Policy: Settle(Policy{SpreadByLevel: map[string]float64{"L5": 30}}, "inline", 0)}, []string{"Policy.SpreadByLevel"}},
		{Request{Family: "software-engineer", Level: "IC3", Location: "Seattle", Policy: Settle(Policy{Tokens: &TokenPolicy{Mode: TokenModeFixed, FixedByLevel: map[string]float64{"IC4": 1}}}, "inline", 0)}, []string{"Policy.Tokens.FixedUSD"}},
		{Request{Family: "software-engineer", Level: "M3", Location: "Seattle"}, []string{"Level"}},
		{Request{Family: "engineering-manager", Level: "IC3", Location: "Seattle"}, []string{"Level"}},
	}
	for _, c := range cases {
		_, err := Recommend(snap, c.req, ref)
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != KindInvalidArgument {
			t.Errorf("%+v: want InvalidArgument, got %v", c.req, err)
			continue
		}
		var got []string
		for _, v := range pe.Violations {
			got = append(got, v.Field)
		}
		if !slices.Equal(got, c.fields) {
			t.Errorf("%+v: fields %v, want %v (%v)", c.req, got, c.fields, err)
		}
	}
	if _, err := Recommend(nil, Request{}, ref); err == nil || err.(*Error).Kind != KindUnavailable {
		t.Errorf("no snapshot: %v", err)
	}
}

func TestStaleDataWarning(t *testing.T) {
	b := recommend(t, sfSnapshot(1), Request{EffectiveDate: ref.AddDate(0, 19, 0)})
	if !hasWarning(b, "STALE_DATA") {
		t.Errorf("19 months on, no STALE_DATA warning: %+v", b.Warnings)
	}
	b = recommend(t, sfSnapshot(1), Request{EffectiveDate: ref.AddDate(0, 17, 0)})
	if hasWarning(b, "STALE_DATA") {
		t.Errorf("17 months on, STALE_DATA warning: %+v", b.Warnings)
	}
}

func tokensMix(in, cached, out float64) tokens.UsageMix {
	return tokens.UsageMix{InputPercent: in, CachedInputPercent: cached, OutputPercent: out}
}
