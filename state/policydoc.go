package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/tokens"
)

// A stored policy's content is a versioned document of the domain's own, not the
// wire's JSON: the API may rename or add fields without touching what is stored.
//
//	version 1: policyDoc below.
//	no version: the first release's documents, the wire's protojson of paymix.v1.Policy
//	            (read by legacyPolicy, never written).
const policyDocVersion = 1

type policyDoc struct {
	Version          int                `json:"version"`
	TargetPercentile *float64           `json:"targetPercentile,omitempty"`
	SpreadPercent    *float64           `json:"spreadPercent,omitempty"`
	SpreadByLevel    map[string]float64 `json:"spreadByLevel,omitempty"`
	MinSample        *int               `json:"minSample,omitempty"`
	// Company rules (added within version 1: absent in older documents means default).
	MinCompanies                  *int               `json:"minCompanies,omitempty"`
	MinCompaniesByLevel           map[string]float64 `json:"minCompaniesByLevel,omitempty"`
	MaxCompanySharePercent        *float64           `json:"maxCompanySharePercent,omitempty"`
	MaxCompanySharePercentByLevel map[string]float64 `json:"maxCompanySharePercentByLevel,omitempty"`
	AgingRatePercent              *float64           `json:"agingRatePercent,omitempty"`
	RoundingUSD                   *float64           `json:"roundingUsd,omitempty"`
	Tokens                        *tokenDoc          `json:"tokens,omitempty"`
	// Curve settings (added within version 1, likewise).
	GeoAdjustment  *bool  `json:"geoAdjustment,omitempty"`
	LevelSmoothing string `json:"levelSmoothing,omitempty"`
}

type tokenDoc struct {
	Mode          string             `json:"mode,omitempty"`
	PercentOfBase *float64           `json:"percentOfBase,omitempty"`
	CapUSD        *float64           `json:"capUsd,omitempty"`
	FixedUSD      *float64           `json:"fixedUsd,omitempty"`
	FixedByLevel  map[string]float64 `json:"fixedByLevel,omitempty"`
	Funding       string             `json:"funding,omitempty"`
	UsageMix      *mixDoc            `json:"usageMix,omitempty"`
	Prices        []priceDoc         `json:"prices,omitempty"`
}

type mixDoc struct {
	Input       float64 `json:"input"`
	CachedInput float64 `json:"cachedInput"`
	Output      float64 `json:"output"`
	// Spend shares (added within version 1: absent means list prices throughout).
	LongContext float64 `json:"longContext,omitempty"`
	Batch       float64 `json:"batch,omitempty"`
	Priority    float64 `json:"priority,omitempty"`
}

type priceDoc struct {
	Model       string  `json:"model"`
	Vendor      string  `json:"vendor,omitempty"`
	Family      string  `json:"family,omitempty"`
	Input       float64 `json:"input"`
	CachedInput float64 `json:"cachedInput"`
	Output      float64 `json:"output"`
	Effective   string  `json:"effective"`
	Source      string  `json:"source,omitempty"`
	// Tiers and multipliers (added within version 1: absent means none).
	LongContext *tierDoc `json:"longContext,omitempty"`
	Batch       float64  `json:"batch,omitempty"`
	Priority    float64  `json:"priority,omitempty"`
}

type tierDoc struct {
	Threshold   int64   `json:"thresholdInputTokens"`
	Input       float64 `json:"input"`
	CachedInput float64 `json:"cachedInput"`
	Output      float64 `json:"output"`
}

func priceToDoc(pr tokens.Price) priceDoc {
	d := priceDoc{Model: pr.Model, Vendor: pr.Vendor, Family: pr.Family, Input: pr.Input, CachedInput: pr.CachedInput,
		Output: pr.Output, Effective: day(pr.Effective), Source: pr.Source, Batch: pr.Batch, Priority: pr.Priority}
	if t := pr.LongContext; t != nil {
		d.LongContext = &tierDoc{Threshold: t.ThresholdInputTokens, Input: t.Input, CachedInput: t.CachedInput, Output: t.Output}
	}
	return d
}

func priceFromDoc(d priceDoc) (tokens.Price, error) {
	eff, err := parseDay(d.Effective)
	if err != nil {
		return tokens.Price{}, err
	}
	pr := tokens.Price{Model: d.Model, Vendor: d.Vendor, Family: d.Family, Input: d.Input, CachedInput: d.CachedInput,
		Output: d.Output, Effective: eff, Source: d.Source, Batch: d.Batch, Priority: d.Priority}
	if t := d.LongContext; t != nil {
		pr.LongContext = &tokens.Tier{ThresholdInputTokens: t.Threshold, Input: t.Input, CachedInput: t.CachedInput, Output: t.Output}
	}
	return pr, nil
}

func mixToDoc(m tokens.UsageMix) *mixDoc {
	if m == (tokens.UsageMix{}) {
		return nil
	}
	return &mixDoc{Input: m.InputPercent, CachedInput: m.CachedInputPercent, Output: m.OutputPercent,
		LongContext: m.LongContextPercent, Batch: m.BatchPercent, Priority: m.PriorityPercent}
}

