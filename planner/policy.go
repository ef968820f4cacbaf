package planner

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
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
	// MinCompanies is how many companies a series needs to be published (default 5,
	// 1-100); MaxCompanySharePercent caps one company's share of a statistic's weight
	// (default 25, 1-100). Their maps, by standard level id, win over them.
	MinCompanies                  *int
	MinCompaniesByLevel           map[string]float64
	MaxCompanySharePercent        *float64
	MaxCompanySharePercentByLevel map[string]float64
	AgingRatePercent              *float64     // default 3; 0 turns aging off
	RoundingUSD                   *float64     // default 1
	Tokens                        *TokenPolicy // default: MARKET, ADDITIVE, no cap
	// GeoAdjustment scales a band that falls back to a wider scope by the requested
	// location's differential to it (default on); LevelSmoothing keeps level curves
	// from inverting (default isotonic). README, "Level curves and geographic
	// differentials".
	GeoAdjustment  *bool
	LevelSmoothing Smoothing
}

// Smoothing says how a track's level curve is kept from inverting.
type Smoothing int

const (
	SmoothingDefault  Smoothing = iota // ISOTONIC
	SmoothingIsotonic                  // weighted isotonic regression (pool adjacent violators)
	SmoothingNone                      // served as the cohorts give them
)

// Defaults of a policy (ARCHITECTURE.md, "How a band is computed").
const (
	DefaultTargetPercentile = 50
	DefaultMinSample        = 10
	DefaultMinCompanies     = 5
	DefaultMaxCompanyShare  = market.DefaultSharePercent
	DefaultAgingRatePercent = stats.DefaultAgingRate * 100
	DefaultRoundingUSD      = 1
	// StaleAfterMonths: a band on data older than this at its effective date warns.
	StaleAfterMonths = 18
)

// settings is a policy with every default filled in, for one level.
type settings struct {
	q             float64 // target percentile as a fraction
	targetPercent float64
	spread        float64 // as a fraction
	spreadPercent float64 // as given, for provenance
	minSample     int
	minCompanies  int
	maxShare      float64 // a company's largest share of a statistic, in percent
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
	book    *tokens.Book // the organisation's stack with the policy's (or request's) own prices on top
}

