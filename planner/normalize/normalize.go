// Package normalize turns raw market data rows into observations on paymix's catalog:
// company names fold to one canonical name, company levels map onto the standard
// ladder, titles onto job families and free-text locations onto metros, zones and
// countries. What cannot be mapped is left empty and flagged, never guessed, so that an
// import can count and report it.
package normalize

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
)

// Row is one raw market data row as imported (before normalisation). Amounts are yearly USD; Base 0 = not reported.
type Row struct {
	RowNumber                          int       // 1-based data row number in the source file (header not counted)
	Company                            string    // as given
	CompanyLevel                       string    // as given
	Title                              string    // as given
	Location                           string    // as given
	Reported                           time.Time // report date (UTC midnight)
	YearsExperience                    float64
	YearsAtCompany                     float64
	Base, Equity, Bonus, Total, Tokens float64
}

// LocationEntry maps a free-text location (folded like catalog's resolver) to a place.
type LocationEntry struct {
	Text                 string
	Metro, Zone, Country string // ids of planner/catalog; Metro may be empty (zone or country only), Country is required
}

// Unmapped says which parts of a row could not be normalised.
type Unmapped struct{ Family, Level, Location bool }

// Any reports whether any part of the row is unmapped.
func (u Unmapped) Any() bool { return u.Family || u.Level || u.Location }

// Maps normalises raw rows; build it with NewMaps. User entries win over built-in ones
// (same company+level, or same text).
//
// A Maps is safe for concurrent use. Its tables are fixed when it is built; Observation
// memoises its answers per distinct (company, level, title), per distinct location text,
// company name and title, in maps guarded by one sync.Mutex (held while a new value is
// normalised), so a full pass over a dataset costs two map lookups per row after the
// first sight of each distinct value. The memo grows with the number of distinct values
// seen, which the input bounds.
type Maps struct {
	levels    map[string]*LevelEntry      // levelKey(company key, folded spelling) -> entry
	locations map[string]catalog.Location // foldLocation(text) -> user location
	rejected  []error

	mu          sync.Mutex
	rowMemo     map[rowKey]rowResult
	locMemo     map[string]locResult
	companyMemo map[string]companyResult
	familyMemo  map[string]familyResult
	// displayByKey gives every spelling of an unknown company (HubSpot, Hubspot) the
	// display name first seen for its key, so one company is one name everywhere.
	displayByKey map[string]string
}

type rowKey struct{ company, level, title string }

type rowResult struct {
	company, companyLevel, title, family, level string
	familyOK, levelOK                           bool
}

type locResult struct {
	loc catalog.Location
	ok  bool
}

// NewMaps builds the maps from BuiltinLevels and the user's entries. A user level entry
// replaces the built-in entry of the same company and canonical level (with all its
// spellings), and a user spelling wins over a built-in one; a user entry with neither an
// IC nor a manager rung thereby unmaps a built-in level. A user location entry wins over
// the catalog's resolver for its text. Entries that name unknown rungs or places are
// left out and listed by Rejected.
func NewMaps(userLevels []LevelEntry, userLocations []LocationEntry) *Maps {
	m := &Maps{
		levels:       map[string]*LevelEntry{},
		locations:    map[string]catalog.Location{},
		rowMemo:      map[rowKey]rowResult{},
		locMemo:      map[string]locResult{},
		companyMemo:  map[string]companyResult{},
		familyMemo:   map[string]familyResult{},
		displayByKey: map[string]string{},
	}
	var users []LevelEntry
	replaced := map[string]bool{}
	for _, e := range userLevels {
		e, err := cleanLevel(e)
		if err != nil {
			m.rejected = append(m.rejected, err)
			continue
		}
		users = append(users, e)
		replaced[levelKey(CompanyKey(e.Company), FoldLevel(e.Level))] = true
	}
	for _, e := range BuiltinLevels {
		e, err := cleanLevel(e)
		if err != nil { // a broken built-in table is a programming error; the tests catch it
			m.rejected = append(m.rejected, err)
			continue
		}
		if !replaced[levelKey(CompanyKey(e.Company), FoldLevel(e.Level))] {
			m.addLevel(e)
		}
	}
	for _, e := range users {
		m.addLevel(e)
	}
	for _, e := range userLocations {
		loc, err := locationOf(e)
		if err != nil {
			m.rejected = append(m.rejected, err)
			continue
		}
		m.locations[foldLocation(e.Text)] = loc
	}
	return m
}

