// Package demo generates the built-in synthetic dataset, demo-synthetic: market
// observations over the whole catalog (every job family, the whole ladder, metros in
// several countries) so that paymix serves bands with no data imported. The rows are
// invented; their medians are calibrated to the public figures of REFERENCE.md so the
// bands look like a real market. The dataset is labelled Synthetic, and everything
// that shows a band built on it must say so.
//
// Generation is deterministic: the same rows on every run. Each
// cohort (family x level x metro) draws from its own PCG stream, seeded by constants
// and a hash of the cohort's ids, so resizing one cohort never reshuffles another;
// tables are walked in slice order, never in map order, and no clock is read. Amounts
// are rounded to whole dollars last, which in practice also absorbs the last-bit
// differences the floating-point library may show between CPUs (the tests pin a
// fingerprint of the output, so any change shows).
package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
)

// Name is the name of the dataset.
const Name = "demo-synthetic"

// End is the last report date of the demo data. It is fixed, so the output never
// changes with the day it is generated.
var End = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)

// Report dates are spread over the three years ending at End: start .. End, one day
// granularity, both ends included.
var start = End.AddDate(-3, 0, 1) // 2023-11-01

// pivot is the report date at which the calibrated medians below hold; the drift
// moves pay by driftPerYear a year on either side of it. It sits near the middle of
// the report dates (later rows are more numerous), so the medians of all rows, unaged,
// stay close to the targets.
var pivot = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)

// tokenSince: token budgets appear only on rows reported after this date, the last 12
// months before End (companies began offering tokens as pay in 2026; REFERENCE.md,
// "AI tokens as pay").
var tokenSince = End.AddDate(-1, 0, 0)

const (
	// seedHi is the first PCG seed word of every cohort; the second is a hash of the
	// cohort's ids. Change it only on purpose: it changes every row.
	seedHi = 0x7061796d69780001 // "paymix" 00 01

	// sigma is the standard deviation of log total pay within a cohort: 0.2 puts the
	// quartiles about 13% either side of the median (exp(+-0.6745 x 0.2)), a plausible
	// spread for one family, level and metro.
	sigma = 0.2

	// driftPerYear is the yearly pay drift with the report date, the default US aging
	// rate of REFERENCE.md ("Aging: r about 3% a year in the US"), so aging the demo
	// data to one date roughly levels its report dates.
	driftPerYear = 0.03

	// recentTilt makes later report dates more frequent: the density over the three
	// years rises linearly by this fraction, giving about 31%, 33% and 36% of the rows
	// to the first, second and last year.
	recentTilt = 0.25

	// companies is the number of fictional companies ("Demo Co 1" .. "Demo Co 40").
	companies = 40

	// anchorFloor is the least number of rows of a family at a common level in an
	// anchor metro, so that those cohorts reach the default band minimum (10) on their
	// own; bigFloor is the least number at any level of the family's track in the big
	// US metros, so every family x level has rows there.
	anchorFloor = 15
	bigFloor    = 3

	// maxEquityShare caps the equity share of a row's total.
	maxEquityShare = 0.85

	// Token budgets: the median is a share of base by level (tokenShare), log-normal
	// around it with tokenSigma, capped at tokenCap. Calibration: about half of base
	// salary, and top engineers up to $250,000 a year (Nvidia GTC keynote, March 2026,
	// reported by TechCrunch around 2026-03-21); $100,000 of tokens next to a $375,000
	// p75 software-engineer salary, about 27% of it (Tomasz Tunguz, February 2026).
	// The demo rises from 15% of base at entry level to 45% at IC5 and above.
	tokenSigma = 0.35
	tokenCap   = 250_000
)

// pay is the calibration of one standard level: medians for software engineers in
// the San Francisco Bay Area at the pivot date (managers: engineering managers).
type pay struct {
	total, base float64
	bonus       float64 // target bonus as a share of base
	tokens      float64 // median token budget as a share of base
}

