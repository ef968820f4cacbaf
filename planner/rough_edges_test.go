package planner

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/planner/tokens"
)

// A fixed $37,500 on claude-opus-4.5 (blended $2.625 per million at 20/75/5) is
// 14,285,714,285.7 tokens a year, 1,190,476,190.48 a month: each rounded once from the
// exact figure (rounding the year first gave 1,190,476,191).
func TestTokensPerMonthAreRoundedOnce(t *testing.T) {
	b := recommend(t, sfSnapshot(1), Request{Tokens: &TokenPolicy{Mode: TokenModeFixed, FixedUSD: ptr(37500.0)}})
	i := slices.IndexFunc(b.Tokens.Models, func(m ModelTokens) bool { return m.Price.Model == "claude-opus-4.5" })
	if i < 0 {
		t.Fatal("no claude-opus-4.5")
	}
	if m := b.Tokens.Models[i]; m.Blended != 2.625 || m.PerYear != 14285714286 || m.PerMonth != 1190476190 {
		t.Errorf("blended %v, per year %v, per month %v; want 2.625, 14285714286, 1190476190", m.Blended, m.PerYear, m.PerMonth)
	}
}

// The cap is said whenever it applies.
func TestTokensCappedIsWarned(t *testing.T) {
	capped := recommend(t, sfSnapshot(10), Request{Tokens: &TokenPolicy{Mode: TokenModePercentOfBase, PercentOfBase: ptr(50.0), CapUSD: ptr(250000.0)}})
	if !capped.Tokens.Capped || !hasWarning(capped, "TOKENS_CAPPED") {
		t.Errorf("capped at 250,000 without TOKENS_CAPPED: %+v", capped.Warnings)
	}
	under := recommend(t, sfSnapshot(1), Request{Tokens: &TokenPolicy{Mode: TokenModePercentOfBase, PercentOfBase: ptr(50.0), CapUSD: ptr(250000.0)}})
	if under.Tokens.Capped || hasWarning(under, "TOKENS_CAPPED") {
		t.Errorf("under the cap, yet capped: %+v", under.Warnings)
	}
}

// Cached-input prices are a tenth of input, written as the vendors write them.
func TestCachedPricesPrintAsWritten(t *testing.T) {
	for _, p := range tokens.BuiltInPrices {
		if s := strconv.FormatFloat(p.CachedInput, 'g', -1, 64); len(s) > 8 {
			t.Errorf("%s cached input prints as %s", p.Model, s)
		}
		if p.Model == "claude-sonnet-4.5" && p.CachedInput != 0.3 {
			t.Errorf("claude-sonnet-4.5 cached input %v, want 0.3", p.CachedInput)
		}
	}
}

// A cohort in which no row reports its base gives its total only: no base, equity or
// bonus figures pretending the whole is base.
func TestUnknownPayMixPublishesNoComponents(t *testing.T) {
	var rows []market.Observation
	for i := range 10 {
		o := obs("sf-bay-area", "us-tier-1", "US", 100000+float64(i)*10000, 0)
		o.Base, o.Equity, o.Bonus = 0, 0, 0
		rows = append(rows, o)
	}
	snap := market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{Name: "no-base"}, Observations: rows}}, ref, stats.DefaultAgingRate)
	b, err := Recommend(snap, Request{Family: "software-engineer", Level: "IC3", Location: "San Francisco, CA"}, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(*b, "PAY_MIX_UNKNOWN") || b.Total.Mid != 145000 {
		t.Fatalf("total %v, warnings %+v", b.Total.Range, b.Warnings)
	}
	for _, c := range b.Components[:Tokens] {
		if c.Range != (Range{}) || c.SharePercent != 0 || c.Market.Count != 0 && c.Component == Base {
			t.Errorf("%s: %+v share %v count %d", c.Component, c.Range, c.SharePercent, c.Market.Count)
		}
	}
}

// A refusal names the threshold that applied.
func TestRefusalNamesItsThreshold(t *testing.T) {
	var rows []market.Observation
	for i := range 7 {
		rows = append(rows, obs("sf-bay-area", "us-tier-1", "US", 100000+float64(i)*10000, 0))
	}
	snap := market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{Name: "seven"}, Observations: rows}}, ref, stats.DefaultAgingRate)
	for _, c := range []struct {
		policy Policy
		want   string
	}{
		{Policy{}, "a band needs 10 (the policy's minimum sample of 10)"},
		{Policy{MinSample: ptr(5), TargetPercentile: ptr(90.0)}, "a band needs 10 (the publishing threshold of p90; the policy's minimum sample is 5)"},
		{Policy{MinSample: ptr(8), TargetPercentile: ptr(50.0)}, "a band needs 8 (the policy's minimum sample of 8)"},
		{Policy{MinSample: ptr(10), TargetPercentile: ptr(10.0)}, "a band needs 10 (the policy's minimum sample, and the publishing threshold of p10)"},
	} {
		_, err := Recommend(snap, Request{Family: "software-engineer", Level: "IC3", Location: "San Francisco, CA", Policy: Settle(c.policy, "p", 1)}, ref)
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Message, c.want) {
			t.Errorf("%+v: %v, want %q", c.policy, err, c.want)
		}
	}
}