// Rejected lists the user entries NewMaps left out, with the reason for each.
func (m *Maps) Rejected() []error { return m.rejected }

// companyKeyOf is the CompanyKey of a company's canonical name.
func companyKeyOf(raw string) string {
	k := CompanyKey(raw)
	if name, ok := companyByKey[k]; ok {
		return CompanyKey(name)
	}
	return k
}

func levelKey(companyKey, folded string) string { return companyKey + "\x00" + folded }

func (m *Maps) addLevel(e LevelEntry) {
	p := &e
	ck := CompanyKey(e.Company)
	m.levels[levelKey(ck, FoldLevel(e.Level))] = p
	for _, v := range e.Variants {
		if f := FoldLevel(v); f != "" {
			m.levels[levelKey(ck, f)] = p
		}
	}
}

// cleanLevel canonicalises an entry's company and checks its rungs against the ladder.
func cleanLevel(e LevelEntry) (LevelEntry, error) {
	e.Company = Company(e.Company)
	e.Level = strings.Join(strings.Fields(e.Level), " ")
	e.IC = strings.ToUpper(strings.TrimSpace(e.IC))
	e.Manager = strings.ToUpper(strings.TrimSpace(e.Manager))
	if e.Company == "" || FoldLevel(e.Level) == "" {
		return e, fmt.Errorf("level entry %q at %q: company and level are required", e.Level, e.Company)
	}
	for _, r := range []struct {
		id    string
		track catalog.Track
	}{{e.IC, catalog.TrackIC}, {e.Manager, catalog.TrackManager}} {
		if r.id == "" {
			continue
		}
		if l, ok := catalog.LevelByID(r.id); !ok || l.Track != r.track {
			return e, fmt.Errorf("level entry %q at %s: %q is not a %s rung of the standard ladder", e.Level, e.Company, r.id, r.track)
		}
	}
	return e, nil
}

// locationOf checks a user location entry against the catalog and fills in the zone of
// its metro.
func locationOf(e LocationEntry) (catalog.Location, error) {
	bad := func(format string, args ...any) (catalog.Location, error) {
		return catalog.Location{}, fmt.Errorf("location entry %q: "+format, append([]any{e.Text}, args...)...)
	}
	if foldLocation(e.Text) == "" {
		return bad("the text is empty")
	}
	c, ok := catalog.Geo.Country(strings.ToUpper(strings.TrimSpace(e.Country)))
	if !ok {
		return bad("unknown country %q", e.Country)
	}
	loc := catalog.Location{Scope: catalog.ScopeCountry, Country: c.Code}
	if z := strings.TrimSpace(e.Zone); z != "" {
		zone, ok := catalog.Geo.Zone(z)
		if !ok || zone.Country != c.Code {
			return bad("zone %q is not a zone of %s", e.Zone, c.Code)
		}
		loc.Scope, loc.Zone = catalog.ScopeZone, zone.ID
	}
	if id := strings.TrimSpace(e.Metro); id != "" {
		metro, ok := catalog.Geo.Metro(id)
		if !ok || metro.Country != c.Code || (loc.Zone != "" && loc.Zone != metro.Zone) {
			return bad("metro %q is not a metro of %s %s", e.Metro, c.Code, loc.Zone)
		}
		loc.Scope, loc.Metro, loc.Zone = catalog.ScopeMetro, metro.ID, metro.Zone
	}
	return loc, nil
}

