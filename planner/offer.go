package planner

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/planner/tokens"
)

// Named vesting schedules, in percent per year (REFERENCE.md, "Vesting").
var (
	VestStandard   = []float64{25, 25, 25, 25} // 4 years, 1-year cliff
	VestBackLoaded = []float64{5, 15, 40, 40}  // Amazon
	// VestFrontLoaded is the 3:3:2:1 schedule Google has used, published rounded as
	// 33/33/22/11; in exact ninths it sums to 100.
	VestFrontLoaded = []float64{300.0 / 9, 300.0 / 9, 200.0 / 9, 100.0 / 9}
)

// Offer is one compensation offer; amounts are yearly USD.
type Offer struct {
	Name                    string
	Family, Level, Location string
	Base                    float64
	BonusTarget             *float64 // an amount, or
	BonusTargetPercent      *float64 // a percentage of base
	SignOn                  float64
	Grant                   float64
	Vesting                 []float64 // yearly percentages; nil means VestStandard
	TokensUSD               *float64  // USD a year, or
	TokensPerMonth          *float64  // tokens a month of Model
	Model                   string
}

// Assumptions of the projection and of the token value. Nil takes the default.
type Assumptions struct {
	Years               *int
	RaisePercent        *float64
	UtilisationPercent  *float64
	ValueSharePercent   *float64
	TokenShareThreshold *float64
	DiscountPercent     *float64
	RefreshPercent      *float64
	EquityGrowthPercent *float64
	EffectiveDate       time.Time
}

// Defaults of the assumptions (issue: 4 years, 3% raise, 75% utilisation, 25% personal
// value share, a 20% token share flagged, list prices, no refreshers, equity at grant).
var DefaultAssumptions = Settled{Years: 4, RaisePercent: 3, UtilisationPercent: 75, ValueSharePercent: 25, TokenShareThreshold: 20}

// Settled are assumptions with every default filled in.
type Settled struct {
	Years                                                                    int
	RaisePercent, UtilisationPercent, ValueSharePercent, TokenShareThreshold float64
	DiscountPercent, RefreshPercent, EquityGrowthPercent                     float64
	EffectiveDate                                                            time.Time
}

// Settle fills in the defaults.
func (a Assumptions) Settle(today time.Time) Settled {
	d := DefaultAssumptions
	return Settled{
		Years: value(a.Years, d.Years), RaisePercent: value(a.RaisePercent, d.RaisePercent),
		UtilisationPercent: value(a.UtilisationPercent, d.UtilisationPercent), ValueSharePercent: value(a.ValueSharePercent, d.ValueSharePercent),
		TokenShareThreshold: value(a.TokenShareThreshold, d.TokenShareThreshold), DiscountPercent: value(a.DiscountPercent, 0),
		RefreshPercent: value(a.RefreshPercent, 0), EquityGrowthPercent: value(a.EquityGrowthPercent, 0),
		EffectiveDate: effectiveDate(a.EffectiveDate, today),
	}
}

// Flag is something to know about an offer.
type Flag struct{ Code, Explanation string }

// Position places a component (or, with Total, the total) in market and band.
type Position struct {
	Component        Component // or componentTotal
	Value            float64
	MarketPercentile Figure // 0-100
	CompaRatio       Figure
	RangePenetration Figure
}

// componentTotal marks a position of the total.
const componentTotal Component = -1

// IsTotal reports whether the position is of the total.
func (p Position) IsTotal() bool { return p.Component == componentTotal }

// Year is one year of a projection.
type Year struct {
	Year                                             int
	Base, Bonus, EquityVested, SignOn, Tokens, Total float64
	TokensAsBase, CumulativeGap                      float64
	Value                                            float64 // to the engineer: tokens at their cash equivalent
}

// Evaluation is everything paymix says of an offer.
type Evaluation struct {
	Name                     string
	Annual                   [5]float64 // base, equity, bonus, tokens, sign-on: a year's share of each
	SignOnAnnual             float64    // sign-on / 4, also Annual[SignOn]
	Shares                   [5]float64 // of the headline, percent, summing to 100
	Headline, FirstYear      float64
	TokenSharePercent        float64
	NegotiationBase          float64
	TokenUSD                 float64
	TokenCashEquivalent      float64
	TokenFaceValueUnused     float64
	CostToCompany, TokenCost float64
	ValueToEngineer          float64
	Projection               []Year
	Positions                []Position
	Flags                    []Flag
	Band                     *Band
	// Value is the value to the engineer over the projection: cash and vested equity
	// plus the tokens' cash equivalent; ValueWithoutTokens leaves the tokens out.
	Value, ValueWithoutTokens, TokensOverHorizon float64
}

