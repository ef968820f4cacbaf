package server

import (
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/tokens"
)

// parseDate reads a YYYY-MM-DD field; empty gives the zero time. The wire rules
// check the pattern and the range (2000-2100); this catches dates that do not exist.
func parseDate(field, s string) (time.Time, *planner.Violation) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, &planner.Violation{Field: field, Description: "must be a date YYYY-MM-DD, not " + s}
	}
	return t, nil
}

// bandRequest converts a band request; the inline policy, if any, is returned for
// the state to settle (a stored or default one is the state's to find).
func bandRequest(r *pb.RecommendBandRequest) (planner.Request, *planner.Policy, error) {
	req := planner.Request{
		Family:           r.GetJobFamily(),
		Level:            r.GetLevel(),
		Location:         r.GetLocation(),
		TargetPercentile: r.TargetPercentile,
	}
	var vs []planner.Violation
	d, v := parseDate("effective_date", r.GetEffectiveDate())
	if v != nil {
		vs = append(vs, *v)
	}
	req.EffectiveDate = d
	if r.GetTokenPolicy() != nil {
		tp, tvs := tokenPolicy(r.GetTokenPolicy(), "token_policy")
		req.Tokens, vs = tp, append(vs, tvs...)
	}
	var inline *planner.Policy
	if p := r.GetPolicy(); p != nil {
		pol, pvs := policyFromProto(p)
		inline, vs = &pol, append(vs, pvs...)
	}
	if len(vs) > 0 {
		return req, nil, planner.Invalid(vs...)
	}
	return req, inline, nil
}

// policyFromProto converts a policy's content; violations name fields under "policy".
func policyFromProto(p *pb.Policy) (planner.Policy, []planner.Violation) {
	out := planner.Policy{
		TargetPercentile: p.TargetPercentile,
		SpreadPercent:    p.RangeSpreadPercent,
		SpreadByLevel:    p.GetRangeSpreadPercentByLevel(),
		AgingRatePercent: p.AgingRatePercent,
		RoundingUSD:      p.RoundingUsd,
	}
	if p.MinSampleSize != nil {
		n := int(p.GetMinSampleSize())
		out.MinSample = &n
	}
	if p.MinCompanies != nil {
		n := int(p.GetMinCompanies())
		out.MinCompanies = &n
	}
	out.MaxCompanySharePercent = p.MaxCompanySharePercent
	out.MaxCompanySharePercentByLevel = p.GetMaxCompanySharePercentByLevel()
	out.GeoAdjustment, out.LevelSmoothing = p.GeoAdjustment, planner.Smoothing(p.GetLevelSmoothing())
	if m := p.GetMinCompaniesByLevel(); len(m) > 0 {
		out.MinCompaniesByLevel = make(map[string]float64, len(m))
		for k, v := range m {
			out.MinCompaniesByLevel[k] = float64(v)
		}
	}
	var vs []planner.Violation
	if p.GetTokenPolicy() != nil {
		out.Tokens, vs = tokenPolicy(p.GetTokenPolicy(), "policy.token_policy")
	}
	return out, vs
}