// levelPay holds the calibration of each standard level.
//
// IC1-IC4: medians of the shared Levels.fyi export for Google software engineers
// (REFERENCE.md, "Levels and equivalences"): L3 $183.5k total / $126k base, L4 $259k
// / $153k, L5 $344k / $184k, L6 $469k / $215k, with IC2 at $255k between Google L4
// and Meta E4 ($251k). IC5-IC7 follow the tech-ladder progression of about a third a
// rung (Google L3 to L6: +41%, +33%, +36%), slowing at the top where the few
// observations spread widely; base rises slowly, to about $300k at IC7.
//
// M1-M5: a first-line manager is paid like staff (IC4), and each rung adds 15-30%
// (midpoint progression for management is 15% by the rule of thumb; tech ladders step
// more). Bonus is 10-20% of base throughout; equity is the rest of the total.
var levelPay = map[string]pay{
	"IC1": {total: 185_000, base: 126_000, bonus: 0.10, tokens: 0.15},
	"IC2": {total: 255_000, base: 153_000, bonus: 0.12, tokens: 0.22},
	"IC3": {total: 345_000, base: 184_000, bonus: 0.15, tokens: 0.30},
	"IC4": {total: 470_000, base: 215_000, bonus: 0.15, tokens: 0.38},
	"IC5": {total: 620_000, base: 245_000, bonus: 0.18, tokens: 0.45},
	"IC6": {total: 800_000, base: 270_000, bonus: 0.20, tokens: 0.45},
	"IC7": {total: 1_100_000, base: 300_000, bonus: 0.20, tokens: 0.45},
	"M1":  {total: 470_000, base: 220_000, bonus: 0.15, tokens: 0.38},
	"M2":  {total: 575_000, base: 240_000, bonus: 0.17, tokens: 0.45},
	"M3":  {total: 720_000, base: 265_000, bonus: 0.20, tokens: 0.45},
	"M4":  {total: 900_000, base: 290_000, bonus: 0.20, tokens: 0.45},
	"M5":  {total: 1_170_000, base: 320_000, bonus: 0.20, tokens: 0.45},
}

// Level mixes: the share of a family's rows at each level of its track. Levels.fyi
// data is mostly IC1-IC3; the IC mix puts the pooled median of Bay Area software
// engineers at the published $249k (Levels.fyi 2023 report).
var (
	icMix = map[string]float64{
		"IC1": 0.38, "IC2": 0.30, "IC3": 0.19, "IC4": 0.085, "IC5": 0.032, "IC6": 0.010, "IC7": 0.003,
	}
	// juniorMix is New York's: its published pooled median ($185k, Levels.fyi 2023
	// report) sits far below what its tier-1 pay per level gives with the common mix,
	// so the demo reproduces it with more entry-level rows, not with a low pay factor.
	juniorMix = map[string]float64{
		"IC1": 0.50, "IC2": 0.30, "IC3": 0.13, "IC4": 0.05, "IC5": 0.015, "IC6": 0.004, "IC7": 0.001,
	}
	managerMix = map[string]float64{"M1": 0.42, "M2": 0.30, "M3": 0.17, "M4": 0.08, "M5": 0.03}
	// sideManagerMix is for IC families with a few managers (product managers):
	// first-line to director only.
	sideManagerMix = map[string]float64{"M1": 0.50, "M2": 0.35, "M3": 0.15}
)

// commonLevels get anchorFloor rows in the anchor metros.
var commonLevels = map[string]bool{"IC1": true, "IC2": true, "IC3": true, "M1": true, "M2": true}

// family is the generation profile of a job family.
type family struct {
	id string
	// rows is the target number of rows before the floors.
	rows float64
	// pay scales the software-engineer total at the same level and place.
	pay float64
	// equity scales the software-engineer equity share of the total; bonus scales its
	// bonus share of base.
	equity, bonus float64
	// managers is the share of an IC family's rows on manager levels.
	managers float64
	// tokens is the chance that a row of the last 12 months has a token budget:
	// about 40% for technical families, 10% for the others.
	tokens float64
}

