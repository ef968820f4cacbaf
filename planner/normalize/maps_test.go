package normalize

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
)

func TestLocation(t *testing.T) {
	m := NewMaps(nil, []LocationEntry{
		{Text: "Remote - US", Country: "US"},
		{Text: "HQ", Metro: "seattle", Country: "US"}, // the zone comes from the metro
		{Text: "Seattle, WA", Metro: "portland", Country: "US"},
		{Text: "India (remote)", Zone: "in-tier-2", Country: "in"},
		// Rejected: unknown country, metro or zone outside the country, empty text.
		{Text: "Atlantis", Country: "ZZ"},
		{Text: "Lisbon", Metro: "london", Country: "PT"},
		{Text: "Porto", Zone: "us-tier-1", Country: "PT"},
		{Text: "Toronto area", Metro: "toronto", Zone: "ca-tier-2", Country: "CA"},
		{Text: " ", Country: "US"},
	})
	for _, c := range []struct {
		text                 string
		ok                   bool
		scope                catalog.Scope
		metro, zone, country string
	}{
		{"remote -  us", true, catalog.ScopeCountry, "", "", "US"},
		{"HQ", true, catalog.ScopeMetro, "seattle", "us-tier-1", "US"},
		{"seattle,wa.", true, catalog.ScopeMetro, "portland", "us-tier-3", "US"}, // the user entry wins
		{"Seattle, WA, United States", true, catalog.ScopeMetro, "seattle", "us-tier-1", "US"},
		{"India (remote)", true, catalog.ScopeZone, "", "in-tier-2", "IN"},
		{"Menlo Park, CA", true, catalog.ScopeMetro, "sf-bay-area", "us-tier-1", "US"},
		{"Singapore, SG, Singapore", true, catalog.ScopeMetro, "singapore", "", "SG"},
		{"Omaha, NE", true, catalog.ScopeCountry, "", "", "US"},
		{"Atlantis", false, 0, "", "", ""},
		{"Lisbon", false, 0, "", "", ""},
	} {
		loc, ok := m.Location(c.text)
		if ok != c.ok || loc.Scope != c.scope || loc.Metro != c.metro || loc.Zone != c.zone || loc.Country != c.country {
			t.Errorf("Location(%q) = %+v, %v; want %v %v %q %q %q", c.text, loc, ok, c.ok, c.scope, c.metro, c.zone, c.country)
		}
		if ok && loc.Query != c.text {
			t.Errorf("Location(%q).Query = %q", c.text, loc.Query)
		}
	}
	if r := m.Rejected(); len(r) != 5 {
		t.Errorf("rejected %d location entries, want 5: %v", len(r), r)
	}
}

func TestObservation(t *testing.T) {
	day := time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)
	m := NewMaps(nil, nil)
	for _, c := range []struct {
		row  Row
		want market.Observation
		u    Unmapped
	}{
		{
			Row{RowNumber: 1, Company: "facebook ", CompanyLevel: " ic5", Title: "Software Engineer", Location: "Menlo Park, CA",
				Reported: day, YearsExperience: 6, Base: 190000, Equity: 150000, Bonus: 30000, Total: 370000},
			market.Observation{Company: "Meta", CompanyLevel: "E5", Title: "Software Engineer", Family: "software-engineer", Level: "IC3",
				Metro: "sf-bay-area", Zone: "us-tier-1", Country: "US", Reported: day, Base: 190000, Equity: 150000, Bonus: 30000, Total: 370000},
			Unmapped{},
		},
		{
			Row{Company: "Amazon", CompanyLevel: "L6 SDM", Title: "Software Engineering Manager", Location: "Seattle, WA",
				Reported: day, Total: 350000, Tokens: 20000},
			market.Observation{Company: "Amazon", CompanyLevel: "L6 SDM", Title: "Software Engineering Manager", Family: "engineering-manager",
				Level: "M1", Metro: "seattle", Zone: "us-tier-1", Country: "US", Reported: day, Total: 350000, Tokens: 20000},
			Unmapped{},
		},
		{ // a manager level under an IC title: the canonical spelling is kept, the rung is not guessed
			Row{Company: "Amazon", CompanyLevel: "l6 sdm", Title: "Software Engineer", Location: "Leeds, EN, United Kingdom", Total: 1},
			market.Observation{Company: "Amazon", CompanyLevel: "L6 SDM", Title: "Software Engineer", Family: "software-engineer",
				Country: "GB", Total: 1},
			Unmapped{Level: true},
		},
		{
			Row{Company: "  Acme\u00a0Widgets ", CompanyLevel: " Z9 ", Title: "Astronaut", Location: "Atlantis", Total: 5},
			market.Observation{Company: "Acme Widgets", CompanyLevel: "Z9", Title: "Astronaut", Total: 5},
			Unmapped{Family: true, Level: true, Location: true},
		},
		{ // unknown title: the level is read on the IC track, the family stays empty
			Row{Company: "Google", CompanyLevel: "L4", Title: "Astronaut", Location: "Zurich, ZH, Switzerland", Total: 5},
			market.Observation{Company: "Google", CompanyLevel: "L4", Title: "Astronaut", Level: "IC2", Metro: "zurich", Country: "CH", Total: 5},
			Unmapped{Family: true},
		},
	} {
		for pass := 0; pass < 2; pass++ { // the second pass answers from the memo
			got, u := m.Observation(c.row)
			if got != c.want || u != c.u || u.Any() != (c.u != Unmapped{}) {
				t.Errorf("pass %d: Observation(%+v) =\n %+v %+v\nwant\n %+v %+v", pass, c.row, got, u, c.want, c.u)
			}
		}
	}
}

func TestObservationIsSafeForConcurrentUse(t *testing.T) {
	m := NewMaps(nil, nil)
	rows := []Row{
		{Company: "Google", CompanyLevel: "L5", Title: "Software Engineer", Location: "Mountain View, CA"},
		{Company: "Microsoft", CompanyLevel: "63", Title: "Product Manager", Location: "Redmond, WA"},
		{Company: "Apple", CompanyLevel: "M2", Title: "Engineering Manager", Location: "Cupertino, CA"},
		{Company: "Acme", CompanyLevel: "x", Title: "Sales", Location: "Bengaluru, KA, India"},
	}
	want := make([]market.Observation, len(rows))
	for i, r := range rows {
		want[i], _ = NewMaps(nil, nil).Observation(r)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				k := (i + g) % len(rows)
				if got, _ := m.Observation(rows[k]); got != want[k] {
					errs <- got.Company
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Observation disagrees (%s)", e)
	}
}

// No city is listed in two metros (the second would silently win), and every US metro
// city is written "City, ST".
func TestGeographyCitiesAreUnique(t *testing.T) {
	seen := map[string]string{}
	for _, m := range catalog.Metros {
		for _, c := range m.Cities {
			city, region := c, m.Country
			if i := strings.LastIndex(c, ","); i >= 0 {
				city, region = c[:i], strings.TrimSpace(c[i+1:])
			} else if m.Country == "US" {
				t.Errorf("metro %s: US city %q has no state", m.ID, c)
			}
			k := strings.ToLower(foldLocation(city)) + "|" + strings.ToLower(region)
			if prev, ok := seen[k]; ok {
				t.Errorf("%q is in %s and %s", c, prev, m.ID)
			}
			seen[k] = m.ID
		}
	}
}
