package planner

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/planner/tokens"
)

// TokenMode says how the token component of a band is set.
type TokenMode int

const (
	TokenModeDefault TokenMode = iota // MARKET
	TokenModeNone
	TokenModePercentOfBase
	TokenModeFixed
	TokenModeMarket
)

// Funding says where the money for the token component comes from.
type Funding int

const (
	FundingDefault Funding = iota // ADDITIVE
	FundingAdditive
	FundingCarveOutBase
	FundingCarveOutEquity
)

// TokenPolicy sets the token component. Nil pointers take the defaults.
type TokenPolicy struct {
	Mode          TokenMode
	PercentOfBase *float64 // 0-100
	CapUSD        *float64 // applies in every mode; nil means no cap
	FixedUSD      *float64
	FixedByLevel  map[string]float64 // by standard level id; wins over FixedUSD
	Funding       Funding
	UsageMix      tokens.UsageMix // zero means tokens.DefaultUsageMix
	Prices        []tokens.Price  // replace or add to the default price book by model
}

// Policy turns market data into bands. Nil pointers take the defaults.
type Policy struct {
	TargetPercentile *float64           // 1-99, default 50
	SpreadPercent    *float64           // default by level (catalog.Level)
	SpreadByLevel    map[string]float64 // by standard level id; wins over SpreadPercent
	MinSample        *int               // default 10, at least 5
	AgingRatePercent *float64           // default 3; 0 turns aging off
	RoundingUSD      *float64           // default 1
	Tokens           *TokenPolicy       // default: MARKET, ADDITIVE, no cap
}

// Defaults of a policy (ARCHITECTURE.md, "How a band is computed").
const (
	DefaultTargetPercentile = 50
	DefaultMinSample        = 10
	DefaultAgingRatePercent = stats.DefaultAgingRate * 100
	DefaultRoundingUSD      = 1
	// StaleAfterMonths: a band on data older than this at its effective date warns.
	StaleAfterMonths = 18
)

// usageMixTolerance absorbs binary rounding in shares such as 12.3 + 80.1 + 7.6; the
// wire rule on UsageMix uses the same tolerance.
const usageMixTolerance = 1e-6

// settings is a policy with every default filled in, for one level.
type settings struct {
	q             float64 // target percentile as a fraction
	targetPercent float64
	spread        float64 // as a fraction
	spreadPercent float64 // as given, for provenance
	minSample     int
	agingRate     float64 // as a fraction
	agingPercent  float64 // as given, for provenance
	unit          float64
	tokens        tokenSettings
}

type tokenSettings struct {
	mode    TokenMode
	percent float64 // PERCENT_OF_BASE, as a fraction
	fixed   float64 // FIXED, USD per year
	cap     float64 // +Inf when there is none
	funding Funding
	mix     tokens.UsageMix
	prices  []tokens.Price
}

