// Package planner is paymix's domain: it turns a market snapshot and a policy into
// compensation bands in four components (base, equity, bonus and AI tokens). It is
// pure Go and imports nothing of gRPC, protobuf, SQL or the network.
package planner

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/planner/tokens"
)

// Component is one part of a package.
type Component int

const (
	Base Component = iota
	Equity
	Bonus
	Tokens
	// SignOn is an offer's sign-on bonus, a component of offers only: the headline
	// counts a quarter of it a year (Levels.fyi's convention).
	SignOn
)

func (c Component) String() string {
	return [...]string{"base", "equity", "bonus", "tokens", "sign-on"}[c]
}

// Currency of every amount in version 1.
const Currency = "USD"

// Request asks for the band of one cohort.
type Request struct {
	Family   string
	Level    string
	Location string
	// TargetPercentile and Tokens, when set, override the policy's.
	TargetPercentile *float64
	Tokens           *TokenPolicy
	// Resolved, when set, is the location already resolved (a cohort of the snapshot,
	// listed by id); Location is then only echoed.
	Resolved *catalog.Location
	// EffectiveDate is the date market data is aged to; zero means today.
	EffectiveDate time.Time
	// Policy is the settled policy the band follows; nil means DefaultPolicy.
	Policy *SettledPolicy
}

// Range is a min, mid and max.
type Range struct{ Min, Mid, Max float64 }

// Figure is a market statistic that is published only above its threshold.
type Figure struct {
	Value     float64
	Published bool
}

// Market holds the market statistics of one series of a cohort, rounded to whole
// dollars: percentiles p10-p90 (type 7) and the mean, each withheld below its
// publishing threshold.
type Market struct {
	Count                   int
	P10, P25, P50, P75, P90 Figure
	Mean                    Figure
	// Companies behind the figures; the largest company's share of their rows and,
	// after the cap, of their weight, in percent (two decimals); and the grade.
	Companies            int
	LargestRowPercent    float64
	LargestWeightPercent float64
	Confidence           Confidence
}

// Confidence grades how far a market figure can be trusted.
type Confidence int

const (
	ConfidenceLow Confidence = iota + 1
	ConfidenceMedium
	ConfidenceHigh
)

// The confidence grade (README, "Confidence"): HIGH needs every one of the high
// marks, LOW follows from any one of the low ones, MEDIUM is the rest.
const (
	highMinCount, highMinCompanies = 50, 10
	highMaxRowShare, highMaxSpread = 0.35, 0.6
	highMaxAgeMonths               = 24
	lowBelowCount                  = 20
	lowCompaniesMargin             = 2 // LOW below min_companies + this
	lowAboveSpread                 = 1.0
	lowAboveAgeMonths              = 36
	lowAboveFallbackScopes         = 1
)

// grading is what a figure's grade depends on beyond its series.
type grading struct {
	effective    time.Time
	minCompanies int
	fellBack     int // scopes the figure's cohort widened from the one requested
}

func grade(count, companies int, rowShare, spread, ageMonths float64, g grading) Confidence {
	switch {
	case count < lowBelowCount, companies < g.minCompanies+lowCompaniesMargin, spread > lowAboveSpread,
		ageMonths > lowAboveAgeMonths, g.fellBack > lowAboveFallbackScopes:
		return ConfidenceLow
	case count >= highMinCount && companies >= highMinCompanies && rowShare <= highMaxRowShare && spread <= highMaxSpread &&
		ageMonths <= highMaxAgeMonths && g.fellBack == 0:
		return ConfidenceHigh
	}
	return ConfidenceMedium
}

// ComponentBand is one component of a band.
type ComponentBand struct {
	Component Component
	Range
	Market       Market
	SharePercent float64 // of the total midpoint, two decimals
}

// TotalBand is the total of a band; Market is of the cohort's reported totals (whose
// parts agree with them within the import tolerance when the base is reported), never
// including token budgets.
type TotalBand struct {
	Range
	Market Market
}

