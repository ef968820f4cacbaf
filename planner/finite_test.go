package planner

import (
	"math"
	"strings"
	"testing"

	"github.com/paymix/paymix/planner/tokens"
)

// A non-finite figure is refused naming the figure; a finite band passes without a
// name being built.
func TestCheckFiniteNamesTheFigure(t *testing.T) {
	var b Band
	if err := b.checkFinite(); err != nil {
		t.Fatalf("a band of zeros: %v", err)
	}
	b.Tokens.Models = []ModelTokens{{Price: &tokens.Resolved{Price: tokens.Price{Model: "model-a"}}, PerYear: 10},
		{Price: &tokens.Resolved{Price: tokens.Price{Model: "model-b"}}, PerMonth: math.Inf(1)}}
	err := b.checkFinite()
	if err == nil || !strings.Contains(err.Error(), "(tokens of model-b is +Inf)") {
		t.Fatalf("got %v, want the error to name tokens of model-b", err)
	}
	b.Tokens.Models = nil
	b.Components[Equity].Component = Equity
	b.Components[Equity].Market.P75.Value = math.NaN()
	if err := b.checkFinite(); err == nil || !strings.Contains(err.Error(), "(equity market is NaN)") {
		t.Fatalf("got %v, want the error to name the equity market", err)
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = (&Band{}).checkFinite() }); allocs != 0 {
		t.Errorf("checking a finite band allocates %v times", allocs)
	}
}
