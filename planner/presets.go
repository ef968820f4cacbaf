package planner

import (
	"maps"
	"slices"

	"github.com/paymix/paymix/planner/tokens"
)

// Preset is a named policy an organisation can start from.
type Preset struct {
	ID          string
	Description string
	Policy      Policy
}

func f64(v float64) *float64 { return &v }

// Presets are the starting points of REFERENCE.md's public debate on token pay.
var Presets = []Preset{
	{ID: "tokens-half-of-base", Description: "AI tokens at 50% of base, capped at $250,000 a year (the 2026 GTC proposal; top engineers' usage)",
		Policy: Policy{Tokens: &TokenPolicy{Mode: TokenModePercentOfBase, PercentOfBase: f64(50), CapUSD: f64(250000)}}},
	{ID: "tokens-fixed-100k", Description: "A fixed $100,000 token budget a year at every level ($375,000 salary + $100,000 tokens)",
		Policy: Policy{Tokens: &TokenPolicy{Mode: TokenModeFixed, FixedUSD: f64(100000)}}},
	{ID: "tokens-market-median", Description: "Tokens at the market median of budgets above zero, added on top (the default)",
		Policy: Policy{Tokens: &TokenPolicy{Mode: TokenModeMarket}}},
	{ID: "no-tokens", Description: "No token component: cash, equity and bonus only",
		Policy: Policy{Tokens: &TokenPolicy{Mode: TokenModeNone}}},
}

// PresetByID finds a preset.
func PresetByID(id string) (Preset, bool) {
	for _, p := range Presets {
		if p.ID == id {
			return p, true
		}
	}
	return Preset{}, false
}

// Validate checks a policy as Recommend would for every level of the ladder, so a
// stored policy cannot fail later for one level only.
func (p Policy) Validate() error { return Settle(p, "", 0).Validate() }

// Override is p with every field that o sets taken from o, as a request's fields win
// over a preset's: pointers and non-zero enums replace, maps merge key by key, prices
// add to p's.
func (p Policy) Override(o Policy) Policy {
	out := p
	pick(&out.TargetPercentile, o.TargetPercentile)
	pick(&out.SpreadPercent, o.SpreadPercent)
	pick(&out.MinSample, o.MinSample)
	pick(&out.MinCompanies, o.MinCompanies)
	pick(&out.MaxCompanySharePercent, o.MaxCompanySharePercent)
	out.MinCompaniesByLevel = mergeLevels(p.MinCompaniesByLevel, o.MinCompaniesByLevel)
	out.MaxCompanySharePercentByLevel = mergeLevels(p.MaxCompanySharePercentByLevel, o.MaxCompanySharePercentByLevel)
	pick(&out.AgingRatePercent, o.AgingRatePercent)
	pick(&out.RoundingUSD, o.RoundingUSD)
	out.SpreadByLevel = mergeLevels(p.SpreadByLevel, o.SpreadByLevel)
	if o.Tokens != nil {
		t := TokenPolicy{}
		if p.Tokens != nil {
			t = *p.Tokens
		}
		if o.Tokens.Mode != TokenModeDefault {
			t.Mode = o.Tokens.Mode
		}
		if o.Tokens.Funding != FundingDefault {
			t.Funding = o.Tokens.Funding
		}
		if o.Tokens.UsageMix != (tokens.UsageMix{}) { // spend shares alone count too
			t.UsageMix = o.Tokens.UsageMix
		}
		pick(&t.PercentOfBase, o.Tokens.PercentOfBase)
		pick(&t.CapUSD, o.Tokens.CapUSD)
		pick(&t.FixedUSD, o.Tokens.FixedUSD)
		t.FixedByLevel = mergeLevels(t.FixedByLevel, o.Tokens.FixedByLevel)
		t.Prices = append(slices.Clip(t.Prices), o.Tokens.Prices...)
		out.Tokens = &t
	}
	return out
}

func pick[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

func mergeLevels(a, b map[string]float64) map[string]float64 {
	if len(b) == 0 {
		return a
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]float64{}
	}
	maps.Copy(out, b)
	return out
}