// policyProto is the wire form of a policy's content (the presets are planner values).
func policyProto(p planner.Policy) *pb.Policy {
	out := &pb.Policy{
		TargetPercentile: p.TargetPercentile, RangeSpreadPercent: p.SpreadPercent, RangeSpreadPercentByLevel: p.SpreadByLevel,
		AgingRatePercent: p.AgingRatePercent, RoundingUsd: p.RoundingUSD,
	}
	if p.MinSample != nil {
		n := int32(*p.MinSample)
		out.MinSampleSize = &n
	}
	if p.MinCompanies != nil {
		n := int32(*p.MinCompanies)
		out.MinCompanies = &n
	}
	out.MaxCompanySharePercent = p.MaxCompanySharePercent
	out.MaxCompanySharePercentByLevel = p.MaxCompanySharePercentByLevel
	out.GeoAdjustment, out.LevelSmoothing = p.GeoAdjustment, pb.LevelSmoothing(p.LevelSmoothing)
	if len(p.MinCompaniesByLevel) > 0 {
		out.MinCompaniesByLevel = make(map[string]int32, len(p.MinCompaniesByLevel))
		for k, v := range p.MinCompaniesByLevel {
			out.MinCompaniesByLevel[k] = int32(v)
		}
	}
	if t := p.Tokens; t != nil {
		out.TokenPolicy = &pb.TokenPolicy{Mode: pb.TokenMode(t.Mode), PercentOfBase: t.PercentOfBase, CapUsd: t.CapUSD,
			FixedUsd: t.FixedUSD, FixedUsdByLevel: t.FixedByLevel, Funding: pb.Funding(t.Funding)}
		if t.UsageMix != (tokens.UsageMix{}) {
			out.TokenPolicy.UsageMix = usageMixProto(t.UsageMix)
		}
		for _, price := range t.Prices {
			out.TokenPolicy.Prices = append(out.TokenPolicy.Prices, priceProto(price))
		}
	}
	return out
}

func tokenPolicy(t *pb.TokenPolicy, field string) (*planner.TokenPolicy, []planner.Violation) {
	tp := &planner.TokenPolicy{
		Mode:          planner.TokenMode(t.GetMode()),
		PercentOfBase: t.PercentOfBase,
		CapUSD:        t.CapUsd,
		FixedUSD:      t.FixedUsd,
		FixedByLevel:  t.GetFixedUsdByLevel(),
		Funding:       planner.Funding(t.GetFunding()),
		UsageMix:      usageMix(t.GetUsageMix()),
	}
	var vs []planner.Violation
	tp.Prices, vs = prices(t.GetPrices(), field+".prices")
	return tp, vs
}

// prices converts a list of wire prices; field names the list in violations.
func prices(in []*pb.ModelPrice, field string) ([]tokens.Price, []planner.Violation) {
	var out []tokens.Price
	var vs []planner.Violation
	for _, p := range in {
		eff, v := parseDate(field+".effective_date", p.GetEffectiveDate())
		if v != nil {
			vs = append(vs, *v)
		}
		price := tokens.Price{
			Model: p.GetModel(), Vendor: p.GetVendor(), Family: p.GetFamily(),
			Input: p.GetInputUsdPerMillion(), CachedInput: p.GetCachedInputUsdPerMillion(), Output: p.GetOutputUsdPerMillion(),
			Effective: eff, Source: p.GetSource(), Batch: p.GetBatchMultiplier(), Priority: p.GetPriorityMultiplier(),
		}
		if t := p.GetLongContext(); t != nil {
			price.LongContext = &tokens.Tier{ThresholdInputTokens: t.GetThresholdInputTokens(), Input: t.GetInputUsdPerMillion(),
				CachedInput: t.GetCachedInputUsdPerMillion(), Output: t.GetOutputUsdPerMillion()}
		}
		out = append(out, price)
	}
	return out, vs
}

func usageMix(m *pb.UsageMix) tokens.UsageMix {
	return tokens.UsageMix{InputPercent: m.GetInputPercent(), CachedInputPercent: m.GetCachedInputPercent(), OutputPercent: m.GetOutputPercent(),
		LongContextPercent: m.GetLongContextPercent(), BatchPercent: m.GetBatchPercent(), PriorityPercent: m.GetPriorityPercent()}
}

func usageMixProto(m tokens.UsageMix) *pb.UsageMix {
	return &pb.UsageMix{InputPercent: m.InputPercent, CachedInputPercent: m.CachedInputPercent, OutputPercent: m.OutputPercent,
		LongContextPercent: m.LongContextPercent, BatchPercent: m.BatchPercent, PriorityPercent: m.PriorityPercent}
}