// ModelTokens is a budget in one model's tokens.
type ModelTokens struct {
	Price    *tokens.Resolved // the price in effect at the effective date, and its book; shared
	Blended  float64          // USD per million tokens at the usage mix
	PerYear  float64
	PerMonth float64
}

// TokenBudget is the token component at the midpoint.
type TokenBudget struct {
	Mode         TokenMode
	Funding      Funding
	USDPerYear   float64
	USDPerMonth  float64
	Capped       bool
	UsageMix     tokens.UsageMix
	Models       []ModelTokens
	SharePercent float64       // of the total midpoint, two decimals
	MarketScope  catalog.Scope // MARKET mode: the scope whose budgets set the figure
}

// Step is one location scope tried for a cohort.
type Step struct {
	Scope     catalog.Scope
	Place     string
	Count     int
	Companies int
	// Passed says why a scope was passed over: StepTooFewRows or StepTooFewCompanies;
	// empty for the scope used.
	Passed string
}

// Why a fallback step passed a scope over.
const (
	StepTooFewRows      = "TOO_FEW_ROWS"
	StepTooFewCompanies = "TOO_FEW_COMPANIES"
)

// Fallback records the location scopes tried, ending with the one used.
type Fallback struct {
	Requested catalog.Scope
	Used      catalog.Scope
	UsedPlace string
	Steps     []Step
}

// Provenance is what produced a band.
type Provenance struct {
	Synthetic        bool
	Count            int
	SnapshotVersion  string
	Datasets         []market.DatasetInfo
	DataStart        time.Time
	DataEnd          time.Time
	Effective        time.Time
	Fallback         Fallback
	Policy           string
	PolicyRevision   int64
	TargetPercentile float64
	SpreadPercent    float64
	AgingRatePercent float64
	MinSample        int
	// The company rules that applied (README, "Company weights").
	MinCompanies           int
	MaxCompanySharePercent float64
	// The curve settings, and the differential applied when the band fell back (nil
	// when none was).
	GeoAdjustment  bool
	LevelSmoothing Smoothing
	Geo            *Differential
	// Overrides are the parts of the policy the request set itself, by domain field
	// ("TargetPercentile", "Tokens").
	Overrides []string
	// PriceBooks are the price books the token figures were priced on, lowest first:
	// the built-in book, the organisation's, the policy's or request's own prices.
	PriceBooks []tokens.Layer
}

// Warning is something a reader of a band must know; codes are stable.
type Warning struct {
	Code    string
	Message string
}

// Band is a compensation band in four components. For min, mid and max alike the
// components sum exactly to the total.
type Band struct {
	Currency      string
	Family        catalog.Family
	Level         catalog.Level
	Location      catalog.Location
	Components    [4]ComponentBand // indexed by Component
	Total         TotalBand
	WithoutTokens Range
	Tokens        TokenBudget
	Curve         Curve
	Provenance    Provenance
	Warnings      []Warning
}

// Curve is a band's place on its level curve: the track of its family at its
// requested location.
type Curve struct {
	// RawMid is the total midpoint without tokens before smoothing (after any
	// geographic differential); Smoothed says whether the curve moved it.
	RawMid   float64
	Smoothed bool
	// Below is the nearest served level under the band's on its track ("" for none);
	// ProgressionPercent is the band's midpoint without tokens over that level's,
	// minus 1, in percent (two decimals), set when HasProgression.
	Below              string
	ProgressionPercent float64
	HasProgression     bool
}

var scopes = []catalog.Scope{catalog.ScopeMetro, catalog.ScopeZone, catalog.ScopeCountry}

