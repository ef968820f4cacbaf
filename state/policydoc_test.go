package state

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/tokens"
)

func f(v float64) *float64 { return &v }

func TestPolicyDocumentRoundTrip(t *testing.T) {
	n := 20
	p := planner.Policy{TargetPercentile: f(60), SpreadPercent: f(45), SpreadByLevel: map[string]float64{"IC3": 40}, MinSample: &n,
		AgingRatePercent: f(0), RoundingUSD: f(500), Tokens: &planner.TokenPolicy{Mode: planner.TokenModeFixed, FixedUSD: f(100000),
			FixedByLevel: map[string]float64{"IC5": 150000}, CapUSD: f(250000), Funding: planner.FundingCarveOutBase,
			UsageMix: tokens.UsageMix{InputPercent: 30, CachedInputPercent: 60, OutputPercent: 10},
			Prices:   []tokens.Price{{Model: "m", Vendor: "v", Input: 1, CachedInput: 0.1, Output: 5, Effective: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Source: "s"}}},
		GeoAdjustment: new(bool), LevelSmoothing: planner.SmoothingNone}
	doc, err := encodePolicy(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc, `{"version":1,`) || !strings.Contains(doc, `"mode":"fixed"`) || !strings.Contains(doc, `"funding":"carve-out-base"`) ||
		!strings.Contains(doc, `"geoAdjustment":false,"levelSmoothing":"none"`) {
		t.Errorf("document %s", doc)
	}
	back, err := decodePolicy(doc)
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Errorf("round trip\n%+v\n%+v %v", back, p, err)
	}
	empty, _ := encodePolicy(planner.Policy{})
	if back, err := decodePolicy(empty); err != nil || !reflect.DeepEqual(back, planner.Policy{}) || empty != `{"version":1}` {
		t.Errorf("empty policy %s -> %+v %v", empty, back, err)
	}
}

// The first release's protojson: enums by name or by number, "{}" for defaults.
func TestLegacyPolicyDocuments(t *testing.T) {
	for spec, want := range map[string]planner.Policy{
		`{}`: {},
		`{"targetPercentile":75,"tokenPolicy":{"mode":"TOKEN_MODE_NONE"}}`:                          {TargetPercentile: f(75), Tokens: &planner.TokenPolicy{Mode: planner.TokenModeNone}},
		`{"tokenPolicy":{"mode":2,"percentOfBase":50,"funding":"FUNDING_CARVE_OUT_EQUITY"}}`:        {Tokens: &planner.TokenPolicy{Mode: planner.TokenModePercentOfBase, PercentOfBase: f(50), Funding: planner.FundingCarveOutEquity}},
		`{"rangeSpreadPercentByLevel":{"M1":55}, "roundingUsd":100, "tokenPolicy":{"capUsd":1000}}`: {SpreadByLevel: map[string]float64{"M1": 55}, RoundingUSD: f(100), Tokens: &planner.TokenPolicy{CapUSD: f(1000)}},
	} {
		got, err := decodePolicy(spec)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v %v", spec, got, err)
		}
	}
	for _, bad := range []string{`{"version":2}`, `{"version":1,"levelSmoothing":"cubic"}`, `{"tokenPolicy":{"mode":"TOKEN_MODE_BOGUS"}}`, `{"surprise":1}`, `not json`} {
		if _, err := decodePolicy(bad); err == nil {
			t.Errorf("%s read without an error", bad)
		}
	}
}