func mixFromDoc(m *mixDoc) tokens.UsageMix {
	if m == nil {
		return tokens.UsageMix{}
	}
	return tokens.UsageMix{InputPercent: m.Input, CachedInputPercent: m.CachedInput, OutputPercent: m.Output,
		LongContextPercent: m.LongContext, BatchPercent: m.Batch, PriorityPercent: m.Priority}
}

// Stable names of the enums in documents; the zero value is the default and is left out.
var (
	modeNames      = map[planner.TokenMode]string{planner.TokenModeNone: "none", planner.TokenModePercentOfBase: "percent-of-base", planner.TokenModeFixed: "fixed", planner.TokenModeMarket: "market"}
	fundingNames   = map[planner.Funding]string{planner.FundingAdditive: "additive", planner.FundingCarveOutBase: "carve-out-base", planner.FundingCarveOutEquity: "carve-out-equity"}
	smoothingNames = map[planner.Smoothing]string{planner.SmoothingIsotonic: "isotonic", planner.SmoothingNone: "none"}
)

func encodePolicy(p planner.Policy) (string, error) {
	d := policyDoc{Version: policyDocVersion, TargetPercentile: p.TargetPercentile, SpreadPercent: p.SpreadPercent,
		SpreadByLevel: p.SpreadByLevel, MinSample: p.MinSample, AgingRatePercent: p.AgingRatePercent, RoundingUSD: p.RoundingUSD,
		MinCompanies: p.MinCompanies, MinCompaniesByLevel: p.MinCompaniesByLevel, MaxCompanySharePercent: p.MaxCompanySharePercent,
		MaxCompanySharePercentByLevel: p.MaxCompanySharePercentByLevel,
		GeoAdjustment:                 p.GeoAdjustment, LevelSmoothing: smoothingNames[p.LevelSmoothing]}
	if t := p.Tokens; t != nil {
		td := &tokenDoc{Mode: modeNames[t.Mode], PercentOfBase: t.PercentOfBase, CapUSD: t.CapUSD, FixedUSD: t.FixedUSD,
			FixedByLevel: t.FixedByLevel, Funding: fundingNames[t.Funding]}
		td.UsageMix = mixToDoc(t.UsageMix)
		for _, pr := range t.Prices {
			td.Prices = append(td.Prices, priceToDoc(pr))
		}
		d.Tokens = td
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// decodePolicy reads a stored document of any version this release knows; a newer
// version is an error, so that a downgraded server never misreads a policy.
func decodePolicy(spec string) (planner.Policy, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal([]byte(spec), &head); err != nil {
		return planner.Policy{}, err
	}
	switch {
	case head.Version == nil:
		return legacyPolicy(spec)
	case *head.Version != policyDocVersion:
		return planner.Policy{}, fmt.Errorf("document version %d is unknown to this paymixd (it reads version %d and older)", *head.Version, policyDocVersion)
	}
	var d policyDoc
	if err := strictJSON(spec, &d); err != nil {
		return planner.Policy{}, err
	}
	p := planner.Policy{TargetPercentile: d.TargetPercentile, SpreadPercent: d.SpreadPercent, SpreadByLevel: d.SpreadByLevel,
		MinSample: d.MinSample, AgingRatePercent: d.AgingRatePercent, RoundingUSD: d.RoundingUSD,
		MinCompanies: d.MinCompanies, MinCompaniesByLevel: d.MinCompaniesByLevel, MaxCompanySharePercent: d.MaxCompanySharePercent,
		MaxCompanySharePercentByLevel: d.MaxCompanySharePercentByLevel, GeoAdjustment: d.GeoAdjustment}
	var err error
	if p.LevelSmoothing, err = enumByName(smoothingNames, d.LevelSmoothing); err != nil {
		return p, fmt.Errorf("levelSmoothing: %w", err)
	}
	if td := d.Tokens; td != nil {
		t := &planner.TokenPolicy{PercentOfBase: td.PercentOfBase, CapUSD: td.CapUSD, FixedUSD: td.FixedUSD, FixedByLevel: td.FixedByLevel}
		var err error
		if t.Mode, err = enumByName(modeNames, td.Mode); err != nil {
			return p, fmt.Errorf("tokens.mode: %w", err)
		}
		if t.Funding, err = enumByName(fundingNames, td.Funding); err != nil {
			return p, fmt.Errorf("tokens.funding: %w", err)
		}
		t.UsageMix = mixFromDoc(td.UsageMix)
		for _, d := range td.Prices {
			pr, err := priceFromDoc(d)
			if err != nil {
				return p, fmt.Errorf("tokens.prices: %w", err)
			}
			t.Prices = append(t.Prices, pr)
		}
		p.Tokens = t
	}
	return p, nil
}

func enumByName[E comparable](names map[E]string, name string) (E, error) {
	var zero E
	if name == "" {
		return zero, nil
	}
	for e, n := range names {
		if n == name {
			return e, nil
		}
	}
	return zero, fmt.Errorf("unknown value %q", name)
}

// legacyPolicy reads the first release's documents: protojson of paymix.v1.Policy as
// that release wrote it (lowerCamelCase names, enums by name or number).
func legacyPolicy(spec string) (planner.Policy, error) {
	var d struct {
		TargetPercentile          *float64           `json:"targetPercentile"`
		RangeSpreadPercent        *float64           `json:"rangeSpreadPercent"`
		RangeSpreadPercentByLevel map[string]float64 `json:"rangeSpreadPercentByLevel"`
		MinSampleSize             *int               `json:"minSampleSize"`
		AgingRatePercent          *float64           `json:"agingRatePercent"`
		RoundingUsd               *float64           `json:"roundingUsd"`
		TokenPolicy               *struct {
			Mode            json.RawMessage    `json:"mode"`
			PercentOfBase   *float64           `json:"percentOfBase"`
			CapUsd          *float64           `json:"capUsd"`
			FixedUsd        *float64           `json:"fixedUsd"`
			FixedUsdByLevel map[string]float64 `json:"fixedUsdByLevel"`
			Funding         json.RawMessage    `json:"funding"`
			UsageMix        *struct {
				InputPercent       float64 `json:"inputPercent"`
				CachedInputPercent float64 `json:"cachedInputPercent"`
				OutputPercent      float64 `json:"outputPercent"`
			} `json:"usageMix"`
			Prices []struct {
				Model                    string  `json:"model"`
				Vendor                   string  `json:"vendor"`
				Family                   string  `json:"family"`
				InputUsdPerMillion       float64 `json:"inputUsdPerMillion"`
				CachedInputUsdPerMillion float64 `json:"cachedInputUsdPerMillion"`
				OutputUsdPerMillion      float64 `json:"outputUsdPerMillion"`
				EffectiveDate            string  `json:"effectiveDate"`
				Source                   string  `json:"source"`
			} `json:"prices"`
		} `json:"tokenPolicy"`
	}
	if err := strictJSON(spec, &d); err != nil {
		return planner.Policy{}, err
	}
	p := planner.Policy{TargetPercentile: d.TargetPercentile, SpreadPercent: d.RangeSpreadPercent, SpreadByLevel: d.RangeSpreadPercentByLevel,
		MinSample: d.MinSampleSize, AgingRatePercent: d.AgingRatePercent, RoundingUSD: d.RoundingUsd}
	if lt := d.TokenPolicy; lt != nil {
		t := &planner.TokenPolicy{PercentOfBase: lt.PercentOfBase, CapUSD: lt.CapUsd, FixedUSD: lt.FixedUsd, FixedByLevel: lt.FixedUsdByLevel}
		mode, err := legacyEnum(lt.Mode, "TOKEN_MODE_", []string{"UNSPECIFIED", "NONE", "PERCENT_OF_BASE", "FIXED", "MARKET"})
		if err != nil {
			return p, fmt.Errorf("tokenPolicy.mode: %w", err)
		}
		funding, err := legacyEnum(lt.Funding, "FUNDING_", []string{"UNSPECIFIED", "ADDITIVE", "CARVE_OUT_BASE", "CARVE_OUT_EQUITY"})
		if err != nil {
			return p, fmt.Errorf("tokenPolicy.funding: %w", err)
		}
		t.Mode, t.Funding = planner.TokenMode(mode), planner.Funding(funding)
		if m := lt.UsageMix; m != nil {
			t.UsageMix = tokens.UsageMix{InputPercent: m.InputPercent, CachedInputPercent: m.CachedInputPercent, OutputPercent: m.OutputPercent}
		}
		for _, pr := range lt.Prices {
			eff, err := parseDay(pr.EffectiveDate)
			if err != nil {
				return p, fmt.Errorf("tokenPolicy.prices: %w", err)
			}
			t.Prices = append(t.Prices, tokens.Price{Model: pr.Model, Vendor: pr.Vendor, Family: pr.Family, Input: pr.InputUsdPerMillion,
				CachedInput: pr.CachedInputUsdPerMillion, Output: pr.OutputUsdPerMillion, Effective: eff, Source: pr.Source})
		}
		p.Tokens = t
	}
	return p, nil
}

// legacyEnum reads a protojson enum: its name, or its number. The planner's enums
// count from the same zero, in the wire's order.
func legacyEnum(raw json.RawMessage, prefix string, names []string) (int, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		for i, n := range names {
			if prefix+n == name {
				return i, nil
			}
		}
		return 0, fmt.Errorf("unknown value %q", name)
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 || n >= len(names) {
		return 0, fmt.Errorf("unknown value %s", raw)
	}
	return n, nil
}

// strictJSON decodes one JSON object, refusing fields the document does not have.
func strictJSON(spec string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(spec)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}