func priceProto(p tokens.Price) *pb.ModelPrice {
	out := &pb.ModelPrice{
		Model: p.Model, Vendor: p.Vendor, Family: p.Family,
		InputUsdPerMillion: p.Input, CachedInputUsdPerMillion: p.CachedInput, OutputUsdPerMillion: p.Output,
		EffectiveDate: date(p.Effective), Source: p.Source, BatchMultiplier: p.Batch, PriorityMultiplier: p.Priority,
	}
	if t := p.LongContext; t != nil {
		out.LongContext = &pb.LongContextTier{ThresholdInputTokens: t.ThresholdInputTokens, InputUsdPerMillion: t.Input,
			CachedInputUsdPerMillion: t.CachedInput, OutputUsdPerMillion: t.Output}
	}
	return out
}

// date is YYYY-MM-DD, or "" for the zero time (written by hand: a band carries a
// few dozen dates, its models' price dates among them, and time.Format is the costlier
// way to write them). The strings of recent days are kept, since they repeat.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Format(time.DateOnly)
	}
	key := y*372 + int(m)*31 + d
	slot := &dateStrings[key%len(dateStrings)]
	if e := slot.Load(); e != nil && e.key == key {
		return e.s
	}
	b := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + int(m)/10), byte('0' + int(m)%10), '-', byte('0' + d/10), byte('0' + d%10)}
	s := string(b[:])
	slot.Store(&dateString{key, s})
	return s
}

type dateString struct {
	key int
	s   string
}

// dateStrings is a direct-mapped cache of date's answers: a slot holds the last day
// written that maps to it.
var dateStrings [512]atomic.Pointer[dateString]

// The planner's enums count from the same zero ("default") as the wire's, in the
// same order, so conversion is a cast; components and scopes differ and are mapped.
var componentProto = [...]pb.Component{
	planner.Base: pb.Component_COMPONENT_BASE, planner.Equity: pb.Component_COMPONENT_EQUITY,
	planner.Bonus: pb.Component_COMPONENT_BONUS, planner.Tokens: pb.Component_COMPONENT_TOKENS,
	planner.SignOn: pb.Component_COMPONENT_SIGN_ON,
}

func scopeProto(s catalog.Scope) pb.GeoScope {
	switch s {
	case catalog.ScopeMetro:
		return pb.GeoScope_GEO_SCOPE_METRO
	case catalog.ScopeZone:
		return pb.GeoScope_GEO_SCOPE_ZONE
	case catalog.ScopeCountry:
		return pb.GeoScope_GEO_SCOPE_COUNTRY
	}
	return pb.GeoScope_GEO_SCOPE_UNSPECIFIED
}

func figure(f planner.Figure) *float64 {
	if !f.Published {
		return nil
	}
	return proto.Float64(f.Value)
}