// Level maps a company's level: canonical is the company's canonical level spelling, standard the ladder rung for
// the track (manager true for manager titles); ok false when unmapped. canonical is also
// returned when the spelling is known but has no rung on the requested track (an Amazon
// "L6 SDM" asked for as an individual contributor); it is empty when the spelling is unknown.
func (m *Maps) Level(company, rawLevel string, manager bool) (canonical, standard string, ok bool) {
	e := m.levels[levelKey(companyKeyOf(company), FoldLevel(rawLevel))]
	if e == nil {
		return "", "", false
	}
	standard = e.IC
	if manager {
		standard = e.Manager
	}
	return e.Level, standard, standard != ""
}

// Location resolves free text: user entries first, then catalog.Geo.Resolve.
func (m *Maps) Location(text string) (catalog.Location, bool) {
	if loc, ok := m.locations[foldLocation(text)]; ok {
		loc.Query = text
		return loc, true
	}
	return catalog.Geo.Resolve(text)
}

// Observation normalises a row: company canonical name; CompanyLevel the canonical company level when the
// spelling is known, else the raw level trimmed; Title the title trimmed; Family from catalog.FamilyByID(title);
// Level the standard rung (manager track when the family's Track is catalog.TrackManager; the individual-contributor
// track when the title is unknown); Metro/Zone/Country from Location. Unmapped parts are left empty in the
// observation and flagged. Answers are memoised (see Maps).
func (m *Maps) Observation(r Row) (market.Observation, Unmapped) {
	m.mu.Lock()
	k := rowKey{r.Company, r.CompanyLevel, r.Title}
	rr, seen := m.rowMemo[k]
	if !seen {
		rr = m.rowLocked(r.Company, r.CompanyLevel, r.Title)
		m.rowMemo[k] = rr
	}
	lr, seen := m.locMemo[r.Location]
	if !seen {
		lr.loc, lr.ok = m.Location(r.Location)
		m.locMemo[r.Location] = lr
	}
	m.mu.Unlock()
	o := market.Observation{
		Company:      rr.company,
		CompanyLevel: rr.companyLevel,
		Title:        rr.title,
		Family:       rr.family,
		Level:        rr.level,
		Reported:     r.Reported,
		Base:         r.Base,
		Equity:       r.Equity,
		Bonus:        r.Bonus,
		Total:        r.Total,
		Tokens:       r.Tokens,
	}
	if lr.ok {
		o.Metro, o.Zone, o.Country = lr.loc.Metro, lr.loc.Zone, lr.loc.Country
	}
	return o, Unmapped{Family: !rr.familyOK, Level: !rr.levelOK, Location: !lr.ok}
}

type companyResult struct{ name, key string }

type familyResult struct {
	family catalog.Family
	ok     bool
}

// rowLocked normalises the company, level and title of a row; m.mu is held. The
// company and the title are memoised on their own, as they repeat across levels.
func (m *Maps) rowLocked(company, level, title string) rowResult {
	c, seen := m.companyMemo[company]
	if !seen {
		c.name = Company(company)
		c.key = CompanyKey(c.name)
		if first, ok := m.displayByKey[c.key]; ok {
			c.name = first
		} else {
			m.displayByKey[c.key] = c.name
		}
		m.companyMemo[company] = c
	}
	f, seen := m.familyMemo[title]
	if !seen {
		f.family, f.ok = catalog.FamilyByID(title)
		m.familyMemo[title] = f
	}
	rr := rowResult{company: c.name, title: strings.TrimSpace(title), companyLevel: strings.TrimSpace(level)}
	manager := false
	if f.ok {
		rr.family, rr.familyOK = f.family.ID, true
		manager = f.family.Track == catalog.TrackManager
	}
	if e := m.levels[levelKey(c.key, FoldLevel(level))]; e != nil {
		rr.companyLevel, rr.level = e.Level, e.IC
		if manager {
			rr.level = e.Manager
		}
		rr.levelOK = rr.level != ""
	}
	return rr
}

// foldLocation folds free text as catalog's resolver does (case, non-breaking and
// repeated spaces, trailing dots), and also drops the spaces around commas, so that
// "Austin,TX" and "austin , tx" are one key.
func foldLocation(s string) string {
	parts := strings.Split(strings.ToLower(s), ",")
	for i, p := range parts {
		parts[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.TrimRight(strings.Join(parts, ","), ". ")
}