// families are the profiles, in catalog order. Software engineers are about 60% of
// the rows, as in the Levels.fyi export. Pay factors are relative to software
// engineers (product managers about 0.95, data scientists 0.85, recruiting and HR
// about 0.55); non-technical families take less of their pay in equity, and sales
// has a larger variable part (commission) in bonus.
var families = []family{
	{id: "software-engineer", rows: 14_400, pay: 1.00, equity: 1.00, bonus: 1.0, tokens: 0.40},
	{id: "engineering-manager", rows: 1_400, pay: 1.00, equity: 1.00, bonus: 1.0, tokens: 0.40},
	{id: "product-manager", rows: 1_400, pay: 0.95, equity: 1.00, bonus: 1.0, managers: 0.08, tokens: 0.40},
	{id: "data-scientist", rows: 1_000, pay: 0.85, equity: 0.95, bonus: 1.0, tokens: 0.40},
	{id: "hardware-engineer", rows: 650, pay: 0.80, equity: 0.80, bonus: 1.0, tokens: 0.40},
	{id: "product-designer", rows: 500, pay: 0.80, equity: 0.90, bonus: 1.0, tokens: 0.10},
	{id: "technical-program-manager", rows: 550, pay: 0.88, equity: 0.90, bonus: 1.0, tokens: 0.40},
	{id: "solution-architect", rows: 450, pay: 0.80, equity: 0.70, bonus: 1.0, tokens: 0.40},
	{id: "management-consultant", rows: 300, pay: 0.70, equity: 0.25, bonus: 1.6, tokens: 0.10},
	{id: "business-analyst", rows: 350, pay: 0.55, equity: 0.40, bonus: 1.0, tokens: 0.10},
	{id: "marketing", rows: 350, pay: 0.62, equity: 0.60, bonus: 1.0, tokens: 0.10},
	{id: "mechanical-engineer", rows: 250, pay: 0.58, equity: 0.40, bonus: 1.0, tokens: 0.10},
	{id: "sales", rows: 350, pay: 0.70, equity: 0.50, bonus: 2.0, tokens: 0.10},
	{id: "recruiter", rows: 200, pay: 0.55, equity: 0.50, bonus: 1.0, tokens: 0.10},
	{id: "human-resources", rows: 200, pay: 0.55, equity: 0.50, bonus: 1.0, tokens: 0.10},
}

// otherFamily profiles a catalog family missing from the table above.
var otherFamily = family{rows: 200, pay: 0.60, equity: 0.50, bonus: 1.0, tokens: 0.10}

// metro is the generation profile of a metro.
type metro struct {
	id string
	// weight is the metro's relative share of rows.
	weight float64
	// pay scales the Bay Area total at the same level.
	pay float64
	// anchor metros hold anchorFloor rows per family at the common levels; big ones
	// hold bigFloor rows at every level of the family's track.
	anchor, big bool
	mix         map[string]float64 // IC mix; nil for icMix
}

