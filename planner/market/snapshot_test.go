package market

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/stats"
)

var ref = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func rows() []Observation {
	mk := func(metro, zone string, total, base, tokens float64, monthsAgo int) Observation {
		return Observation{Family: "software-engineer", Level: "IC3", Metro: metro, Zone: zone, Country: "US",
			Reported: ref.AddDate(0, -monthsAgo, 0), Base: base, Equity: total - base - 10000, Bonus: 10000, Total: total, Tokens: tokens}
	}
	return []Observation{
		mk("sf-bay-area", "us-tier-1", 300000, 180000, 50000, 0),
		mk("sf-bay-area", "us-tier-1", 200000, 0, 0, 12), // base not reported
		mk("seattle", "us-tier-1", 250000, 160000, 0, 0),
		mk("", "", 150000, 120000, 20000, 0), // only the country is known
		{Family: "", Level: "IC3", Country: "US", Reported: ref, Total: 1e6}, // unmapped family: kept out
	}
}

func TestBuildIndexesEveryScope(t *testing.T) {
	s := Build(Dataset{Name: "t", Observations: rows()}, ref, stats.DefaultAgingRate)
	key := func(scope catalog.Scope, place string) CohortKey {
		return CohortKey{Family: "software-engineer", Level: "IC3", Scope: scope, Place: place}
	}
	for _, c := range []struct {
		key  CohortKey
		want int
	}{
		{key(catalog.ScopeMetro, "sf-bay-area"), 2},
		{key(catalog.ScopeMetro, "seattle"), 1},
		{key(catalog.ScopeZone, "us-tier-1"), 3},
		{key(catalog.ScopeCountry, "US"), 4},
		{key(catalog.ScopeMetro, "nowhere"), 0},
	} {
		if got := s.Count(c.key); got != c.want {
			t.Errorf("Count(%v) = %d, want %d", c.key, got, c.want)
		}
	}
	a, ok := s.Lookup(key(catalog.ScopeMetro, "sf-bay-area"), stats.DefaultAgingRate, ref)
	if !ok {
		t.Fatal("no SF cohort")
	}
	// The 200k total reported 12 months (365 days) earlier ages by 1.03^(365/365.2425).
	aged := 200000 * math.Pow(1.03, 365/365.2425)
	if a.Total.Count() != 2 || math.Abs(a.Total.Sorted[0]-aged) > 1e-6 || a.Total.Sorted[1] != 300000 {
		t.Errorf("totals %v, want [%v 300000]", a.Total.Sorted, aged)
	}
	// An unreported base (0) counts for the total but not for base.
	if a.Base.Count() != 1 || a.Equity.Count() != 2 || a.Tokens.Count() != 1 || a.Tokens.Sorted[0] != 50000 {
		t.Errorf("series: base %v equity %v tokens %v", a.Base.Sorted, a.Equity.Sorted, a.Tokens.Sorted)
	}
	if !a.First.Equal(ref.AddDate(0, -12, 0)) || !a.Last.Equal(ref) {
		t.Errorf("dates %v .. %v", a.First, a.Last)
	}
}

// Moving the effective date scales every aged value by one factor; another aging rate
// re-ages from the report dates and is cached.
func TestLookupAgesToAnyDateAndRate(t *testing.T) {
	s := Build(Dataset{Name: "t", Observations: rows()}, ref, stats.DefaultAgingRate)
	key := CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "sf-bay-area"}
	later := ref.AddDate(1, 0, 0) // 365 days
	a, _ := s.Lookup(key, 0.03, later)
	if want := math.Pow(1.03, 365/365.2425); math.Abs(a.Factor-want) > 1e-12 {
		t.Errorf("factor %v, want %v", a.Factor, want)
	}
	if got, want := a.Quantile(a.Total, 1), 300000*a.Factor; got != want {
		t.Errorf("max aged total %v, want %v", got, want)
	}
	off, _ := s.Lookup(key, 0, later)
	if off.Factor != 1 || off.Total.Sorted[0] != 200000 {
		t.Errorf("aging off: factor %v totals %v", off.Factor, off.Total.Sorted)
	}
	again, _ := s.Lookup(key, 0, later)
	if again.Cohort != off.Cohort {
		t.Error("a cohort at another rate is not cached")
	}
	// Concurrent lookups at many rates stay consistent (run with -race).
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rate := float64(i%20) / 100
			c, ok := s.Lookup(key, rate, ref)
			if !ok || c.Total.Count() != 2 {
				t.Errorf("rate %v: %v %v", rate, ok, c.Total.Sorted)
			}
		}()
	}
	wg.Wait()
}

func TestVersionIsAContentHash(t *testing.T) {
	a := Build(Dataset{Name: "t", Observations: rows()}, ref, 0.03)
	b := Build(Dataset{Name: "t", Observations: rows()}, ref.AddDate(0, 1, 0), 0.05)
	if a.Version != b.Version || len(a.Version) != 16 {
		t.Errorf("same data, versions %q and %q", a.Version, b.Version)
	}
	changed := rows()
	changed[0].Total++
	if c := Build(Dataset{Name: "t", Observations: changed}, ref, 0.03); c.Version == a.Version {
		t.Error("changed data kept its version")
	}
}

func TestCurrentSwapsWholeSnapshots(t *testing.T) {
	var cur Current
	if cur.Load() != nil {
		t.Fatal("a new Current holds a snapshot")
	}
	a := Build(Dataset{Name: "a"}, ref, 0.03)
	b := Build(Dataset{Name: "b"}, ref, 0.03)
	cur.Store(a)
	held := cur.Load()
	cur.Store(b)
	if held != a || cur.Load() != b {
		t.Error("Store did not swap atomically")
	}
}