// bandProto is a band on the wire; stateVersion is the published state's that answered.
func bandProto(b *planner.Band, stateVersion int64) *pb.Band {
	// One allocation each for the band's messages and its published figures: a band is
	// the hot path's answer, and small allocations cost more than their bytes.
	var a struct {
		band    pb.Band
		cohort  pb.Cohort
		total   pb.TotalBand
		without pb.Range
		curve   pb.LevelCurve
		market  pb.MarketStats
		comps   [4]pb.ComponentBand
		ptrs    [4]*pb.ComponentBand
		figs    [6*6 + 1]float64
	}
	figs := a.figs[:0]
	fig := func(f planner.Figure) *float64 {
		if !f.Published {
			return nil
		}
		figs = append(figs, f.Value)
		return &figs[len(figs)-1]
	}
	out := &a.band
	a.cohort = pb.Cohort{
		JobFamily: b.Family.ID, JobFamilyName: b.Family.Name,
		Level: b.Level.ID, LevelName: b.Level.Name,
		Location: locationProto(b.Location),
	}
	m := b.Total.Market
	a.total = pb.TotalBand{
		Min: b.Total.Min, Mid: b.Total.Mid, Max: b.Total.Max,
		P10: fig(m.P10), P25: fig(m.P25), P50: fig(m.P50), P75: fig(m.P75), P90: fig(m.P90),
		Count: int32(m.Count), Mean: fig(m.Mean), Companies: int32(m.Companies), LargestCompanyRowPercent: m.LargestRowPercent,
		LargestCompanyWeightPercent: m.LargestWeightPercent, Confidence: pb.Confidence(m.Confidence),
	}
	a.market = pb.MarketStats{P10: fig(m.P10), P25: fig(m.P25), P50: fig(m.P50), P75: fig(m.P75), P90: fig(m.P90),
		Count: int32(m.Count), Mean: fig(m.Mean), Companies: int32(m.Companies), LargestCompanyRowPercent: m.LargestRowPercent,
		LargestCompanyWeightPercent: m.LargestWeightPercent, Confidence: pb.Confidence(m.Confidence)}
	a.without = pb.Range{Min: b.WithoutTokens.Min, Mid: b.WithoutTokens.Mid, Max: b.WithoutTokens.Max}
	*out = pb.Band{Currency: b.Currency, Cohort: &a.cohort, Total: &a.total, TotalWithoutTokens: &a.without,
		Tokens: tokenBudgetProto(b.Tokens), Provenance: provenanceProto(b.Provenance, stateVersion), LevelCurve: &a.curve, TotalMarket: &a.market}
	a.curve = pb.LevelCurve{RawMidpoint: b.Curve.RawMid, Smoothed: b.Curve.Smoothed, ProgressionFromLevel: b.Curve.Below}
	if b.Curve.HasProgression {
		a.curve.MidpointProgressionPercent = fig(planner.Figure{Value: b.Curve.ProgressionPercent, Published: true})
	}
	for i := range b.Components {
		c := &b.Components[i]
		m := c.Market
		a.comps[i] = pb.ComponentBand{
			Component: componentProto[c.Component], Min: c.Min, Mid: c.Mid, Max: c.Max,
			P10: fig(m.P10), P25: fig(m.P25), P50: fig(m.P50), P75: fig(m.P75), P90: fig(m.P90),
			Count: int32(m.Count), Mean: fig(m.Mean), SharePercent: c.SharePercent, Companies: int32(m.Companies),
			LargestCompanyRowPercent: m.LargestRowPercent, LargestCompanyWeightPercent: m.LargestWeightPercent,
			Confidence: pb.Confidence(m.Confidence),
		}
		a.ptrs[i] = &a.comps[i]
	}
	out.Components = a.ptrs[:]
	if len(b.Warnings) > 0 {
		ws := make([]pb.Warning, len(b.Warnings))
		out.Warnings = make([]*pb.Warning, len(b.Warnings))
		for i, w := range b.Warnings {
			ws[i] = pb.Warning{Code: w.Code, Message: w.Message}
			out.Warnings[i] = &ws[i]
		}
	}
	return out
}

func locationProto(l catalog.Location) *pb.Location {
	return &pb.Location{
		Query: l.Query, Scope: scopeProto(l.Scope),
		MetroId: l.Metro, MetroName: catalog.Geo.Name(catalog.ScopeMetro, l.Metro),
		ZoneId: l.Zone, ZoneName: catalog.Geo.Name(catalog.ScopeZone, l.Zone),
		CountryCode: l.Country, CountryName: catalog.Geo.Name(catalog.ScopeCountry, l.Country),
	}
}