// metros are the places of the demo data. Pay factors: Seattle at 0.90 of the Bay
// Area (published pooled medians $225k vs $249k, Levels.fyi 2023 report); New York
// tier 1 per level (0.82) with a junior-heavier mix (see juniorMix); Boston 0.80 and
// Los Angeles 0.78 (tier 2 of the published geo scheme); lower tiers 0.66-0.75;
// Toronto, Vancouver and London about 0.55, Dublin 0.5, Berlin 0.45 and India about a
// quarter (pay in USD). Only the Bay Area, Seattle and New York factors are fitted to
// published figures; the others are rough, plausible ratios for a demo.
// The small metros (Montreal, Dublin, Pune and others) stay thin at the upper levels,
// under the default band minimum of 10 rows, so that bands there must fall back to
// the zone or the country (Montreal, alone in its zone here, to Canada), or be withheld
// where the country has no other metro (Dublin).
var metros = []metro{
	{id: "sf-bay-area", weight: 24, pay: 1.00, anchor: true, big: true},
	{id: "seattle", weight: 12, pay: 0.90, anchor: true, big: true},
	{id: "new-york", weight: 11, pay: 0.82, anchor: true, big: true, mix: juniorMix},
	{id: "boston", weight: 4, pay: 0.80},
	{id: "washington-dc", weight: 3, pay: 0.72},
	{id: "los-angeles", weight: 4, pay: 0.78},
	{id: "san-diego", weight: 2, pay: 0.74},
	{id: "austin", weight: 4, pay: 0.75},
	{id: "chicago", weight: 3, pay: 0.68},
	{id: "denver", weight: 2, pay: 0.72},
	{id: "atlanta", weight: 1.5, pay: 0.66},
	{id: "dallas", weight: 2, pay: 0.66},
	{id: "portland", weight: 1.5, pay: 0.70},
	{id: "toronto", weight: 4, pay: 0.55, anchor: true},
	{id: "vancouver", weight: 2.5, pay: 0.55},
	{id: "montreal", weight: 1, pay: 0.45},
	{id: "london", weight: 4, pay: 0.55, anchor: true},
	{id: "bangalore", weight: 5, pay: 0.25, anchor: true},
	{id: "hyderabad", weight: 2.5, pay: 0.25},
	{id: "pune", weight: 1, pay: 0.21},
	{id: "berlin", weight: 1.5, pay: 0.45},
	{id: "dublin", weight: 1.2, pay: 0.50},
	{id: "amsterdam", weight: 1, pay: 0.50},
	{id: "singapore", weight: 1.5, pay: 0.60},
}

// cohort is one family x level x metro with its number of rows and its random
// stream.
type cohort struct {
	family  catalog.Family
	profile family
	level   string
	metro   catalog.Metro
	mpay    float64 // metro pay factor
	rows    int
	seed    uint64
}

// Dataset generates the demo dataset. It returns the same rows on every call.
func Dataset() market.Dataset {
	cohorts, n := plan()
	obs := make([]market.Observation, 0, n)
	names := companyNames()
	pcg := rand.NewPCG(seedHi, 0)
	rng := rand.New(pcg)
	for _, c := range cohorts {
		pcg.Seed(seedHi, c.seed)
		obs = c.generate(rng, names, obs)
	}
	return market.Dataset{DatasetInfo: market.DatasetInfo{ID: Name, Name: Name, Synthetic: true}, Observations: obs}
}

// plan lists the cohorts in a fixed order (catalog families, ladder levels, metro
// table) with their row counts, and the total.
func plan() ([]cohort, int) {
	var weightSum float64
	for _, m := range metros {
		weightSum += m.weight
	}
	var out []cohort
	total := 0
	for _, f := range catalog.Families {
		p := profileOf(f.ID)
		for _, l := range catalog.Ladder {
			share := levelShare(f, p, l)
			if share < 0 { // not on this family's ladder
				continue
			}
			onTrack := l.Track == f.Track
			for _, m := range metros {
				cm, ok := catalog.Geo.Metro(m.id)
				if !ok {
					continue
				}
				mix := share
				if l.Track == catalog.TrackIC && m.mix != nil {
					mix = share / icMix[l.ID] * m.mix[l.ID]
				}
				n := int(math.Round(p.rows * mix * m.weight / weightSum))
				if onTrack && m.anchor && commonLevels[l.ID] {
					n = max(n, anchorFloor)
				}
				if onTrack && m.big {
					n = max(n, bigFloor)
				}
				if n == 0 {
					continue
				}
				out = append(out, cohort{
					family: f, profile: p, level: l.ID, metro: cm, mpay: m.pay, rows: n,
					seed: hashIDs(f.ID, l.ID, m.id),
				})
				total += n
			}
		}
	}
	return out, total
}