func value[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// settle fills the defaults of a policy for a level and checks what the wire rules
// cannot: level ids in maps and the fields each token mode needs.
func (p Policy) settle(level catalog.Level, vs *violations) settings {
	s := settings{
		targetPercent: value(p.TargetPercentile, DefaultTargetPercentile),
		spreadPercent: value(p.SpreadPercent, level.DefaultSpreadPercent),
		minSample:     value(p.MinSample, DefaultMinSample),
		agingPercent:  value(p.AgingRatePercent, DefaultAgingRatePercent),
		unit:          value(p.RoundingUSD, DefaultRoundingUSD),
	}
	checkRange(vs, "policy.target_percentile", s.targetPercent, 1, 99)
	checkRange(vs, "policy.min_sample_size", float64(s.minSample), 5, 100000)
	checkRange(vs, "policy.aging_rate_percent", s.agingPercent, 0, 50)
	checkRange(vs, "policy.rounding_usd", s.unit, 1, 100000)
	if s.unit != math.Trunc(s.unit) {
		vs.add("policy.rounding_usd", "must be a whole number of dollars, not %g", s.unit)
	}
	checkLevelKeys(vs, "policy.range_spread_percent_by_level", p.SpreadByLevel)
	if v, ok := lookupLevel(p.SpreadByLevel, level.ID); ok {
		s.spreadPercent = v
	}
	checkRange(vs, "policy.range_spread_percent", s.spreadPercent, 0, 200)
	s.q, s.spread, s.agingRate = s.targetPercent/100, s.spreadPercent/100, s.agingPercent/100
	s.tokens = value(p.Tokens, TokenPolicy{}).settle(level, vs, "policy.token_policy")
	return s
}

// settle fills the defaults of a token policy; field is its path in the request.
func (t TokenPolicy) settle(level catalog.Level, vs *violations, field string) tokenSettings {
	s := tokenSettings{
		mode:    t.Mode,
		percent: value(t.PercentOfBase, 0) / 100,
		cap:     math.Inf(1),
		funding: t.Funding,
		mix:     t.UsageMix,
		prices:  tokens.Merge(tokens.DefaultPriceBook, t.Prices),
	}
	if s.mode == TokenModeDefault {
		s.mode = TokenModeMarket
	}
	if s.mode < TokenModeDefault || s.mode > TokenModeMarket {
		vs.add(field+".mode", "unknown token mode %d", s.mode)
	}
	if s.funding == FundingDefault {
		s.funding = FundingAdditive
	}
	if s.funding < FundingDefault || s.funding > FundingCarveOutEquity {
		vs.add(field+".funding", "unknown funding %d", s.funding)
	}
	if s.mix.IsZero() {
		s.mix = tokens.DefaultUsageMix
	}
	if t.CapUSD != nil {
		checkRange(vs, field+".cap_usd", *t.CapUSD, 0, 1e9)
		s.cap = math.Floor(*t.CapUSD)
	}
	switch s.mode {
	case TokenModePercentOfBase:
		if t.PercentOfBase == nil {
			vs.add(field+".percent_of_base", "required when mode is TOKEN_MODE_PERCENT_OF_BASE")
		}
		checkRange(vs, field+".percent_of_base", s.percent*100, 0, 100)
	case TokenModeFixed:
		checkLevelKeys(vs, field+".fixed_usd_by_level", t.FixedByLevel)
		if v, ok := lookupLevel(t.FixedByLevel, level.ID); ok {
			s.fixed = v
		} else if t.FixedUSD != nil {
			s.fixed = *t.FixedUSD
		} else {
			vs.add(field+".fixed_usd", "required when mode is TOKEN_MODE_FIXED and fixed_usd_by_level has no entry for %s", level.ID)
		}
		checkRange(vs, field+".fixed_usd", s.fixed, 0, 1e9)
		s.fixed = math.Round(s.fixed)
	}
	if sum := s.mix.InputPercent + s.mix.CachedInputPercent + s.mix.OutputPercent; math.Abs(sum-100) > usageMixTolerance {
		vs.add(field+".usage_mix", "input, cached input and output shares must sum to 100, not %g", sum)
	}
	for i, p := range t.Prices {
		entry := fmt.Sprintf("%s.prices[%d]", field, i)
		if p.Model == "" {
			vs.add(entry+".model", "required")
		}
		if p.Effective.IsZero() {
			vs.add(entry+".effective_date", "required: the date from which the prices apply")
		}
		if p.Input < 0 || p.CachedInput < 0 || p.Output < 0 {
			vs.add(entry, "prices must not be negative")
		}
	}
	return s
}

func checkRange(vs *violations, field string, v, lo, hi float64) {
	if math.IsNaN(v) || v < lo || v > hi {
		vs.add(field, "must be between %g and %g, not %g", lo, hi, v)
	}
}

// checkLevelKeys reports map keys that are not standard level ids.
func checkLevelKeys(vs *violations, field string, m map[string]float64) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if _, ok := catalog.LevelByID(k); !ok {
			vs.add(field, "unknown level %q; %s", k, acceptedList(catalog.LevelIDs()))
		}
	}
}

// lookupLevel finds a level's entry in a map keyed by level id, ignoring case.
func lookupLevel(m map[string]float64, id string) (float64, bool) {
	for k, v := range m {
		if l, ok := catalog.LevelByID(k); ok && l.ID == id {
			return v, true
		}
	}
	return 0, false
}

// effectiveDate is the date market data is aged to: the request's, or today.
func effectiveDate(requested, today time.Time) time.Time {
	if requested.IsZero() {
		return today.UTC().Truncate(24 * time.Hour)
	}
	return requested
}
