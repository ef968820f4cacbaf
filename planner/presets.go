package planner

import (
	"slices"

	"github.com/paymix/paymix/planner/catalog"
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
func (p Policy) Validate() error {
	var all violations
	seen := map[Violation]bool{}
	for _, level := range catalog.Ladder {
		var vs violations
		p.settle(level, &vs)
		for _, v := range vs {
			if !seen[v] {
				seen[v] = true
				all = append(all, v)
			}
		}
	}
	slices.SortStableFunc(all, func(a, b Violation) int {
		if a.Field < b.Field {
			return -1
		}
		if a.Field > b.Field {
			return 1
		}
		return 0
	})
	return all.err()
}
