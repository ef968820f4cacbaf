package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/stats"
)

// StatsQuery asks for market statistics of a cohort (Family, Level, Location) or of a
// peer group (Company and CompanyLevel, optionally narrowed by Family and Location).
type StatsQuery struct {
	Family, Level, Location string
	Company, CompanyLevel   string
	// DisableAging reports raw figures; otherwise they are aged at the default rate to
	// EffectiveDate (zero: today).
	DisableAging  bool
	EffectiveDate time.Time
}

// Stats are the market statistics of a group of observations.
type Stats struct {
	Series             [5]Market // indexed by market.Kind: total, base, equity, bonus, tokens
	DataStart, DataEnd time.Time
	Effective          time.Time // zero when aging is disabled
	AgingRatePercent   float64
	Location           catalog.Location // the cohort's, or the peer filter's
	Company            string           // canonical, for peer queries
	CompanyLevel       string
	Datasets           []market.DatasetInfo // the datasets the figures come from
}

// MarketStats answers a query on a snapshot; maps canonicalise company names and
// levels the way the snapshot's rows were normalised.
func MarketStats(snap *market.Snapshot, maps *normalize.Maps, q StatsQuery, today time.Time) (Stats, error) {
	if snap == nil {
		return Stats{}, &Error{Kind: KindUnavailable, Reason: "SNAPSHOT_NOT_LOADED", Message: "market data is not loaded yet"}
	}
	var vs violations
	var st Stats
	rate := stats.DefaultAgingRate
	effective := effectiveDate(q.EffectiveDate, today)
	if q.DisableAging {
		rate, effective = 0, time.Time{}
	} else {
		st.Effective, st.AgingRatePercent = effective, DefaultAgingRatePercent
	}
	var family catalog.Family
	if q.Family != "" || q.Company == "" {
		var ok bool
		if family, ok = catalog.FamilyByID(q.Family); !ok {
			vs.add("Family", "unknown job family %q; %s", q.Family, acceptedList(catalog.FamilyIDs()))
		}
	}
	if q.Location != "" || q.Company == "" {
		var ok bool
		if st.Location, ok = catalog.Geo.Resolve(q.Location); !ok {
			vs.add("Location", "%s", unknownLocation(q.Location))
		}
	}
	var view market.View
	if q.Company == "" {
		level, ok := catalog.LevelByID(q.Level)
		if !ok {
			vs.add("Level", "unknown level %q; %s", q.Level, acceptedList(catalog.LevelIDs()))
		} else if family.ID != "" && !family.Accepts(level) {
			vs.add("Level", "%s is not on the %s ladder (%s); %s", level.ID, family.ID, family.Track, trackHint(family))
		}
		if err := vs.err(); err != nil {
			return Stats{}, err
		}
		key := market.CohortKey{Family: family.ID, Level: level.ID, Scope: st.Location.Scope, Place: st.Location.ID()}
		view, _ = snap.Lookup(key, rate, effective)
	} else {
		if q.CompanyLevel == "" {
			vs.add("CompanyLevel", "required with company")
		}
		if err := vs.err(); err != nil {
			return Stats{}, err
		}
		st.Company = normalize.Company(q.Company)
		st.CompanyLevel = canonicalLevel(maps, st.Company, q.CompanyLevel)
		key := normalize.CompanyKey(st.Company)
		folded := normalize.FoldLevel(st.CompanyLevel)
		view = snap.Peer(market.PeerFilter{
			Company:      func(name string) bool { return normalize.CompanyKey(name) == key },
			CompanyLevel: func(l string) bool { return l == st.CompanyLevel || normalize.FoldLevel(l) == folded },
			Family:       family.ID,
			Scope:        st.Location.Scope,
			Place:        st.Location.ID(),
		}, rate, effective)
		if view.Rows() == 0 {
			if err := unknownCompany(snap, q.Company, key); err != nil {
				return Stats{}, err
			}
		}
	}
	g := grading{effective: effective, minCompanies: DefaultMinCompanies}
	if q.Company == "" {
		view = view.Weighted(DefaultMaxCompanyShare, DefaultMinCompanies)
	} else {
		g.minCompanies = 1 // one company's own statistics: unweighted, exempt
	}
	if effective.IsZero() {
		g.effective = effectiveDate(q.EffectiveDate, today)
	}
	for k := range st.Series {
		st.Series[k] = figures(view, market.Kind(k), g)
	}
	st.DataStart, st.DataEnd = view.Dates()
	st.Datasets = view.Datasets()
	if err := st.checkFinite(); err != nil {
		return Stats{}, err
	}
	return st, nil
}

// canonicalLevel is a company level as the company's level map spells it, on either
// track; a level no map knows stays as given.
func canonicalLevel(maps *normalize.Maps, company, level string) string {
	for _, manager := range []bool{false, true} {
		if canonical, _, ok := maps.Level(company, level, manager); ok {
			return canonical
		}
	}
	return strings.TrimSpace(level)
}

// unknownCompany is the error for a peer query naming a company no row of the market
// is from (a misspelling answers NOT_FOUND with the nearest names, not zeros); nil when
// the company has rows, only none that the query's filters keep.
func unknownCompany(snap *market.Snapshot, company, key string) error {
	names := snap.CompanyNames()
	for _, n := range names {
		if normalize.CompanyKey(n) == key {
			return nil
		}
	}
	msg := fmt.Sprintf("no row of the market is from company %q", company) + didYouMean(catalog.Nearest(company, names, 3))
	return &Error{Kind: KindNotFound, Reason: "COMPANY_NOT_FOUND", Message: msg}
}