// OfferContext is what every offer of a request is evaluated with.
type OfferContext struct {
	Planner *Planner
	Policy  *SettledPolicy // nil: DefaultPolicy
	Today   time.Time
}

func (c OfferContext) policy() *SettledPolicy {
	if c.Policy == nil {
		return DefaultPolicy
	}
	return c.Policy
}

// EvaluateOffer evaluates one offer; field is its domain path in the request
// ("Offer", or "Offers[2]" in a comparison). Amounts and assumptions are within the
// wire's bounds; what is checked here spans fields.
func EvaluateOffer(ctx OfferContext, o Offer, a Settled, field string) (Evaluation, error) {
	var vs violations
	vesting := o.Vesting
	if len(vesting) == 0 {
		vesting = VestStandard
	}
	sum := 0.0
	for _, p := range vesting {
		sum += p
	}
	if math.Abs(sum-100) > 1e-6 {
		vs.add(field+".Vesting", "yearly percentages must sum to 100, not %g", sum)
	}
	if o.BonusTarget != nil && o.BonusTargetPercent != nil {
		vs.add(field+".BonusTarget", "give the bonus target as an amount or as a percentage of base, not both")
	}
	if a.Years < 1 {
		vs.add("Assumptions.Years", "must be at least 1, not %d", a.Years)
	}
	tokenUSD := offerTokens(ctx.policy(), o, a.EffectiveDate, field, &vs)
	if err := vs.err(); err != nil {
		return Evaluation{}, err
	}
	bonusPct := 0.0
	switch {
	case o.BonusTargetPercent != nil:
		bonusPct = *o.BonusTargetPercent / 100
	case o.BonusTarget != nil && o.Base > 0:
		bonusPct = *o.BonusTarget / o.Base
	}
	e := Evaluation{Name: o.Name, TokenUSD: tokenUSD}
	bonus := o.Base * bonusPct
	if o.BonusTarget != nil {
		bonus = *o.BonusTarget
	}
	equityAnnual := o.Grant / float64(len(vesting))
	e.SignOnAnnual = math.Round(o.SignOn / 4)
	e.Annual = [5]float64{math.Round(o.Base), math.Round(equityAnnual), math.Round(bonus), math.Round(tokenUSD), e.SignOnAnnual}
	for _, v := range e.Annual {
		e.Headline += v
	}
	e.FirstYear = math.Round(o.Base + bonus + o.SignOn + o.Grant*vesting[0]/100 + tokenUSD)
	if e.Headline > 0 {
		// Shares in hundredths of a percent, largest remainder: they sum to 100.
		var parts [5]float64
		for i, v := range e.Annual {
			parts[i] = v / e.Headline
		}
		e.Shares = largestRemainderN(100, parts[:], 0.01)
	}
	e.TokenSharePercent = e.Shares[Tokens]
	e.NegotiationBase = e.Annual[Base] + e.Annual[Bonus] + e.Annual[Equity]
	util, share := a.UtilisationPercent/100, a.ValueSharePercent/100
	e.TokenCashEquivalent = math.Round(tokenUSD * util * share)
	e.TokenFaceValueUnused = math.Round(tokenUSD * (1 - util))
	e.TokenCost = math.Round(tokenUSD * (1 - a.DiscountPercent/100))
	e.CostToCompany = e.NegotiationBase + e.SignOnAnnual + e.TokenCost
	e.ValueToEngineer = e.NegotiationBase + e.SignOnAnnual + e.TokenCashEquivalent
	e.project(o, vesting, bonusPct, tokenUSD, a)
	if err := e.place(ctx, o, a); err != nil {
		return Evaluation{}, prefixFields(err, field)
	}
	e.flag(o, vesting, a)
	if err := finiteAll("offer evaluation", e); err != nil {
		return Evaluation{}, err
	}
	return e, nil
}

