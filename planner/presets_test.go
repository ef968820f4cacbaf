package planner

import (
	"testing"

	"github.com/paymix/paymix/planner/tokens"
)

// A policy made from a preset keeps the preset's fields it does not set, and takes a
// usage mix it sets even when only its spend shares are given.
func TestOverrideKeepsSpendShares(t *testing.T) {
	p, ok := PresetByID("tokens-half-of-base")
	if !ok {
		t.Fatal("no tokens-half-of-base preset")
	}
	batch := tokens.UsageMix{BatchPercent: 30}
	got := p.Policy.Override(Policy{Tokens: &TokenPolicy{UsageMix: batch}})
	if got.Tokens == nil || got.Tokens.UsageMix != batch || got.Tokens.Mode != TokenModePercentOfBase || *got.Tokens.PercentOfBase != 50 {
		t.Errorf("overridden tokens: %+v", got.Tokens)
	}
	if kept := p.Policy.Override(Policy{Tokens: &TokenPolicy{}}); kept.Tokens.UsageMix != p.Policy.Tokens.UsageMix {
		t.Errorf("an empty mix replaced the preset's: %+v", kept.Tokens.UsageMix)
	}
}
