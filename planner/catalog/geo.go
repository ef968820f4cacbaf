package catalog

import (
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Scope is the breadth of a location. Fallback widens a cohort metro -> zone ->
// country, never across a country.
type Scope int

const (
	ScopeMetro Scope = iota + 1
	ScopeZone
	ScopeCountry
)

func (s Scope) String() string {
	switch s {
	case ScopeMetro:
		return "metro"
	case ScopeZone:
		return "zone"
	case ScopeCountry:
		return "country"
	}
	return "unknown"
}

// Country is a country by ISO 3166-1 alpha-2 code.
type Country struct {
	Code    string
	Name    string
	Aliases []string // other names people write, lower case
}

// Zone is a pay zone inside one country (geo tiers: REFERENCE.md, "Geo tiers").
type Zone struct {
	ID      string
	Name    string
	Country string
}

// Metro is a metropolitan area. Cities are written "City, ST" in the US (the state
// keeps Cambridge MA apart from Cambridge UK, and Dublin CA from Dublin, Ireland) and
// "City" elsewhere, within the metro's country.
type Metro struct {
	ID      string
	Name    string
	Zone    string // empty where the country has a single zone
	Country string
	Cities  []string
}

// Countries version 1 knows; every amount is still USD.
var Countries = []Country{
	{Code: "US", Name: "United States", Aliases: []string{"usa", "us", "united states of america", "u.s.", "u.s.a."}},
	{Code: "CA", Name: "Canada"},
	{Code: "GB", Name: "United Kingdom", Aliases: []string{"uk", "england", "great britain", "scotland"}},
	{Code: "IN", Name: "India"},
	{Code: "DE", Name: "Germany"},
	{Code: "IE", Name: "Ireland"},
	{Code: "NL", Name: "Netherlands", Aliases: []string{"the netherlands"}},
	{Code: "SG", Name: "Singapore"},
	{Code: "IL", Name: "Israel"},
	{Code: "CH", Name: "Switzerland"},
	{Code: "AU", Name: "Australia"},
}

// Zones: US tiers follow one published scheme (Tier 1 San Francisco and New York;
// Tier 2 Boston, Washington, Los Angeles, San Diego; lower tiers elsewhere), with
// Seattle in tier 1 because its market median sits next to the Bay Area's.
var Zones = []Zone{
	{ID: "us-tier-1", Name: "US tier 1", Country: "US"},
	{ID: "us-tier-2", Name: "US tier 2", Country: "US"},
	{ID: "us-tier-3", Name: "US tier 3", Country: "US"},
	{ID: "ca-tier-1", Name: "Canada tier 1", Country: "CA"},
	{ID: "ca-tier-2", Name: "Canada tier 2", Country: "CA"},
	{ID: "in-tier-1", Name: "India tier 1", Country: "IN"},
	{ID: "in-tier-2", Name: "India tier 2", Country: "IN"},
	{ID: "gb-london", Name: "London zone", Country: "GB"},
	{ID: "gb-national", Name: "UK outside London", Country: "GB"},
}

// Metros with the cities that belong to them.
var Metros = []Metro{
	{ID: "sf-bay-area", Name: "San Francisco Bay Area", Zone: "us-tier-1", Country: "US", Cities: []string{
		"San Francisco, CA", "San Jose, CA", "Mountain View, CA", "Sunnyvale, CA", "Menlo Park, CA",
		"Cupertino, CA", "Santa Clara, CA", "Palo Alto, CA", "Redwood City, CA", "Pleasanton, CA",
		"Los Gatos, CA", "San Mateo, CA", "Foster City, CA", "Oakland, CA", "Fremont, CA",
		"Milpitas, CA", "Burlingame, CA", "South San Francisco, CA", "San Bruno, CA", "Berkeley, CA",
		"Emeryville, CA", "Dublin, CA", "San Ramon, CA", "Walnut Creek, CA", "Belmont, CA",
		"Redwood Shores, CA", "Campbell, CA", "Los Altos, CA", "Newark, CA", "Hayward, CA",
		"Brisbane, CA", "San Carlos, CA", "Santa Cruz, CA"}},
	{ID: "seattle", Name: "Seattle", Zone: "us-tier-1", Country: "US", Cities: []string{
		"Seattle, WA", "Redmond, WA", "Bellevue, WA", "Kirkland, WA", "Bothell, WA", "Issaquah, WA",
		"Everett, WA", "Tacoma, WA", "Renton, WA"}},
	{ID: "new-york", Name: "New York", Zone: "us-tier-1", Country: "US", Cities: []string{
		"New York, NY", "Brooklyn, NY", "Jersey City, NJ", "Hoboken, NJ", "Newark, NJ", "Stamford, CT",
		"White Plains, NY", "Long Island City, NY"}},
	{ID: "boston", Name: "Boston", Zone: "us-tier-2", Country: "US", Cities: []string{
		"Boston, MA", "Cambridge, MA", "Waltham, MA", "Burlington, MA", "Somerville, MA",
		"Lexington, MA", "Marlborough, MA", "Needham, MA"}},
	{ID: "washington-dc", Name: "Washington, DC", Zone: "us-tier-2", Country: "US", Cities: []string{
		"Washington, DC", "Arlington, VA", "Herndon, VA", "McLean, VA", "Reston, VA", "Tysons, VA",
		"Tysons Corner, VA", "Chantilly, VA", "Fairfax, VA", "Vienna, VA", "Alexandria, VA",
		"Bethesda, MD", "Rockville, MD", "Baltimore, MD", "Columbia, MD"}},
	{ID: "los-angeles", Name: "Los Angeles", Zone: "us-tier-2", Country: "US", Cities: []string{
		"Los Angeles, CA", "Santa Monica, CA", "Irvine, CA", "Culver City, CA", "Playa Vista, CA",
		"Pasadena, CA", "Burbank, CA", "El Segundo, CA", "Long Beach, CA", "Venice, CA",
		"Glendale, CA", "Torrance, CA", "Costa Mesa, CA", "Newport Beach, CA", "Hawthorne, CA"}},
	{ID: "san-diego", Name: "San Diego", Zone: "us-tier-2", Country: "US", Cities: []string{
		"San Diego, CA", "La Jolla, CA", "Carlsbad, CA"}},
	{ID: "austin", Name: "Austin", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Austin, TX", "Round Rock, TX"}},
	{ID: "chicago", Name: "Chicago", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Chicago, IL", "Evanston, IL", "Schaumburg, IL", "Deerfield, IL"}},
	{ID: "denver", Name: "Denver and Boulder", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Denver, CO", "Boulder, CO", "Broomfield, CO", "Englewood, CO", "Louisville, CO"}},
	{ID: "atlanta", Name: "Atlanta", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Atlanta, GA", "Alpharetta, GA"}},
	{ID: "dallas", Name: "Dallas-Fort Worth", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Dallas, TX", "Plano, TX", "Irving, TX", "Fort Worth, TX", "Richardson, TX", "Frisco, TX"}},
	{ID: "portland", Name: "Portland", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Portland, OR", "Hillsboro, OR", "Beaverton, OR"}},
	{ID: "toronto", Name: "Toronto", Zone: "ca-tier-1", Country: "CA", Cities: []string{
		"Toronto", "Mississauga", "Markham", "Waterloo", "Kitchener"}},
	{ID: "vancouver", Name: "Vancouver", Zone: "ca-tier-1", Country: "CA", Cities: []string{
		"Vancouver", "Burnaby", "Richmond"}},
	{ID: "montreal", Name: "Montreal", Zone: "ca-tier-2", Country: "CA", Cities: []string{"Montreal", "Montréal"}},
	{ID: "ottawa", Name: "Ottawa", Zone: "ca-tier-2", Country: "CA", Cities: []string{"Ottawa", "Kanata"}},
	{ID: "london", Name: "London", Zone: "gb-london", Country: "GB", Cities: []string{"London"}},
	{ID: "cambridge-uk", Name: "Cambridge (UK)", Zone: "gb-national", Country: "GB", Cities: []string{"Cambridge"}},
	{ID: "edinburgh", Name: "Edinburgh", Zone: "gb-national", Country: "GB", Cities: []string{"Edinburgh"}},
	{ID: "bangalore", Name: "Bangalore", Zone: "in-tier-1", Country: "IN", Cities: []string{"Bangalore", "Bengaluru"}},
	{ID: "hyderabad", Name: "Hyderabad", Zone: "in-tier-1", Country: "IN", Cities: []string{"Hyderabad", "Secunderabad"}},
	{ID: "pune", Name: "Pune", Zone: "in-tier-2", Country: "IN", Cities: []string{"Pune"}},
	{ID: "delhi-ncr", Name: "Delhi NCR", Zone: "in-tier-2", Country: "IN", Cities: []string{"New Delhi", "Delhi", "Gurgaon", "Gurugram", "Noida"}},
	{ID: "chennai", Name: "Chennai", Zone: "in-tier-2", Country: "IN", Cities: []string{"Chennai"}},
	{ID: "berlin", Name: "Berlin", Country: "DE", Cities: []string{"Berlin"}},
	{ID: "munich", Name: "Munich", Country: "DE", Cities: []string{"Munich", "München"}},
	{ID: "dublin", Name: "Dublin", Country: "IE", Cities: []string{"Dublin"}},
	{ID: "amsterdam", Name: "Amsterdam", Country: "NL", Cities: []string{"Amsterdam"}},
	{ID: "singapore", Name: "Singapore", Country: "SG", Cities: []string{"Singapore"}},
	{ID: "tel-aviv", Name: "Tel Aviv", Country: "IL", Cities: []string{"Tel Aviv", "Tel Aviv-Yafo", "Herzliya"}},
	{ID: "zurich", Name: "Zurich", Country: "CH", Cities: []string{"Zurich", "Zürich"}},
	{ID: "sydney", Name: "Sydney", Country: "AU", Cities: []string{"Sydney"}},
}

// usStates are the postal codes that mark "City, ST" as a US location.
var usStates = strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD
	MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV
	WI WY PR`)

// Location is a free-text location resolved onto the geography. Scope is the
// narrowest level known: a metro has its zone (if any) and country filled in too.
type Location struct {
	Query   string
	Scope   Scope
	Metro   string
	Zone    string
	Country string
	// CountryOnly is true when the text named a place inside a known country that has
	// no metro here (for example "Omaha, NE"): the location widens to the country,
	// and bands say so instead of guessing a metro.
	CountryOnly bool
}

// ID is the id of the location at its own scope.
func (l Location) ID() string { return l.IDAt(l.Scope) }

// IDAt is the id of the location at a scope: the metro, zone or country id; empty
// when the location has nothing at that scope.
func (l Location) IDAt(s Scope) string {
	switch s {
	case ScopeMetro:
		return l.Metro
	case ScopeZone:
		return l.Zone
	case ScopeCountry:
		return l.Country
	}
	return ""
}

// Geography indexes the tables above for resolution; build it once with NewGeography.
type Geography struct {
	metros    map[string]*Metro
	zones     map[string]*Zone
	countries map[string]*Country
	byName    map[string]Location // normalised metro / zone / country names and ids
	byCity    map[string]string   // "city|ST" (US) or "city|CC" -> metro id
	cityOnly  map[string][]string // "city" -> metro ids, for a bare city name
	states    map[string]bool
}

// Geo is the built-in geography.
var Geo = NewGeography(Countries, Zones, Metros)

// NewGeography indexes countries, zones and metros.
func NewGeography(countries []Country, zones []Zone, metros []Metro) *Geography {
	g := &Geography{
		metros: map[string]*Metro{}, zones: map[string]*Zone{}, countries: map[string]*Country{},
		byName: map[string]Location{}, byCity: map[string]string{}, cityOnly: map[string][]string{},
		states: map[string]bool{},
	}
	for _, s := range usStates {
		g.states[strings.ToLower(s)] = true
	}
	for i := range countries {
		c := &countries[i]
		g.countries[c.Code] = c
		loc := Location{Scope: ScopeCountry, Country: c.Code}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			g.byName[normalise(n)] = loc
		}
	}
	for i := range zones {
		z := &zones[i]
		g.zones[z.ID] = z
		loc := Location{Scope: ScopeZone, Zone: z.ID, Country: z.Country}
		g.byName[normalise(z.ID)] = loc
		g.byName[normalise(z.Name)] = loc
	}
	for i := range metros {
		m := &metros[i]
		g.metros[m.ID] = m
		loc := Location{Scope: ScopeMetro, Metro: m.ID, Zone: m.Zone, Country: m.Country}
		g.byName[normalise(m.ID)] = loc
		g.byName[normalise(m.Name)] = loc
		for _, c := range m.Cities {
			city, region := c, m.Country
			if i := strings.LastIndex(c, ","); i >= 0 {
				city, region = c[:i], c[i+1:]
			}
			city = normalise(city)
			g.byCity[city+"|"+normalise(region)] = m.ID
			if !slices.Contains(g.cityOnly[city], m.ID) {
				g.cityOnly[city] = append(g.cityOnly[city], m.ID)
			}
		}
	}
	return g
}

// Resolve turns free text into a location: a metro, zone or country id or name
// ("sf-bay-area", "US tier 1", "Canada"), "City, ST" in the US, "City, Country" or
// "City, Region, Country" elsewhere, or a bare city name that only one metro has.
// A place in a known country with no metro here resolves to the country with
// CountryOnly set. ok is false when the text names nothing known.
func (g *Geography) Resolve(text string) (loc Location, ok bool) {
	defer func() { loc.Query = text }()
	n := normalise(text)
	if n == "" {
		return Location{}, false
	}
	if l, found := g.byName[n]; found {
		return l, true
	}
	parts := strings.Split(n, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	city := parts[0]
	if len(parts) == 1 {
		if ids := g.cityOnly[city]; len(ids) == 1 {
			return g.metroLocation(ids[0]), true
		}
		return Location{}, false
	}
	last := parts[len(parts)-1]
	// "City, ST" or "City, ST, United States".
	if g.states[last] && len(parts) == 2 {
		return g.cityIn(city, last, "US"), true
	}
	country, known := g.byName[last]
	if !known || country.Scope != ScopeCountry {
		return Location{}, false
	}
	if country.Country == "US" && len(parts) == 3 && g.states[parts[1]] {
		return g.cityIn(city, parts[1], "US"), true
	}
	return g.cityIn(city, strings.ToLower(country.Country), country.Country), true
}

// cityIn looks a city up under a region key (a US state or a country code) and falls
// back to the whole country.
func (g *Geography) cityIn(city, region, country string) Location {
	if id, found := g.byCity[city+"|"+region]; found {
		return g.metroLocation(id)
	}
	return Location{Scope: ScopeCountry, Country: country, CountryOnly: true}
}

func (g *Geography) metroLocation(id string) Location {
	m := g.metros[id]
	return Location{Scope: ScopeMetro, Metro: m.ID, Zone: m.Zone, Country: m.Country}
}

// Metro, Zone and Country look up by id.
func (g *Geography) Metro(id string) (Metro, bool) {
	m, ok := g.metros[id]
	if !ok {
		return Metro{}, false
	}
	return *m, true
}

func (g *Geography) Zone(id string) (Zone, bool) {
	z, ok := g.zones[id]
	if !ok {
		return Zone{}, false
	}
	return *z, true
}

func (g *Geography) Country(code string) (Country, bool) {
	c, ok := g.countries[code]
	if !ok {
		return Country{}, false
	}
	return *c, true
}

// Name is the display name of a location id at a scope.
func (g *Geography) Name(s Scope, id string) string {
	switch s {
	case ScopeMetro:
		if m, ok := g.metros[id]; ok {
			return m.Name
		}
	case ScopeZone:
		if z, ok := g.zones[id]; ok {
			return z.Name
		}
	case ScopeCountry:
		if c, ok := g.countries[id]; ok {
			return c.Name
		}
	}
	return ""
}

// Accepted is a short description of what Resolve accepts, for error messages.
func (g *Geography) Accepted() []string {
	out := make([]string, 0, len(g.metros)+len(g.countries))
	for id := range g.metros {
		out = append(out, id)
	}
	sort.Strings(out)
	for _, c := range Countries {
		out = append(out, c.Name)
	}
	return out
}

// normalise folds case, non-breaking and repeated spaces and trailing dots, so that
// "San Francisco,  CA." and "san francisco, ca" are the same key.
func normalise(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u00a0' {
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	return strings.TrimRight(s, ". ")
}