func tokenBudgetProto(t planner.TokenBudget) *pb.TokenBudget {
	out := &pb.TokenBudget{
		Mode: pb.TokenMode(t.Mode), Funding: pb.Funding(t.Funding),
		UsdPerYear: t.USDPerYear, UsdPerMonth: t.USDPerMonth, Capped: t.Capped,
		UsageMix: usageMixProto(t.UsageMix), ShareOfTotalPercent: t.SharePercent,
	}
	if t.MarketScope != 0 {
		scope := scopeProto(t.MarketScope)
		out.MarketScope = &scope
	}
	models := make([]pb.ModelTokens, len(t.Models))
	out.Models = make([]*pb.ModelTokens, len(t.Models))
	for i, m := range t.Models {
		models[i] = pb.ModelTokens{
			Model: m.Price.Model, Vendor: m.Price.Vendor, Family: m.Price.Family,
			BlendedUsdPerMillion: m.Blended, TokensPerYear: m.PerYear, TokensPerMonth: m.PerMonth,
			PriceDate: date(m.Price.Effective), PriceBook: m.Price.Layer, DiscountPercent: m.Price.DiscountPercent,
		}
		out.Models[i] = &models[i]
	}
	return out
}

func provenanceProto(p planner.Provenance, stateVersion int64) *pb.Provenance {
	out := &pb.Provenance{
		Synthetic: p.Synthetic, Count: int32(p.Count), SnapshotVersion: p.SnapshotVersion, StateVersion: stateVersion,
		DataStartDate: date(p.DataStart), DataEndDate: date(p.DataEnd), EffectiveDate: date(p.Effective),
		Fallback: &pb.Fallback{
			RequestedScope: scopeProto(p.Fallback.Requested), UsedScope: scopeProto(p.Fallback.Used),
			UsedLocationId: p.Fallback.UsedPlace,
		},
		Policy: p.Policy, PolicyRevision: int32(p.PolicyRevision), TargetPercentile: p.TargetPercentile, RangeSpreadPercent: p.SpreadPercent,
		AgingRatePercent: p.AgingRatePercent, MinSampleSize: int32(p.MinSample),
		MinCompanies: int32(p.MinCompanies), MaxCompanySharePercent: p.MaxCompanySharePercent,
		GeoAdjustment: p.GeoAdjustment, LevelSmoothing: pb.LevelSmoothing(p.LevelSmoothing),
	}
	for _, o := range p.Overrides {
		out.Overrides = append(out.Overrides, wirePath(o))
	}
	for _, l := range p.PriceBooks {
		out.PriceBooks = append(out.PriceBooks, &pb.PriceBookRef{Name: l.Name, Date: date(l.Date)})
	}
	if p.Geo != nil {
		out.Differential = differentialProto(*p.Geo)
	}
	for _, s := range p.Fallback.Steps {
		out.Fallback.Steps = append(out.Fallback.Steps, &pb.FallbackStep{Scope: scopeProto(s.Scope), LocationId: s.Place, Count: int32(s.Count),
			Companies: int32(s.Companies), PassedOver: passedOverProto[s.Passed]})
	}
	for _, d := range p.Datasets {
		out.Datasets = append(out.Datasets, datasetRefProto(d))
	}
	return out
}

func datasetRefProto(d market.DatasetInfo) *pb.DatasetRef {
	return &pb.DatasetRef{Name: "datasets/" + d.ID, DisplayName: d.Name, Synthetic: d.Synthetic, Rows: int32(d.Rows), WeightPercent: d.WeightPercent}
}

var passedOverProto = map[string]pb.PassedOver{
	planner.StepTooFewRows:      pb.PassedOver_PASSED_OVER_TOO_FEW_ROWS,
	planner.StepTooFewCompanies: pb.PassedOver_PASSED_OVER_TOO_FEW_COMPANIES,
}

func differentialProto(d planner.Differential) *pb.Differential {
	out := &pb.Differential{Scope: scopeProto(d.Scope), LocationId: d.Place, LocationName: catalog.Geo.Name(d.Scope, d.Place),
		Pairs: int32(d.Pairs), Weight: d.Weight}
	if d.Pairs > 0 {
		out.Factor = &d.Factor
	}
	return out
}