// offerTokens is the offer's token budget in USD a year: given, or tokens a month of
// a model at the policy's usage mix and the price in effect at the effective date.
func offerTokens(sp *SettledPolicy, o Offer, effective time.Time, field string, vs *violations) float64 {
	switch {
	case o.TokensUSD != nil && o.TokensPerMonth != nil:
		vs.add(field+".Tokens", "give usd_per_year or tokens_per_month with a model, not both")
	case o.TokensUSD != nil:
		return *o.TokensUSD
	case o.TokensPerMonth != nil:
		mix := value(sp.Policy.Tokens, TokenPolicy{}).UsageMix.WithDefaultShares()
		if price, ok := sp.book.Find(o.Model, effective); ok {
			return *o.TokensPerMonth * 12 * tokens.Blended(price.Price, mix) / 1e6
		}
		var models []string
		for _, r := range sp.book.At(effective) {
			models = append(models, r.Model)
		}
		vs.add(field+".Model", "unknown model %q, or none of its prices in effect on %s; %s", o.Model, effective.Format(time.DateOnly), acceptedList(models))
	}
	return 0
}

// project lays the offer out year by year: base raised every year, the bonus as a
// percentage of it, equity vesting on its schedule (plus refreshers), the sign-on in
// year one and a flat token budget, beside the same money paid as base.
func (e *Evaluation) project(o Offer, vesting []float64, bonusPct, tokenUSD float64, a Settled) {
	raise, growth := 1+a.RaisePercent/100, 1+a.EquityGrowthPercent/100
	vests := make([]float64, a.Years)
	for g := 0; g < a.Years; g++ { // grant g: the initial one (0) or a refresher
		size := o.Grant
		if g > 0 {
			size = o.Grant * a.RefreshPercent / 100
		}
		for i, p := range vesting {
			if y := g + i; y < a.Years {
				vests[y] += size * p / 100 * math.Pow(growth, float64(y))
			}
		}
		if a.RefreshPercent == 0 {
			break
		}
	}
	gap, util, share := 0.0, a.UtilisationPercent/100, a.ValueSharePercent/100
	for y := range a.Years {
		base := o.Base * math.Pow(raise, float64(y))
		yr := Year{Year: y + 1, Base: math.Round(base), Bonus: math.Round(base * bonusPct), EquityVested: math.Round(vests[y]),
			Tokens: math.Round(tokenUSD)}
		if y == 0 {
			yr.SignOn = math.Round(o.SignOn)
		}
		yr.Total = yr.Base + yr.Bonus + yr.EquityVested + yr.SignOn + yr.Tokens
		asBase := tokenUSD * math.Pow(raise, float64(y)) * (1 + bonusPct)
		gap += asBase - tokenUSD
		yr.TokensAsBase, yr.CumulativeGap = math.Round(asBase), math.Round(gap)
		e.Projection = append(e.Projection, yr)
		cash := yr.Base + yr.Bonus + yr.EquityVested + yr.SignOn
		yr.Value = cash + math.Round(tokenUSD*util*share)
		e.Projection[len(e.Projection)-1] = yr
		e.ValueWithoutTokens += cash
		e.TokensOverHorizon += yr.Tokens
		e.Value += yr.Value
	}
}

// place positions the offer in its band and in the band's market cohort.
func (e *Evaluation) place(ctx OfferContext, o Offer, a Settled) error {
	band, err := ctx.Planner.Recommend(Request{Family: o.Family, Level: o.Level, Location: o.Location, Policy: ctx.Policy,
		EffectiveDate: a.EffectiveDate}, ctx.Today)
	var pe *Error
	if errors.As(err, &pe) && pe.Kind == KindFailedPrecondition {
		e.Flags = append(e.Flags, Flag{"NO_MARKET_DATA", "the market is too thin for this cohort to place the offer: " + pe.Message})
		return nil
	}
	if err != nil {
		return err
	}
	e.Band = band
	fb := band.Provenance.Fallback
	view, _ := ctx.Planner.Snapshot.Lookup(market.CohortKey{Family: band.Family.ID, Level: band.Level.ID, Scope: fb.Used, Place: fb.UsedPlace},
		band.Provenance.AgingRatePercent/100, band.Provenance.Effective)
	// Positions are on the band's own statistics: company-weighted by its policy.
	view = view.Weighted(band.Provenance.MaxCompanySharePercent, band.Provenance.MinCompanies)
	position := func(c Component, k market.Kind, pay float64, r Range) Position {
		p := Position{Component: c, Value: pay}
		// A component the offer does not have has no place in its range.
		if r.Mid > 0 && pay > 0 {
			p.CompaRatio = Figure{Value: round4(pay / r.Mid), Published: true}
		}
		if r.Max > r.Min && pay > 0 {
			p.RangePenetration = Figure{Value: round4((pay - r.Min) / (r.Max - r.Min)), Published: true}
		}
		if view.Count(k) >= stats.MinCentral {
			if q, ok := view.Rank(k, pay); ok {
				p.MarketPercentile = Figure{Value: math.Round(q*10000) / 100, Published: true}
			}
		}
		return p
	}
	kinds := [4]market.Kind{market.Base, market.Equity, market.Bonus, market.Tokens}
	for c := Base; c <= Tokens; c++ {
		if c == Tokens && e.Annual[Tokens] == 0 {
			continue
		}
		e.Positions = append(e.Positions, position(c, kinds[c], e.Annual[c], band.Components[c].Range))
	}
	// The market's totals are base + equity + bonus: tokens are not in them.
	total := position(componentTotal, market.Total, e.NegotiationBase, band.WithoutTokens)
	e.Positions = append(e.Positions, total)
	return nil
}

