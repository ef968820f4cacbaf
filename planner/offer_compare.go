package planner

import (
	"fmt"
	"math"
	"strings"
)

// YearComparison is one year of every offer side by side.
type YearComparison struct {
	Year        int
	Totals      []float64 // what each offer pays, tokens at face value
	Differences []float64 // each total minus the first offer's
	Values      []float64 // what each offer is worth to the engineer (tokens at their cash equivalent)
}

// BreakEven is where two offers' values to the engineer meet.
type BreakEven struct {
	A, B        int
	Utilisation Figure // percent, at the assumed personal value share
	ValueShare  Figure // percent, at the assumed utilisation
	Explanation string
}

// Comparison is CompareOffers' answer.
type Comparison struct {
	Evaluations []Evaluation
	Years       []YearComparison
	Values      []float64
	Best        int
	Summary     string
	BreakEvens  []BreakEven
}

// CompareOffers evaluates offers on the same assumptions, says which is worth most to
// the engineer and where that flips between any two with different token budgets.
func CompareOffers(ctx OfferContext, offers []Offer, a Settled) (Comparison, error) {
	var c Comparison
	if len(offers) < 2 {
		return c, Invalid(Violation{Field: "Offers", Description: "compare two to five offers"})
	}
	for i, o := range offers {
		e, err := EvaluateOffer(ctx, o, a, fmt.Sprintf("Offers[%d]", i))
		if err != nil {
			return Comparison{}, err
		}
		if e.Name == "" {
			e.Name = fmt.Sprintf("offer %d", i+1)
		}
		c.Evaluations = append(c.Evaluations, e)
		c.Values = append(c.Values, e.Value)
		if e.Value > c.Values[c.Best] {
			c.Best = i
		}
	}
	for y := range a.Years {
		yc := YearComparison{Year: y + 1}
		for _, e := range c.Evaluations {
			yc.Totals = append(yc.Totals, e.Projection[y].Total)
			yc.Differences = append(yc.Differences, e.Projection[y].Total-c.Evaluations[0].Projection[y].Total)
			yc.Values = append(yc.Values, e.Projection[y].Value)
		}
		c.Years = append(c.Years, yc)
	}
	best := c.Evaluations[c.Best]
	c.Summary = fmt.Sprintf("%s is worth the most to the engineer over %d years at %g%% utilisation and a %g%% personal value share of tokens: %s",
		best.Name, a.Years, a.UtilisationPercent, a.ValueSharePercent, usd(best.Value))
	for i := range c.Evaluations {
		for j := i + 1; j < len(c.Evaluations); j++ {
			if be, ok := breakEven(c.Evaluations, i, j, a); ok {
				c.BreakEvens = append(c.BreakEvens, be)
			}
		}
	}
	if err := finiteAll("offer comparison", c); err != nil {
		return Comparison{}, err
	}
	return c, nil
}

// breakEven solves value_i = value_j for utilisation u and for personal value share s,
// where value = cash and vested equity C + token budget over the horizon T x u x s.
func breakEven(es []Evaluation, i, j int, a Settled) (BreakEven, bool) {
	heavy, light := i, j
	if es[j].TokensOverHorizon > es[i].TokensOverHorizon {
		heavy, light = j, i
	}
	dT := es[heavy].TokensOverHorizon - es[light].TokensOverHorizon
	if dT == 0 {
		return BreakEven{}, false
	}
	dC := es[light].ValueWithoutTokens - es[heavy].ValueWithoutTokens // what tokens must make up
	be := BreakEven{A: i, B: j}
	var parts []string
	if s := a.ValueSharePercent / 100; s > 0 {
		u := round2(dC / (dT * s) * 100)
		be.Utilisation = Figure{Value: u, Published: true}
		parts = append(parts, describeBreakEven(es[heavy].Name, es[light].Name, "utilisation", u,
			fmt.Sprintf("at a %g%% personal value share", a.ValueSharePercent)))
	}
	if u := a.UtilisationPercent / 100; u > 0 {
		s := round2(dC / (dT * u) * 100)
		be.ValueShare = Figure{Value: s, Published: true}
		parts = append(parts, describeBreakEven(es[heavy].Name, es[light].Name, "personal value share", s,
			fmt.Sprintf("at %g%% utilisation", a.UtilisationPercent)))
	}
	be.Explanation = strings.Join(parts, "; ")
	return be, true
}

func describeBreakEven(heavy, light, what string, at float64, given string) string {
	switch {
	case at <= 0:
		return fmt.Sprintf("%s is worth more at any %s (%s)", heavy, what, given)
	case at > 100:
		return fmt.Sprintf("%s is worth more even at 100%% %s (%s): the token-heavier %s would need %.2f%%", light, what, given, heavy, at)
	}
	return fmt.Sprintf("%s and %s are worth the same at %.2f%% %s (%s); above it %s is worth more", heavy, light, at, what, given, heavy)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