// levelShare is the share of a family's rows at a level, or -1 when the family has
// no rows at that level.
func levelShare(f catalog.Family, p family, l catalog.Level) float64 {
	switch {
	case f.Track == catalog.TrackManager && l.Track == catalog.TrackManager:
		return managerMix[l.ID]
	case f.Track == catalog.TrackIC && l.Track == catalog.TrackIC:
		return icMix[l.ID] * (1 - p.managers)
	case f.Track == catalog.TrackIC && p.managers > 0:
		if s, ok := sideManagerMix[l.ID]; ok {
			return s * p.managers
		}
	}
	return -1
}

func profileOf(id string) family {
	for _, p := range families {
		if p.id == id {
			return p
		}
	}
	p := otherFamily
	p.id = id
	return p
}

// generate appends the cohort's rows.
func (c cohort) generate(rng *rand.Rand, names []string, obs []market.Observation) []market.Observation {
	lp := levelPay[c.level]
	p := c.profile
	// The shares of the total at the median: equity is what base and bonus leave of
	// the software-engineer total, scaled by the family; base and bonus (cash) split
	// the rest.
	bonusShare := lp.bonus * p.bonus
	cashShare := 1 - (1-lp.base/lp.total*(1+lp.bonus))*p.equity
	median := lp.total * p.pay * c.mpay
	days := int(End.Sub(start).Hours()/24) + 1
	for range c.rows {
		day := reportDay(rng.Float64(), days)
		reported := start.AddDate(0, 0, day)
		z := rng.NormFloat64()
		total := median * drift(reported) * math.Exp(sigma*z)
		// The cash share (base and bonus) falls as the total rises, since the best
		// paid take more in stock, and varies on its own; it is log-normal around its
		// median so that base is too, and at most 1 (no negative equity). Bonus varies
		// around its target share of base.
		cs := cashShare * math.Exp(-0.1*z+0.12*rng.NormFloat64())
		cs = min(max(cs, 1-maxEquityShare), 1)
		b := bonusShare * math.Exp(0.2*rng.NormFloat64())
		cash := total * cs
		base := max(math.Round(cash/(1+b)), 1)
		bonus := math.Round(cash / (1 + b) * b)
		equity := math.Round(total - cash)
		o := market.Observation{
			Company:      names[rng.IntN(len(names))],
			CompanyLevel: c.level,
			Title:        c.family.Name,
			Family:       c.family.ID,
			Level:        c.level,
			Metro:        c.metro.ID,
			Zone:         c.metro.Zone,
			Country:      c.metro.Country,
			Reported:     reported,
			Base:         base,
			Equity:       equity,
			Bonus:        bonus,
			Total:        base + equity + bonus,
		}
		// Draw both numbers on every row so the stream does not depend on the date.
		u, zt := rng.Float64(), rng.NormFloat64()
		if reported.After(tokenSince) && u < p.tokens {
			o.Tokens = min(math.Round(base*lp.tokens*math.Exp(tokenSigma*zt)), tokenCap)
		}
		obs = append(obs, o)
	}
	return obs
}

// reportDay draws a day index in [0, days) from a density that rises linearly by
// recentTilt over the period (inverse of its distribution function at u).
func reportDay(u float64, days int) int {
	const a = recentTilt
	x := (math.Sqrt(1+2*a*u*(1+a/2)) - 1) / a
	return min(int(x*float64(days)), days-1)
}

// drift is the pay level at a report date relative to the pivot.
func drift(t time.Time) float64 {
	years := t.Sub(pivot).Hours() / 24 / 365.2425
	return math.Pow(1+driftPerYear, years)
}

func companyNames() []string {
	names := make([]string, companies)
	for i := range names {
		names[i] = "Demo Co " + strconv.Itoa(i+1)
	}
	return names
}

// hashIDs is the FNV-1a hash of a cohort's ids, its PCG stream.
func hashIDs(ids ...string) uint64 {
	h := fnv.New64a()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return h.Sum64()
}
