package catalog

import "testing"

func TestResolve(t *testing.T) {
	cases := []struct {
		text        string
		scope       Scope
		id          string
		country     string
		countryOnly bool
	}{
		{"San Francisco, CA", ScopeMetro, "sf-bay-area", "US", false},
		{"  san francisco,ca ", ScopeMetro, "sf-bay-area", "US", false},
		{"Mountain\u00a0View,  CA", ScopeMetro, "sf-bay-area", "US", false},
		{"Seattle, WA, United States", ScopeMetro, "seattle", "US", false},
		{"Seattle", ScopeMetro, "seattle", "US", false},
		{"Bengaluru", ScopeMetro, "bangalore", "IN", false},
		{"Toronto, ON", ScopeMetro, "toronto", "CA", false},
		// Two letters after a city are a US state first: CA is California here.
		{"Toronto, CA", ScopeCountry, "US", "US", true},
		{"Richmond, CA", ScopeCountry, "US", "US", true},
		{"Chicago, IL", ScopeMetro, "chicago", "US", false},
		{"Cambridge, MA", ScopeMetro, "boston", "US", false},
		{"Cambridge, EN, United Kingdom", ScopeMetro, "cambridge-uk", "GB", false},
		{"Dublin, CA", ScopeMetro, "sf-bay-area", "US", false},
		{"Dublin, DN, Ireland", ScopeMetro, "dublin", "IE", false},
		{"Bengaluru, KA, India", ScopeMetro, "bangalore", "IN", false},
		{"London, United Kingdom", ScopeMetro, "london", "GB", false},
		{"Washington, DC", ScopeMetro, "washington-dc", "US", false},
		{"sf-bay-area", ScopeMetro, "sf-bay-area", "US", false},
		{"US tier 2", ScopeZone, "us-tier-2", "US", false},
		{"Canada", ScopeCountry, "CA", "CA", false},
		{"USA", ScopeCountry, "US", "US", false},
		{"Omaha, NE", ScopeCountry, "US", "US", true},
		{"Portland, ME", ScopeCountry, "US", "US", true},
		{"Leeds, United Kingdom", ScopeCountry, "GB", "GB", true},
		{"Paris, IL, France", ScopeMetro, "paris", "FR", false},
		{"Seoul, KG, Korea, South", ScopeCountry, "KR", "KR", true},
		// A state's name marks a US city as its code does: not the metro abroad that
		// shares the city's name.
		{"Austin, Texas", ScopeMetro, "austin", "US", false},
		{"Seattle, Washington", ScopeMetro, "seattle", "US", false},
		{"Cambridge, Massachusetts, United States", ScopeMetro, "boston", "US", false},
		{"Paris, Texas", ScopeCountry, "US", "US", true},
		{"Vancouver, Washington", ScopeCountry, "US", "US", true},
		{"Vancouver, BC", ScopeMetro, "vancouver", "CA", false},
		// A country's ISO code, as ListCohorts names a country cohort.
		{"DE", ScopeCountry, "DE", "DE", false},
		{" GB ", ScopeCountry, "GB", "GB", false},
	}
	for _, c := range cases {
		got, ok := Geo.Resolve(c.text)
		if !ok || got.Scope != c.scope || got.ID() != c.id || got.Country != c.country || got.CountryOnly != c.countryOnly {
			t.Errorf("Resolve(%q) = %+v, %v; want scope %v id %s country %s countryOnly %v", c.text, got, ok, c.scope, c.id, c.country, c.countryOnly)
		}
	}
	// "Cambridge" alone is two metros: ambiguous, so not guessed.
	// Bare US city names are not guessed: the state tells Vienna, VA from Vienna.
	// Lower-case codes are free text, and a code paymix has no country for is nothing.
	for _, text := range []string{"", "Atlantis", "Lyon, Narnia", "Cambridge", "Springfield, ZZ", "Redmond", "Mountain View", "de", "ZZ"} {
		if got, ok := Geo.Resolve(text); ok {
			t.Errorf("Resolve(%q) = %+v, want no match", text, got)
		}
	}
}

func TestCatalogTablesAreConsistent(t *testing.T) {
	if len(Ladder) != 12 || Ladder[0].ID != "IC1" || Ladder[6].ID != "IC7" || Ladder[7].ID != "M1" || Ladder[11].ID != "M5" {
		t.Fatalf("ladder is not IC1-IC7, M1-M5: %v", LevelIDs())
	}
	if l, ok := LevelByID(" ic3 "); !ok || l.ID != "IC3" || l.Name != "Senior" {
		t.Errorf("LevelByID(ic3) = %+v, %v", l, ok)
	}
	if f, ok := FamilyByID("Software Engineering Manager"); !ok || f.ID != "engineering-manager" {
		t.Errorf("title lookup = %+v, %v", f, ok)
	}
	ids := map[string]bool{}
	for _, f := range Families {
		if ids[f.ID] {
			t.Errorf("duplicate family id %s", f.ID)
		}
		ids[f.ID] = true
	}
	for _, m := range Metros {
		if _, ok := Geo.Country(m.Country); !ok {
			t.Errorf("metro %s: unknown country %s", m.ID, m.Country)
		}
		if m.Zone != "" {
			if z, ok := Geo.Zone(m.Zone); !ok || z.Country != m.Country {
				t.Errorf("metro %s: zone %s is not in %s", m.ID, m.Zone, m.Country)
			}
		}
	}
}
