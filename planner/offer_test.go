package planner

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func offerCtx() OfferContext {
	return OfferContext{Planner: New(sfSnapshot(1)), Policy: Settle(Policy{Tokens: &TokenPolicy{Mode: TokenModeNone}}, "inline", 0), Today: ref}
}

func sfOffer(base float64) Offer {
	return Offer{Family: "software-engineer", Level: "IC3", Location: "San Francisco, CA", Base: base}
}

func evaluate(t *testing.T, o Offer, a Assumptions) Evaluation {
	t.Helper()
	e, err := EvaluateOffer(offerCtx(), o, a.Settle(ref), "Offer")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func flagged(e Evaluation, code string) bool {
	return slices.ContainsFunc(e.Flags, func(f Flag) bool { return f.Code == code && f.Explanation != "" })
}

// $375,000 salary + $100,000 tokens = $475,000, tokens 100/475 = 21.05%; the same
// $100,000 as base with a 3% raise pays 100,000 + 103,000 + 106,090 + 109,273 =
// 418,363 over 4 years, 18,363 more than the flat budget.
func TestTokensAgainstBase(t *testing.T) {
	o := sfOffer(375000)
	o.TokensUSD = ptr(100000.0)
	e := evaluate(t, o, Assumptions{})
	if e.Headline != 475000 || e.TokenSharePercent != 21.05 || e.NegotiationBase != 375000 {
		t.Errorf("headline %v, token share %v, negotiation base %v", e.Headline, e.TokenSharePercent, e.NegotiationBase)
	}
	sum := 0.0
	for _, y := range e.Projection {
		sum += y.TokensAsBase
	}
	if len(e.Projection) != 4 || sum != 418363 || e.Projection[3].CumulativeGap != 18363 || e.Projection[2].TokensAsBase != 106090 {
		t.Errorf("projection %+v (sum %v)", e.Projection, sum)
	}
	// 100,000 x 75% x 25% = 18,750 a year to the engineer; 25,000 unused.
	if e.TokenCashEquivalent != 18750 || e.TokenFaceValueUnused != 25000 || e.ValueToEngineer != 393750 || e.CostToCompany != 475000 {
		t.Errorf("cash equivalent %v unused %v value %v cost %v", e.TokenCashEquivalent, e.TokenFaceValueUnused, e.ValueToEngineer, e.CostToCompany)
	}
	if !flagged(e, "TOKEN_SHARE_HIGH") || !flagged(e, "TOKENS_NOT_PAY") {
		t.Errorf("flags %+v", e.Flags)
	}
	// A 30% negotiated discount lowers the company's cost, not the engineer's value.
	d := evaluate(t, o, Assumptions{DiscountPercent: ptr(30.0)})
	if d.TokenCost != 70000 || d.CostToCompany != 445000 || d.ValueToEngineer != 393750 {
		t.Errorf("discounted: %v %v %v", d.TokenCost, d.CostToCompany, d.ValueToEngineer)
	}
}

func TestHalfOfBaseIsFlagged(t *testing.T) {
	o := sfOffer(500000)
	o.TokensUSD = ptr(250000.0)
	e := evaluate(t, o, Assumptions{})
	if e.TokenSharePercent != 33.33 || !flagged(e, "TOKEN_SHARE_HIGH") {
		t.Errorf("share %v flags %+v", e.TokenSharePercent, e.Flags)
	}
	if !strings.Contains(e.Flags[0].Explanation, "does not vest") {
		t.Errorf("explanation %q", e.Flags[0].Explanation)
	}
}

// A $400,000 grant on 5/15/40/40 vests $20,000 in year one and annualises to $100,000;
// on the standard schedule year one vests $100,000.
func TestVestingSchedules(t *testing.T) {
	o := sfOffer(100000)
	o.Grant, o.Vesting = 400000, VestBackLoaded
	e := evaluate(t, o, Assumptions{})
	if e.Projection[0].EquityVested != 20000 || e.Annual[Equity] != 100000 || e.FirstYear != 120000 || !flagged(e, "BACK_LOADED_EQUITY") {
		t.Errorf("back-loaded: year one %v, annual %v, first year %v, flags %+v", e.Projection[0].EquityVested, e.Annual[Equity], e.FirstYear, e.Flags)
	}
	if got := []float64{e.Projection[1].EquityVested, e.Projection[2].EquityVested, e.Projection[3].EquityVested}; !slices.Equal(got, []float64{60000, 160000, 160000}) {
		t.Errorf("later years %v", got)
	}
	o.Vesting = nil
	e = evaluate(t, o, Assumptions{})
	if e.Projection[0].EquityVested != 100000 || e.FirstYear != 200000 || flagged(e, "BACK_LOADED_EQUITY") {
		t.Errorf("standard: year one %v first year %v", e.Projection[0].EquityVested, e.FirstYear)
	}
	// A 50% refresher each year from the second vests 25% of 200,000 from year two.
	e = evaluate(t, o, Assumptions{RefreshPercent: ptr(50.0)})
	if e.Projection[1].EquityVested != 150000 || e.Projection[3].EquityVested != 250000 {
		t.Errorf("refreshers %+v", e.Projection)
	}
}

// Against the hand-built SF cohort (base band 69,600 / 87,000 / 104,400; market bases
// 60,000 ... 114,000 in steps of 6,000): base 95,700 has compa-ratio 1.1, range
// penetration 0.75 and sits at h = 5 + 5,700 / 6,000 = 5.95 of 9, the 66.11th percentile.
func TestPositions(t *testing.T) {
	e := evaluate(t, sfOffer(95700), Assumptions{})
	p := e.Positions[0]
	if p.Component != Base || p.CompaRatio.Value != 1.1 || p.RangePenetration.Value != 0.75 || p.MarketPercentile.Value != 66.11 {
		t.Errorf("base position %+v", p)
	}
	total := e.Positions[len(e.Positions)-1]
	// Total 95,700 against totals 100k..190k: below the lowest, the 0th percentile.
	if !total.IsTotal() || total.MarketPercentile.Value != 0 || total.CompaRatio.Value != round4(95700/145000.0) {
		t.Errorf("total position %+v", total)
	}
}

func TestCompareTokensAgainstCash(t *testing.T) {
	heavy := sfOffer(375000)
	heavy.Name, heavy.TokensUSD = "$375k base + $100k tokens", ptr(100000.0)
	cash := sfOffer(440000)
	cash.Name = "$440k base"
	c, err := CompareOffers(offerCtx(), []Offer{heavy, cash}, Assumptions{}.Settle(ref))
	if err != nil {
		t.Fatal(err)
	}
	// Cash over 4 years: 375,000 + 386,250 + 397,838 + 409,773 = 1,568,861 against
	// 440,000 + 453,200 + 466,796 + 480,800 = 1,840,796; tokens add 4 x 18,750.
	if c.Best != 1 || c.Values[0] != 1568861+75000 || c.Values[1] != 1840796 || !strings.HasPrefix(c.Summary, "$440k base is worth the most") {
		t.Errorf("best %d values %v summary %q", c.Best, c.Values, c.Summary)
	}
	// Break-even: 271,935 / (400,000 x 25%) = 271.94% utilisation (never), or a
	// 271,935 / (400,000 x 75%) = 90.645 -> 90.65% personal value share.
	be := c.BreakEvens[0]
	if len(c.BreakEvens) != 1 || be.Utilisation.Value != 271.94 || be.ValueShare.Value != 90.65 || !strings.Contains(be.Explanation, "even at 100% utilisation") {
		t.Errorf("break-even %+v", c.BreakEvens)
	}
	if y := c.Years[0]; y.Totals[0] != 475000 || y.Totals[1] != 440000 || y.Differences[1] != -35000 {
		t.Errorf("year one %+v", y)
	}
}

func TestBadOffers(t *testing.T) {
	cases := []struct {
		offer Offer
		field string
	}{
		// Domain paths (amount ranges are the wire's to check).
		{func() Offer { o := sfOffer(100000); o.Vesting = []float64{50, 40}; return o }(), "Offer.Vesting"},
		{func() Offer { o := sfOffer(100000); o.TokensPerMonth, o.Model = ptr(1e9), "gpt-9"; return o }(), "Offer.Model"},
		{func() Offer { o := sfOffer(100000); o.BonusTarget, o.BonusTargetPercent = ptr(1.0), ptr(1.0); return o }(), "Offer.BonusTarget"},
		{func() Offer { o := sfOffer(100000); o.Level = "E5"; return o }(), "Offer.Level"},
	}
	for _, c := range cases {
		_, err := EvaluateOffer(offerCtx(), c.offer, Assumptions{}.Settle(ref), "Offer")
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != KindInvalidArgument || !slices.ContainsFunc(pe.Violations, func(v Violation) bool { return v.Field == c.field }) {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	// Tokens a month of a price-book model: 1e9 a month on Sonnet 4.5 at 1.575 $/M.
	o := sfOffer(100000)
	o.TokensPerMonth, o.Model = ptr(1e9), "claude-sonnet-4.5"
	if e := evaluate(t, o, Assumptions{}); math.Abs(e.TokenUSD-18900) > 1e-6 {
		t.Errorf("token dollars %v, want 1e9 x 12 x 1.575 / 1e6 = 18,900", e.TokenUSD)
	}
}

// The front-loaded schedule, published as 33/33/22/11, is 3:3:2:1 in ninths: $90,000
// vests $30,000, $30,000, $20,000 and $10,000.
func TestFrontLoadedSchedule(t *testing.T) {
	o := sfOffer(100000)
	o.Grant, o.Vesting = 90000, VestFrontLoaded
	e := evaluate(t, o, Assumptions{})
	var got []float64
	for _, y := range e.Projection {
		got = append(got, y.EquityVested)
	}
	if !slices.Equal(got, []float64{30000, 30000, 20000, 10000}) || e.Annual[Equity] != 22500 {
		t.Errorf("vests %v, annual %v", got, e.Annual[Equity])
	}
	// A year's value counts tokens at their cash equivalent: 100,000 base + 18,750.
	o = sfOffer(100000)
	o.TokensUSD = ptr(100000.0)
	if e := evaluate(t, o, Assumptions{}); e.Projection[0].Total != 200000 || e.Projection[0].Value != 118750 {
		t.Errorf("year one pays %v, is worth %v", e.Projection[0].Total, e.Projection[0].Value)
	}
	if _, err := EvaluateOffer(offerCtx(), o, Settled{Years: 0}, "Offer"); err == nil {
		t.Error("zero years accepted")
	}
	if _, err := CompareOffers(offerCtx(), []Offer{o}, Assumptions{}.Settle(ref)); err == nil {
		t.Error("one offer compared")
	}
}