// Recommend builds the band for a request. today is the default effective date. The
// band is returned by pointer: it is large, and a call's stack stays small.
func (pl *Planner) Recommend(req Request, today time.Time) (*Band, error) {
	snap := pl.Snapshot
	if snap == nil {
		return nil, &Error{Kind: KindUnavailable, Reason: "SNAPSHOT_NOT_LOADED", Message: "market data is not loaded yet"}
	}
	var vs violations
	family, level, _, okLevel := lookupJob(req.Family, req.Level, false, &vs)
	var loc catalog.Location
	if req.Resolved != nil {
		loc = *req.Resolved
	} else {
		loc = resolve(req.Location, &vs)
	}
	policy := req.Policy
	if policy == nil {
		policy = DefaultPolicy
	}
	var set settings
	if okLevel {
		lv := policy.levels[level.ID]
		set = lv.set
		vs = append(vs, lv.vs...)
	}
	// The request's own target percentile and token policy override the policy's.
	var qOverride *float64
	if q := req.TargetPercentile; q != nil {
		set.targetPercent, set.q = *q, *q/100
		qOverride = &set.q
	}
	if req.Tokens != nil && okLevel {
		set.tokens = req.Tokens.settle(level, &vs, "Tokens", withPrices(policy.base, RequestPrices, req.Tokens.Prices))
	}
	if err := vs.err(); err != nil {
		return nil, err
	}
	// Filled field by field: a composite literal of the builder would be made on the
	// stack first, and a band is large.
	b := new(builder)
	b.snap, b.set, b.effective = snap, set, effectiveDate(req.EffectiveDate, today)
	b.curves = curves{p: pl, policy: policy, q: qOverride, effective: b.effective}
	if req.TargetPercentile != nil {
		b.overrides = append(b.overrides, "TargetPercentile")
	}
	if req.Tokens != nil {
		b.overrides = append(b.overrides, "Tokens")
	}
	b.band.Currency, b.band.Family, b.band.Level, b.band.Location = Currency, family, level, loc
	b.typed = req.Resolved == nil
	if err := b.build(policy); err != nil {
		return nil, err
	}
	if err := b.band.checkFinite(); err != nil {
		return nil, err
	}
	return &b.band, nil
}

// lookupJob looks a job family and a level up by id, reporting under "Family" and
// "Level" an unknown one or a level off the family's ladder. With optional, an empty
// id is not looked up (a list's filter that is not set).
func lookupJob(familyID, levelID string, optional bool, vs *violations) (family catalog.Family, level catalog.Level, okFamily, okLevel bool) {
	if familyID != "" || !optional {
		if family, okFamily = catalog.FamilyByID(familyID); !okFamily {
			vs.add("Family", "unknown job family %q; %s", familyID, acceptedList(catalog.FamilyIDs()))
		}
	}
	if levelID != "" || !optional {
		if level, okLevel = catalog.LevelByID(levelID); !okLevel {
			vs.add("Level", "unknown level %q; %s", levelID, acceptedList(catalog.LevelIDs()))
		}
	}
	if okFamily && okLevel && !family.Accepts(level) {
		vs.add("Level", "%s is not on the %s ladder (%s); %s", level.ID, family.ID, family.Track, trackHint(family))
	}
	return family, level, okFamily, okLevel
}

// CheckCohortFilter checks a cohort list's filters: a job family or level that is set
// is one of the catalog's, and the level is on the family's ladder, so that a
// misspelt filter is refused instead of listing nothing.
func CheckCohortFilter(family, level string) error {
	var vs violations
	lookupJob(family, level, true, &vs)
	return vs.err()
}

// resolve resolves a location query, or reports it under "Location".
func resolve(query string, vs *violations) catalog.Location {
	loc, ok := catalog.Geo.Resolve(query)
	if !ok {
		vs.add("Location", "%s", unknownLocation(query))
	}
	return loc
}

// unknownLocation says what a location may be and what the query was likely meant to
// be; the catalog lists every accepted place.
func unknownLocation(query string) string {
	metros, countries := catalog.Geo.AcceptedCounts()
	msg := fmt.Sprintf("unknown location %q; give \"City, ST\" in the US, \"City, Country\" elsewhere, a country, or a metro id", query)
	msg += didYouMean(catalog.Geo.Suggest(query, 3))
	return msg + fmt.Sprintf("; the catalog lists the %d metros and %d countries accepted", metros, countries)
}

// nearMetros is nearMetros of the band's location, kept by the planner.
func (b *builder) nearMetros() string {
	q := b.band.Location.Query
	kept := &b.curves.p.near
	if s, ok := kept.get(q); ok {
		return s
	}
	s := nearMetros(b.band.Location)
	kept.put(q, s)
	return s
}

