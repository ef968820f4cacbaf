package planner_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
)

// A peer query for a company no row is from answers NOT_FOUND with the nearest names,
// not statistics of nothing; a known company with no row at the level asked answers
// zero counts, which is what the market holds.
func TestPeerQueryForAnUnknownCompany(t *testing.T) {
	ref := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var obs []market.Observation
	for i, c := range []string{"Google", "Microsoft", "Amazon", "Goldman Sachs"} {
		for j := range 3 {
			obs = append(obs, market.Observation{Company: c, CompanyLevel: "L5", Family: "software-engineer", Level: "IC3",
				Metro: "seattle", Zone: "us-tier-1", Country: "US", Reported: ref, Base: float64(100000 + 1000*i + j), Total: float64(100000 + 1000*i + j)})
		}
	}
	snap := market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{ID: "t", Weight: 1}, Observations: obs}}, ref, 0.03)
	maps := normalize.NewMaps(nil, nil)
	ask := func(company, level string) (planner.Stats, error) {
		return planner.MarketStats(snap, maps, planner.StatsQuery{Company: company, CompanyLevel: level, DisableAging: true}, ref)
	}
	_, err := ask("Gogle", "L5")
	var pe *planner.Error
	if !errors.As(err, &pe) || pe.Kind != planner.KindNotFound || pe.Reason != "COMPANY_NOT_FOUND" ||
		pe.Message != `no row of the market is from company "Gogle" (did you mean "Google"?)` {
		t.Errorf("Gogle: %v", err)
	}
	if _, err := ask("Zzyzx Labs", "L5"); !errors.As(err, &pe) || pe.Message != `no row of the market is from company "Zzyzx Labs"` {
		t.Errorf("Zzyzx Labs: %v", err)
	}
	for _, c := range []struct {
		company, level string
		count          int
	}{
		{"google", "L5", 3}, // company names match as imports canonicalise them
		{"Google", "L5", 3},
		{"Google", "L55", 0},
	} {
		st, err := ask(c.company, c.level)
		if err != nil {
			t.Fatalf("%s %s: %v", c.company, c.level, err)
		}
		if got := st.Series[market.Total].Count; got != c.count {
			t.Errorf("%s %s: %d rows, want %d", c.company, c.level, got, c.count)
		}
	}
	if got := snap.CompanyNames(); len(got) != 4 || got[0] != "Amazon" || got[3] != "Microsoft" {
		t.Errorf("company names %q", got)
	}
}