func value[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// SettledPolicy is a policy with its defaults filled in for every level of the
// ladder, settled once: a stored policy is settled when the published state is built,
// and every band on it reads the result. Name and Revision say which policy it is in
// a band's provenance ("default", "inline", or a stored policy's resource name).
type SettledPolicy struct {
	Policy   Policy
	Name     string
	Revision int64
	levels   map[string]settledLevel // by standard level id
	// base is the price book below the policy's own prices (built-in, then the
	// organisation's); book has the policy's prices on top.
	base, book *tokens.Book
	// geo and smoothing are the curve settings; fingerprint identifies everything a
	// served midpoint depends on, so that policies alike share their level curves.
	geo         bool
	smoothing   Smoothing
	fingerprint [16]byte
}

type settledLevel struct {
	set settings
	vs  violations // per-level rules this level breaks
}

// DefaultPolicy is paymix's built-in policy, settled on the built-in price book.
var DefaultPolicy = Settle(Policy{}, "default", 0)

// Settle settles a policy on the built-in price book (see SettleOn).
func Settle(p Policy, name string, revision int64) *SettledPolicy {
	return SettleOn(p, name, revision, tokens.BuiltIn)
}

// PolicyPrices names the layer of a policy's own prices in provenance; RequestPrices
// that of a request's own token policy.
const (
	PolicyPrices  = "policy"
	RequestPrices = "request"
)

// SettleOn fills a policy's defaults for every level of the ladder and checks the
// rules that depend on a level; violations name domain fields under "Policy" and stay
// with their level, so that a band at another level is unaffected (Validate reports
// them all, for policies that are stored). base is the price book the policy's own
// prices go on top of: the built-in book, with the organisation's on it.
func SettleOn(p Policy, name string, revision int64, base *tokens.Book) *SettledPolicy {
	sp := &SettledPolicy{Policy: p, Name: name, Revision: revision, levels: make(map[string]settledLevel, len(catalog.Ladder)), base: base}
	sp.book = withPrices(base, PolicyPrices, value(p.Tokens, TokenPolicy{}).Prices)
	for _, level := range catalog.Ladder {
		var vs violations
		set := p.settle(level, &vs, sp.book)
		sp.levels[level.ID] = settledLevel{set: set, vs: vs}
	}
	sp.geo = value(p.GeoAdjustment, true)
	sp.smoothing = p.LevelSmoothing
	if sp.smoothing == SmoothingDefault {
		sp.smoothing = SmoothingIsotonic
	}
	sp.fingerprint = sp.curveFingerprint()
	return sp
}

// curveFingerprint hashes the settings a served midpoint depends on, level by level.
func (sp *SettledPolicy) curveFingerprint() [16]byte {
	buf := make([]byte, 0, len(catalog.Ladder)*40+2)
	for _, level := range catalog.Ladder {
		s := sp.levels[level.ID].set
		for _, x := range [...]float64{s.q, float64(s.minSample), float64(s.minCompanies), s.maxShare, s.agingRate} {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		}
	}
	buf = append(buf, byte(sp.smoothing))
	if sp.geo {
		buf = append(buf, 1)
	}
	sum := sha256.Sum256(buf)
	return [16]byte(sum[:16])
}

// AgingRates are the yearly aging rates (fractions) the policy ages market data at:
// one per policy today, whatever the level.
func (sp *SettledPolicy) AgingRate() float64 {
	return value(sp.Policy.AgingRatePercent, DefaultAgingRatePercent) / 100
}

// Validate reports every level's violations once, sorted by field.
func (sp *SettledPolicy) Validate() error {
	var all violations
	seen := map[Violation]bool{}
	for _, level := range catalog.Ladder {
		for _, v := range sp.levels[level.ID].vs {
			if !seen[v] {
				seen[v] = true
				all = append(all, v)
			}
		}
	}
	slices.SortStableFunc(all, func(a, b Violation) int { return strings.Compare(a.Field, b.Field) })
	return all.err()
}

// settle fills the defaults of a policy for a level. Ranges are the wire's rules
// (protovalidate checks them before a request reaches the domain); what is left here
// is what the wire cannot see: level ids in maps, and what each token mode needs at
// a level.
func (p Policy) settle(level catalog.Level, vs *violations, book *tokens.Book) settings {
	s := settings{
		targetPercent: value(p.TargetPercentile, DefaultTargetPercentile),
		spreadPercent: value(p.SpreadPercent, level.DefaultSpreadPercent),
		minSample:     value(p.MinSample, DefaultMinSample),
		agingPercent:  value(p.AgingRatePercent, DefaultAgingRatePercent),
		unit:          value(p.RoundingUSD, DefaultRoundingUSD),
	}
	checkLevelKeys(vs, "Policy.SpreadByLevel", p.SpreadByLevel)
	if v, ok := lookupLevel(p.SpreadByLevel, level.ID); ok {
		s.spreadPercent = v
	}
	s.minCompanies = value(p.MinCompanies, DefaultMinCompanies)
	s.maxShare = value(p.MaxCompanySharePercent, DefaultMaxCompanyShare)
	checkLevelKeys(vs, "Policy.MinCompaniesByLevel", p.MinCompaniesByLevel)
	checkLevelKeys(vs, "Policy.MaxCompanySharePercentByLevel", p.MaxCompanySharePercentByLevel)
	if v, ok := lookupLevel(p.MinCompaniesByLevel, level.ID); ok {
		if v != math.Trunc(v) || v < 1 || v > 100 {
			vs.add("Policy.MinCompaniesByLevel", "%s: %g is not a whole number of companies from 1 to 100", level.ID, v)
		}
		s.minCompanies = int(v)
	}
	if v, ok := lookupLevel(p.MaxCompanySharePercentByLevel, level.ID); ok {
		if v < 1 || v > 100 {
			vs.add("Policy.MaxCompanySharePercentByLevel", "%s: %g is not a percentage from 1 to 100", level.ID, v)
		}
		s.maxShare = v
	}
	// Each of min_companies companies at the cap must be able to make up the whole:
	// below 100% the cap cannot be met.
	if float64(s.minCompanies)*s.maxShare < 100 {
		vs.add("Policy.MinCompanies", "%s: %d companies at most %g%% each cannot make up a statistic; min_companies x max_company_share_percent must be at least 100",
			level.ID, s.minCompanies, s.maxShare)
	}
	s.q, s.spread, s.agingRate = s.targetPercent/100, s.spreadPercent/100, s.agingPercent/100
	s.tokens = value(p.Tokens, TokenPolicy{}).settle(level, vs, "Policy.Tokens", book)
	return s
}

// withPrices is book with a layer of inline prices on top, if there are any.
func withPrices(book *tokens.Book, layer string, prices []tokens.Price) *tokens.Book {
	if len(prices) == 0 {
		return book
	}
	return book.With(tokens.Layer{Name: layer, Prices: prices})
}

// settle fills the defaults of a token policy; field is its domain path ("Tokens" for
// a request's own token policy, "Policy.Tokens" for a policy's). book is the price
// book with the token policy's own prices on top.
func (t TokenPolicy) settle(level catalog.Level, vs *violations, field string, book *tokens.Book) tokenSettings {
	s := tokenSettings{
		mode:    t.Mode,
		percent: value(t.PercentOfBase, 0) / 100,
		cap:     math.Inf(1),
		funding: t.Funding,
		mix:     t.UsageMix.WithDefaultShares(),
		book:    book,
	}
	if s.mode == TokenModeDefault {
		s.mode = TokenModeMarket
	}
	if s.funding == FundingDefault {
		s.funding = FundingAdditive
	}
	if t.CapUSD != nil {
		s.cap = math.Floor(*t.CapUSD)
	}
	switch s.mode {
	case TokenModePercentOfBase:
		if t.PercentOfBase == nil {
			vs.add(field+".PercentOfBase", "required when mode is TOKEN_MODE_PERCENT_OF_BASE")
		}
	case TokenModeFixed:
		checkLevelKeys(vs, field+".FixedByLevel", t.FixedByLevel)
		if v, ok := lookupLevel(t.FixedByLevel, level.ID); ok {
			s.fixed = v
		} else if t.FixedUSD != nil {
			s.fixed = *t.FixedUSD
		} else {
			vs.add(field+".FixedUSD", "required when mode is TOKEN_MODE_FIXED and fixed_usd_by_level has no entry for %s", level.ID)
		}
		s.fixed = math.Round(s.fixed)
	}
	for i, p := range t.Prices {
		if p.Effective.IsZero() {
			vs.add(fmt.Sprintf("%s.Prices[%d].Effective", field, i), "required: the date from which the prices apply")
		}
	}
	return s
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