// nearMetros is " (did you mean ...?)" when a location that widened to its country is
// a few edits from a metro's city of that country ("Seatle, WA"), else empty.
func nearMetros(loc catalog.Location) string {
	var near []string
	for _, s := range catalog.Geo.Suggest(loc.Query, 3) {
		if l, ok := catalog.Geo.Resolve(s); ok && l.Scope == catalog.ScopeMetro && l.Country == loc.Country && strings.Contains(s, ",") {
			near = append(near, s)
		}
	}
	return didYouMean(near)
}

// didYouMean is ` (did you mean "a" or "b"?)`, or empty when there is nothing near.
func didYouMean(near []string) string {
	if len(near) == 0 {
		return ""
	}
	return " (did you mean " + quotedOr(near) + "?)"
}

// quotedOr is `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
func quotedOr(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// trackHint says which levels, or which family, fit.
func trackHint(f catalog.Family) string {
	if f.Track == catalog.TrackManager {
		return "managers take M1-M5; their reports are in the individual-contributor families"
	}
	return "it takes IC1-IC7; managers of engineers are the engineering-manager family"
}

// builder carries the state of one band under construction.
type builder struct {
	snap      *market.Snapshot
	set       settings
	effective time.Time
	curves    curves
	overrides []string
	band      Band
	cohort    market.View
	fallback  Fallback
	typed     bool // the location was resolved from the request's text, not given as a cohort
	// Room for the steps of the token fallback chain (at most three scopes).
	tokenSteps [3]Step
}

// grading is the grading context of figures on a cohort reached after fellBack widenings.
func (b *builder) grading(fellBack int) grading {
	return grading{effective: b.effective, minCompanies: b.set.minCompanies, fellBack: fellBack}
}

func (b *builder) key(scope catalog.Scope) market.CohortKey {
	return market.CohortKey{Family: b.band.Family.ID, Level: b.band.Level.ID, Scope: scope, Place: b.band.Location.IDAt(scope)}
}

func (b *builder) chain(k market.Kind, need int, steps []Step) ([]Step, market.CohortKey, bool) {
	return chain(b.snap, b.band.Location, b.key, b.set, b.effective, k, need, steps)
}

func (b *builder) build(policy *SettledPolicy) error {
	set := b.set
	need := max(set.minSample, stats.MinCount(set.q))
	// The band's place on its level curve: the ladder of its track at the requested
	// location, each level with its own fallback and differential, smoothed (curves.go).
	lad := b.curves.ladder(b.band.Family, b.band.Level.Track, b.band.Location)
	at, r := lad.at(b.band.Level.ID)
	steps := slices.Clone(r.steps[:r.nsteps])
	key, ok := r.used, r.served
	fb := Fallback{Requested: b.band.Location.Scope, Steps: steps}
	if !ok {
		return &Error{Kind: KindFailedPrecondition, Reason: "INSUFFICIENT_DATA", Message: fmt.Sprintf(
			"too few observations for %s %s in %s: %s; a band needs %d (%s) from at least %d companies",
			b.band.Family.ID, b.band.Level.ID, b.countryName(), describeSteps(steps), need, needReason(set), set.minCompanies)}
	}
	fb.Used, fb.UsedPlace = key.Scope, key.Place
	b.fallback = fb
	b.cohort, _ = b.snap.Lookup(key, set.agingRate, b.effective)
	b.cohort = b.cohort.Weighted(set.maxShare, set.minCompanies)
	c := b.cohort

	// Total midpoint = the target percentile of the cohort's aged totals, times the
	// differential when it falls back, on the smoothed level curve; min and max from
	// the range spread s: min = 2m / (2 + s), max = min (1 + s).
	mid := r.smoothed
	lo := 2 * mid / (2 + set.spread)
	hi := lo * (1 + set.spread)
	total := Range{Min: roundTo(lo, set.unit), Mid: roundTo(mid, set.unit), Max: roundTo(hi, set.unit)}

	// The split: the pay mix, each component held within its market (split.go).
	g := b.grading(len(steps) - 1)
	comps := &b.band.Components
	for i := Base; i <= Bonus; i++ {
		comps[i] = ComponentBand{Component: i, Market: figures(c, [...]market.Kind{market.Base, market.Equity, market.Bonus}[i], g)}
	}
	mix, ok := c.PayMix(need)
	if ok {
		// A band translated from a wider scope splits within that scope's markets
		// translated alike.
		factor := 1.0
		if r.geoApplied {
			factor = r.geo.Factor
		}
		var bounds [3]bounds
		for i := Base; i <= Bonus; i++ {
			bounds[i] = marketBounds(comps[i].Market, set.unit, factor)
		}
		lows, mids, highs, outside := splitWithin(total, mix, bounds, set.unit)
		for i := Base; i <= Bonus; i++ {
			comps[i].Range = Range{Min: lows[i], Mid: mids[i], Max: highs[i]}
		}
		if outside {
			b.addWarning("SPLIT_OUTSIDE_MARKET", "the total midpoint %s lies outside what the components' markets add up to, so at least one component sits outside its market p10-p90",
				usd(total.Mid))
		}
	} else {
		// No row reports its base: the band publishes its total only, no component
		// figures, rather than guess a split.
		b.addWarning("PAY_MIX_UNKNOWN", "no observation of the cohort reports its base, so the band gives its total only, not split into base, equity and bonus")
	}
	b.band.Total = TotalBand{Range: total, Market: figures(c, market.Total, g)}

	b.tokens()
	b.fund()
	b.shares()

	p := &b.band.Provenance
	// The band rests on the datasets that take part in its total.
	rests := c.Participating(market.Total, need)
	first, last := rests.Dates()
	datasets := rests.Datasets()
	*p = Provenance{
		Synthetic: slices.ContainsFunc(datasets, func(d market.DatasetInfo) bool { return d.Synthetic }), Count: rests.Rows(),
		SnapshotVersion: b.snap.Version, Datasets: datasets, DataStart: first, DataEnd: last, Effective: b.effective,
		Fallback: fb, Policy: policy.Name, PolicyRevision: policy.Revision, TargetPercentile: set.targetPercent,
		SpreadPercent: set.spreadPercent, AgingRatePercent: set.agingPercent, MinSample: set.minSample,
		MinCompanies: set.minCompanies, MaxCompanySharePercent: set.maxShare,
		GeoAdjustment: policy.geo, LevelSmoothing: policy.smoothing, PriceBooks: set.tokens.book.Layers(),
	}
	if r.geoApplied {
		p.Geo = &r.geo
	}
	p.Overrides = b.overrides
	b.warn()
	b.curve(lad, at, r)
	return nil
}

// curve reports the band's place on its level curve, and what smoothing and the
// differential did to it.
func (b *builder) curve(lad *ladder, at int, r *rung) {
	unit := b.set.unit
	cv := &b.band.Curve
	cv.RawMid, cv.Smoothed = roundTo(r.adjusted, unit), r.isSmoothed()
	mid := roundTo(r.smoothed, unit)
	if below := lad.below(at); below != nil {
		cv.Below = below.level.ID
		if m := roundTo(below.smoothed, unit); m > 0 {
			cv.ProgressionPercent, cv.HasProgression = round2((mid/m-1)*100), true
		}
	}
	if r.geoApplied {
		b.addWarning("GEO_ADJUSTED", "the band uses %s data scaled by %.4f, %s's differential to it over %d families and levels",
			catalog.Geo.Name(r.used.Scope, r.used.Place), r.geo.Factor, catalog.Geo.Name(b.band.Location.Scope, b.band.Location.ID()), r.geo.Pairs)
	}
	if cv.Smoothed {
		b.addWarning("LEVEL_CURVE_SMOOTHED", "the %s level curve inverts here: the cohort's midpoint %s is pooled with its neighbours' (weighted isotonic regression) into %s",
			b.band.Family.ID, usd(cv.RawMid), usd(mid))
	}
}

// needReason says which threshold sets the observations a band needs: the policy's
// minimum sample, the publishing threshold of its target percentile, or both.
func needReason(set settings) string {
	publish := stats.MinCount(set.q)
	switch {
	case set.minSample > publish:
		return fmt.Sprintf("the policy's minimum sample of %d", set.minSample)
	case set.minSample < publish:
		return fmt.Sprintf("the publishing threshold of p%g; the policy's minimum sample is %d", set.targetPercent, set.minSample)
	}
	return fmt.Sprintf("the policy's minimum sample, and the publishing threshold of p%g", set.targetPercent)
}

// tokens sets the token component before funding: a share of the base band, a fixed
// budget, or the market's target percentile of budgets greater than zero; the cap
// applies in every mode.
func (b *builder) tokens() {
	set := b.set.tokens
	t := &b.band.Components[Tokens]
	t.Component = Tokens
	t.Market = figures(b.cohort, market.Tokens, b.grading(len(b.fallback.Steps)-1))
	budget := &b.band.Tokens
	*budget = TokenBudget{Mode: set.mode, Funding: set.funding, UsageMix: set.mix}
	switch set.mode {
	case TokenModePercentOfBase:
		base := b.band.Components[Base].Range
		t.Range = Range{
			Min: roundTo(base.Min*set.percent, b.set.unit),
			Mid: roundTo(base.Mid*set.percent, b.set.unit),
			Max: roundTo(base.Max*set.percent, b.set.unit),
		}
	case TokenModeFixed:
		t.Range = Range{Min: set.fixed, Mid: set.fixed, Max: set.fixed}
	case TokenModeMarket:
		// Budgets are sparser than pay: the market figure walks its own fallback chain
		// and needs only the publishing threshold of the target percentile.
		need := stats.MinCount(b.set.q)
		steps, key, ok := b.chain(market.Tokens, need, b.tokenSteps[:0])
		if !ok {
			b.addWarning("TOKENS_WITHHELD", "the market token budget is withheld, so the band has no tokens: %s %s budgets above zero number %s; %d are needed",
				b.band.Family.ID, b.band.Level.ID, describeSteps(steps), need)
			break
		}
		// Budgets are not aged, so the default-rate cohorts serve at any aging rate.
		v, _ := b.snap.Lookup(key, b.snap.DefaultRate, b.effective)
		v = v.Weighted(b.set.maxShare, b.set.minCompanies)
		value, _ := v.Quantile(market.Tokens, b.set.q, need)
		x := roundTo(value, b.set.unit)
		t.Range = Range{Min: x, Mid: x, Max: x}
		t.Market = figures(v, market.Tokens, b.grading(len(steps)-1))
		budget.MarketScope = key.Scope
		if key.Scope != b.fallback.Used {
			b.addWarning("TOKENS_FALLBACK", "the market token budget comes from %s budgets (%s): token budgets are sparser than pay, so they widen on their own, needing %d",
				catalog.Geo.Name(key.Scope, key.Place), describeSteps(steps), need)
		}
	}
	for _, x := range []*float64{&t.Min, &t.Mid, &t.Max} {
		if *x > set.cap {
			*x = set.cap
			budget.Capped = true
		}
	}
	if budget.Capped {
		b.addWarning("TOKENS_CAPPED", "the token budget is capped at the policy's %s a year", usd(set.cap))
	}
}

// fund applies the funding: ADDITIVE adds the token band to the total; a carve-out
// takes it out of base or equity, clamped at that component's value, so the total is
// unchanged.
func (b *builder) fund() {
	comps := &b.band.Components
	t := &comps[Tokens].Range
	total := &b.band.Total.Range
	switch b.set.tokens.funding {
	case FundingAdditive:
		total.Min += t.Min
		total.Mid += t.Mid
		total.Max += t.Max
	case FundingCarveOutBase, FundingCarveOutEquity:
		from := Base
		if b.set.tokens.funding == FundingCarveOutEquity {
			from = Equity
		}
		src := &comps[from].Range
		clamped := false
		carve := func(tok, c *float64) {
			if *tok > *c {
				*tok, clamped = *c, true
			}
			*c -= *tok
		}
		carve(&t.Min, &src.Min)
		carve(&t.Mid, &src.Mid)
		carve(&t.Max, &src.Max)
		if clamped {
			b.addWarning("TOKENS_CLAMPED", "the token budget exceeds %s and was clamped to it, so the total stays unchanged", from)
		}
	}
	b.band.WithoutTokens = Range{Min: total.Min - t.Min, Mid: total.Mid - t.Mid, Max: total.Max - t.Max}
	budget := &b.band.Tokens
	budget.USDPerYear = t.Mid
	budget.USDPerMonth = math.Round(t.Mid / 12)
	prices := b.set.tokens.book.At(b.effective)
	budget.Models = make([]ModelTokens, 0, len(prices))
	for i := range prices {
		p := &prices[i]
		blended := tokens.Blended(p.Price, b.set.tokens.mix)
		exact, ok := tokens.Exact(t.Mid, blended)
		if !ok {
			b.addWarning("MODEL_SKIPPED", "%s has no price at this usage mix, so the budget cannot be counted in its tokens", p.Model)
			continue
		}
		// Both counts are rounded once, from the exact yearly figure.
		budget.Models = append(budget.Models, ModelTokens{Price: p, Blended: blended, PerYear: math.Round(exact), PerMonth: math.Round(exact / 12)})
	}
}

// shares sets each component's share of the total midpoint.
func (b *builder) shares() {
	mid := b.band.Total.Mid
	for i := range b.band.Components {
		b.band.Components[i].SharePercent = percentOf(b.band.Components[i].Mid, mid)
	}
	b.band.Tokens.SharePercent = b.band.Components[Tokens].SharePercent
}

// percentOf is part / whole in percent, rounded to two decimals; 0 for no whole.
func percentOf(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(part/whole*10000) / 100
}

func (b *builder) warn() {
	p := &b.band.Provenance
	if p.Synthetic {
		b.addWarning("SYNTHETIC_DATA", "this band is built on synthetic demo data (%s), not on real market data", datasetNames(p.Datasets))
	}
	if b.band.Location.CountryOnly {
		b.addWarning("LOCATION_COUNTRY_ONLY", "%q has no metro in paymix's geography; the band covers all of %s%s",
			b.band.Location.Query, b.countryName(), b.nearMetros())
	}
	if q := strings.TrimSpace(b.band.Location.Query); b.typed && q == b.band.Location.Country && catalog.Geo.IsStateCode(q) {
		b.addWarning("LOCATION_CODE_AMBIGUOUS", "%q is read as the country code of %s; it is also a US state's postal code: for a place in that state give a city with it (\"City, %s\")",
			q, b.countryName(), q)
	}
	if fb := p.Fallback; fb.Used != fb.Requested {
		b.addWarning("FALLBACK", "the %s cohort is too thin (%s); the band uses %s data",
			fb.Requested, describeSteps(fb.Steps[:len(fb.Steps)-1]), catalog.Geo.Name(fb.Used, fb.UsedPlace))
	}
	if b.effective.Before(p.DataEnd) {
		b.addWarning("EFFECTIVE_DATE_BEFORE_DATA", "the effective date %s is before the newest observation (%s): newer data was aged backwards",
			b.effective.Format(time.DateOnly), p.DataEnd.Format(time.DateOnly))
	}
	if p.DataEnd.Before(b.effective.AddDate(0, -StaleAfterMonths, 0)) {
		b.addWarning("STALE_DATA", "the newest observation is from %s, more than %d months before the effective date %s",
			p.DataEnd.Format(time.DateOnly), StaleAfterMonths, b.effective.Format(time.DateOnly))
	}
	for _, c := range b.band.Components {
		if m := c.Market; m.Count > 0 && !m.P10.Published {
			b.addWarning("PERCENTILE_WITHHELD", "market %s percentiles below the publishing threshold are withheld: %d observations (p10 and p90 need %d, p25-p75 %d)",
				c.Component, m.Count, stats.MinTails, stats.MinCentral)
		}
	}
}

func (b *builder) addWarning(code, format string, args ...any) {
	b.band.Warnings = append(b.band.Warnings, Warning{Code: code, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) countryName() string {
	return catalog.Geo.Name(catalog.ScopeCountry, b.band.Location.Country)
}

// describeSteps is "12 in metro seattle, 40 in zone us-tier-1" (built without fmt:
// every fallback band says it).
func describeSteps(steps []Step) string {
	var out []byte
	for i, st := range steps {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = strconv.AppendInt(out, int64(st.Count), 10)
		out = append(append(append(append(out, " in "...), st.Scope.String()...), ' '), st.Place...)
		if st.Passed == StepTooFewCompanies {
			out = append(strconv.AppendInt(append(out, " (from "...), int64(st.Companies), 10), " companies)"...)
		}
	}
	return string(out)
}

func datasetNames(ds []market.DatasetInfo) string {
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.ID
	}
	return strings.Join(names, ", ")
}

// figures are the published market statistics of one series of a view, each withheld
// below its publishing threshold.
func figures(v market.View, k market.Kind, g grading) Market {
	// Counts, companies and shares are of the datasets the figures rest on.
	v = v.Participating(k, stats.MinCentral)
	m := Market{Count: v.Count(k), Companies: v.Companies(k)}
	figure := func(value float64, ok bool) Figure {
		return Figure{Value: math.Round(value), Published: ok}
	}
	at := func(q float64) Figure { return figure(v.Quantile(k, q, stats.MinCount(q))) }
	m.P10, m.P25, m.P50, m.P75, m.P90 = at(0.10), at(0.25), at(0.50), at(0.75), at(0.90)
	m.Mean = figure(v.Mean(k, stats.MinCentral))
	rowShare := v.LargestRowShare(k)
	m.LargestRowPercent = round2(rowShare * 100)
	m.LargestWeightPercent = round2(v.LargestWeightShare(k, stats.MinCentral) * 100)
	if m.Count > 0 {
		spread := math.Inf(1)
		p25, ok25 := v.Quantile(k, 0.25, stats.MinCentral)
		p50, ok50 := v.Quantile(k, 0.50, stats.MinCentral)
		p75, ok75 := v.Quantile(k, 0.75, stats.MinCentral)
		if ok25 && ok50 && ok75 && p50 > 0 {
			spread = (p75 - p25) / p50
		}
		age, _ := v.MedianAge(k, g.effective)
		m.Confidence = grade(m.Count, m.Companies, rowShare, spread, age, g)
	}
	return m
}

// largestRemainder splits total (a multiple of unit) by shares summing to 1 so that
// the parts are multiples of unit and sum exactly to total (the largest-remainder, or
// Hamilton, method): each part gets the floor of its exact quota, and the units left
// over go one each to the parts with the largest remainders, ties to the earlier part.
func largestRemainder(total float64, shares [3]float64, unit float64) [3]float64 {
	var parts [3]float64
	largestRemainderInto(parts[:], total, shares[:], unit)
	return parts
}

// largestRemainderN is largestRemainder over five shares (an offer's components).
func largestRemainderN(total float64, shares []float64, unit float64) [5]float64 {
	var parts [5]float64
	largestRemainderInto(parts[:len(shares)], total, shares, unit)
	return parts
}

// largestRemainderInto splits total into len(shares) multiples of unit in proportion
// to shares (summing to 1): each part is floored, and the units left go one each to
// the parts with the largest remainders, so the parts sum exactly to total.
func largestRemainderInto(parts []float64, total float64, shares []float64, unit float64) {
	units := math.Round(total / unit)
	left := units
	for i, s := range shares {
		parts[i] = math.Floor(units * s)
		left -= parts[i]
	}
	given := uint64(0) // parts that got a unit of the remainder
	for ; left > 0; left-- {
		best, bestRem := -1, -1.0
		for i, s := range shares {
			if rem := units*s - math.Floor(units*s); given&(1<<i) == 0 && rem > bestRem {
				best, bestRem = i, rem
			}
		}
		parts[best]++
		given |= 1 << best
	}
	for i := range parts {
		parts[i] *= unit
	}
}

// roundTo rounds v to the nearest multiple of unit.
func roundTo(v, unit float64) float64 { return math.Round(v/unit) * unit }