func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// BackLoadedBelow: first-year pay under this share of the annualised figure is flagged.
const BackLoadedBelow = 0.85

func (e *Evaluation) flag(o Offer, vesting []float64, a Settled) {
	if e.TokenSharePercent > a.TokenShareThreshold {
		e.Flags = append(e.Flags, Flag{"TOKEN_SHARE_HIGH", fmt.Sprintf(
			"AI tokens are %.2f%% of the headline total, above %g%%: a token budget does not vest, does not appreciate and does not "+
				"count when a future employer or raise is negotiated, so the package is worth %s less than its headline for those purposes",
			e.TokenSharePercent, a.TokenShareThreshold, usd(e.Annual[Tokens]))})
	}
	if e.Band != nil && e.Annual[Tokens] > 0 {
		total, base := e.Band.Total.Market.P50, e.Band.Components[Base].Market.P25
		if total.Published && base.Published && e.Headline >= total.Value && e.Annual[Base] < base.Value {
			e.Flags = append(e.Flags, Flag{"TOKEN_INFLATED_TOTAL", fmt.Sprintf(
				"the headline total %s is at or above the market median %s while base %s is below the market's 25th percentile %s: "+
					"tokens and other non-cash pay lift the total while cash stays low", usd(e.Headline), usd(total.Value), usd(e.Annual[Base]), usd(base.Value))})
		}
	}
	// Equity against itself: other pay (a sign-on) must not hide a back-loaded grant.
	if firstYear := o.Grant * vesting[0] / 100; o.Grant > 0 && firstYear < BackLoadedBelow*e.Annual[Equity] {
		e.Flags = append(e.Flags, Flag{"BACK_LOADED_EQUITY", fmt.Sprintf(
			"the grant vests %s in the first year, far below its annualised %s: %g%% of it vests in year one",
			usd(firstYear), usd(e.Annual[Equity]), vesting[0])})
	}
	if e.Annual[Tokens] > 0 {
		e.Flags = append(e.Flags, Flag{"TOKENS_NOT_PAY", fmt.Sprintf(
			"the %s token budget is compute to work with: at %g%% utilisation and a %g%% personal value share it is worth %s a year to you "+
				"(%s goes unused); paid as base instead it would grow with raises, %s more over %d years",
			usd(e.Annual[Tokens]), a.UtilisationPercent, a.ValueSharePercent, usd(e.TokenCashEquivalent), usd(e.TokenFaceValueUnused),
			usd(e.Projection[len(e.Projection)-1].CumulativeGap), a.Years)})
	}
}

func usd(v float64) string {
	s := fmt.Sprintf("%.0f", math.Abs(v))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if v < 0 {
		return "-$" + s
	}
	return "$" + s
}

// prefixFields puts a request path before the fields of a band's violations.
func prefixFields(err error, field string) error {
	var pe *Error
	if !errors.As(err, &pe) || len(pe.Violations) == 0 {
		return err
	}
	out := *pe
	out.Violations = make([]Violation, len(pe.Violations))
	for i, v := range pe.Violations {
		if !strings.HasPrefix(v.Field, "Policy.") && !strings.HasPrefix(v.Field, "Tokens.") {
			v.Field = field + "." + v.Field // the offer's own fields; the policy is the request's
		}
		out.Violations[i] = v
	}
	return &out
}
