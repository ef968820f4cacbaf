package normalize

import (
	"slices"
	"testing"

	"github.com/paymix/paymix/planner/catalog"
)

func TestLevel(t *testing.T) {
	m := NewMaps(nil, nil)
	for _, c := range []struct {
		company, level string
		manager        bool
		canonical, std string
		ok             bool
	}{
		// Google: the spellings of L5, and the numbers alone.
		{"Google", "L5", false, "L5", "IC3", true},
		{"Google", "l5", false, "L5", "IC3", true},
		{"Google", "L 5", false, "L5", "IC3", true},
		{"google llc", "L\u00a05", false, "L5", "IC3", true},
		{"Google", "5", false, "L5", "IC3", true},
		{"Google", "Senior SWE", false, "L5", "IC3", true},
		{"Google", "L3", false, "L3", "IC1", true},
		{"Google", "L9", false, "L9", "IC7", true},
		{"Google", "L6", true, "L6", "M1", true},
		{"Google", "L8", true, "L8", "M3", true},
		{"Google", "Manager (L6)", true, "Manager (L6)", "M1", true},
		{"Google", "Manager (L6)", false, "Manager (L6)", "", false}, // a manager level on the IC track
		{"Google", "L4", true, "L4", "", false},                      // no manager rung at L4
		{"Google", "T4", false, "", "", false},                       // technical-solutions ladder: unmapped
		// Microsoft: numbers, L-prefixed numbers, SDE titles.
		{"Microsoft", "60", false, "60", "IC1", true},
		{"Microsoft", "L60", false, "60", "IC1", true},
		{"Microsoft", "59", false, "59", "IC1", true},
		{"Microsoft", "SDE", false, "SDE", "IC1", true},
		{"Microsoft", "SDE II", false, "SDE II", "IC2", true},
		{"Microsoft", "63", false, "63", "IC3", true},
		{"Microsoft", "65", false, "65", "IC4", true},
		{"Microsoft", "67", false, "67", "IC5", true},
		{"Microsoft", "68", false, "68", "IC6", true},
		{"Microsoft", "70", false, "70", "IC7", true},
		{"Microsoft", "66", true, "66", "M1", true},
		{"Microsoft", "67", true, "67", "M2", true},
		{"Microsoft", "58", false, "", "", false},
		{"Microsoft", "Principal SDE", false, "", "", false}, // spans 65-67, two rungs
		// Amazon: SDE titles beside the L numbers; L6 SDM is a manager level.
		{"Amazon", "L5", false, "L5", "IC2", true},
		{"Amazon", "SDE II", false, "L5", "IC2", true},
		{"Amazon", "SDE 2", false, "L5", "IC2", true},
		{"Amazon", "sde-ii", false, "L5", "IC2", true},
		{"Amazon", "L4", false, "L4", "IC1", true},
		{"Amazon", "SDE I", false, "L4", "IC1", true},
		{"Amazon", "L6", false, "L6", "IC3", true},
		{"Amazon", "SDE III", false, "L6", "IC3", true},
		{"Amazon", "Senior SDE", false, "L6", "IC3", true},
		{"Amazon", "L7", false, "L7", "IC4", true},
		{"Amazon", "L8", false, "L8", "IC6", true},
		{"Amazon Web Services", "L6", false, "L6", "IC3", true},
		{"AWS", "sde ii", false, "L5", "IC2", true},
		{"Amazon", "L6 SDM", true, "L6 SDM", "M1", true},
		{"Amazon", "l6 sdm", true, "L6 SDM", "M1", true},
		{"Amazon", "L6 SDM", false, "L6 SDM", "", false},
		{"Amazon", "L6", true, "L6", "M1", true},
		{"Amazon", "L7", true, "L7", "M2", true},
		{"Amazon", "L3", false, "", "", false},
		// Meta: E5 beside IC5, under either company name; managers.
		{"Meta", "E5", false, "E5", "IC3", true},
		{"Facebook", "E5", false, "E5", "IC3", true},
		{"facebook", "IC5", false, "E5", "IC3", true},
		{"Facebook", "E3", false, "E3", "IC1", true},
		{"Facebook", "E7", false, "E7", "IC5", true},
		{"Facebook", "M1", true, "M1", "M1", true},
		{"Facebook", "M2", true, "M2", "M2", true},
		{"Facebook", "D1", true, "D1", "M3", true},
		{"Facebook", "M1", false, "M1", "", false},
		// Apple: ICT with and without the space.
		{"Apple", "ICT3", false, "ICT3", "IC2", true},
		{"Apple", "ICT 3", false, "ICT3", "IC2", true},
		{"Apple Inc.", "ict4", false, "ICT4", "IC3", true},
		{"Apple", "ICT2", false, "ICT2", "IC1", true},
		{"Apple", "ICT6", false, "ICT6", "IC5", true},
		{"Apple", "M1", true, "M1", "M1", true},
		// Others.
		{"Oracle", "IC4", false, "IC4", "IC3", true},
		{"Oracle", "Principal MTS", false, "IC4", "IC3", true},
		{"Oracle", "M3", true, "M3", "M2", true},
		{"Salesforce", "Lead MTS", false, "LMTS", "IC3", true},
		{"Intel", "Grade 8", false, "Grade 8", "IC3", true},
		{"Intel", "grade8", false, "Grade 8", "IC3", true},
		{"Uber", "L5A", false, "L5A", "IC3", true},
		{"Capital One", "Senior Associate", false, "Senior Associate", "IC1", true},
		{"Capital One", "Senior Manager", true, "Senior Manager", "M2", true},
		{"Walmart Labs", "Senior Software Engineer", false, "Senior Software Engineer", "IC3", true},
		{"JPMorgan Chase", "Vice President", false, "Vice President", "IC3", true},
		{"JPMorgan Chase", "601", false, "", "", false},
		// Unknown companies and levels.
		{"Acme", "L5", false, "", "", false},
		{"Google", "L99", false, "", "", false},
		{"Google", "", false, "", "", false},
		{"", "L5", false, "", "", false},
	} {
		canonical, std, ok := m.Level(c.company, c.level, c.manager)
		if canonical != c.canonical || std != c.std || ok != c.ok {
			t.Errorf("Level(%q, %q, manager=%v) = %q, %q, %v; want %q, %q, %v",
				c.company, c.level, c.manager, canonical, std, ok, c.canonical, c.std, c.ok)
		}
	}
}

// The built-in tables are well formed: known rungs, canonical company names, and no
// spelling claimed by two levels of one company.
func TestBuiltinLevelsAreConsistent(t *testing.T) {
	if r := NewMaps(nil, nil).Rejected(); len(r) != 0 {
		t.Fatalf("built-in entries rejected: %v", r)
	}
	owner := map[string]string{}
	for _, e := range BuiltinLevels {
		if Company(e.Company) != e.Company {
			t.Errorf("%s %s: company is not canonical (%q)", e.Company, e.Level, Company(e.Company))
		}
		if e.IC == "" && e.Manager == "" {
			t.Errorf("%s %s: maps to no rung", e.Company, e.Level)
		}
		for _, s := range append([]string{e.Level}, e.Variants...) {
			k := levelKey(CompanyKey(e.Company), FoldLevel(s))
			if prev, ok := owner[k]; ok {
				t.Errorf("%s: %q is claimed by %s and %s", e.Company, s, prev, e.Level)
			}
			owner[k] = e.Level
		}
	}
}

// Google, Meta, Amazon, Microsoft and Apple follow the ladder table exactly (catalog.Ladder
// holds its company columns).
func TestBuiltinLevelsFollowTheLadder(t *testing.T) {
	m := NewMaps(nil, nil)
	checked := 0
	for _, l := range catalog.Ladder {
		for company, levels := range l.Equivalents {
			for _, level := range levels {
				canonical, std, ok := m.Level(company, level, false)
				if !ok || std != l.ID || canonical != level {
					t.Errorf("%s %s maps to %q %q %v; the ladder says %s", company, level, canonical, std, ok, l.ID)
				}
				checked++
			}
		}
	}
	// And nothing of those five maps to an IC rung the table does not give it.
	for _, e := range BuiltinLevels {
		for _, l := range catalog.Ladder {
			levels, ok := l.Equivalents[e.Company]
			if ok && l.ID == e.IC && !slices.Contains(levels, e.Level) && e.Level != "SDE" && e.Level != "SDE II" && e.Level != "Senior SDE" {
				t.Errorf("%s %s is mapped to %s, which the ladder table gives to %v", e.Company, e.Level, e.IC, levels)
			}
		}
	}
	if checked != 37 {
		t.Errorf("checked %d ladder cells, want 37", checked)
	}
}

func TestUserLevelsOverrideBuiltins(t *testing.T) {
	m := NewMaps([]LevelEntry{
		// Same company and level: replaces the built-in entry with all its spellings.
		{Company: "Google", Level: "L5", Variants: []string{"L5 Senior"}, IC: "IC4"},
		// A user spelling wins over a built-in one of another level.
		{Company: "Amazon", Level: "SDE II (custom)", Variants: []string{"SDE II"}, IC: "IC3"},
		// No rung: unmaps the built-in level.
		{Company: "Google", Level: "L7"},
		// Company names are canonicalised: Facebook is Meta.
		{Company: "Facebook", Level: "e6", IC: "ic5", Manager: "m2"},
		// A company with no built-in map.
		{Company: "Acme Inc.", Level: "P3", Variants: []string{"Senior Engineer"}, IC: "IC3", Manager: "M1"},
		// Rejected: unknown or wrong-track rungs, missing fields.
		{Company: "Acme", Level: "P9", IC: "IC9"},
		{Company: "Acme", Level: "P8", IC: "M1"},
		{Company: "Acme", Level: "P7", Manager: "IC2"},
		{Company: "", Level: "P6", IC: "IC1"},
		{Company: "Acme", Level: " ", IC: "IC1"},
	}, nil)
	for _, c := range []struct {
		company, level string
		manager        bool
		canonical, std string
		ok             bool
	}{
		{"Google", "L5", false, "L5", "IC4", true},
		{"Google", "l5 senior", false, "L5", "IC4", true},
		{"Google", "Senior SWE", false, "", "", false}, // the built-in spelling went with the entry
		{"Google", "5", false, "", "", false},
		{"Google", "L5", true, "L5", "", false}, // and so did its manager rung
		{"Google", "L4", false, "L4", "IC2", true},
		{"Amazon", "SDE II", false, "SDE II (custom)", "IC3", true},
		{"Amazon", "L5", false, "L5", "IC2", true},
		{"Google", "L7", false, "L7", "", false},
		{"Meta", "E6", false, "e6", "IC5", true},
		{"Facebook", "IC6", false, "", "", false},
		{"Meta", "E6", true, "e6", "M2", true},
		{"ACME", "senior engineer", false, "P3", "IC3", true},
		{"Acme Inc", "P3", true, "P3", "M1", true},
		{"Acme", "P9", false, "", "", false},
	} {
		canonical, std, ok := m.Level(c.company, c.level, c.manager)
		if canonical != c.canonical || std != c.std || ok != c.ok {
			t.Errorf("Level(%q, %q, manager=%v) = %q, %q, %v; want %q, %q, %v",
				c.company, c.level, c.manager, canonical, std, ok, c.canonical, c.std, c.ok)
		}
	}
	if r := m.Rejected(); len(r) != 5 {
		t.Errorf("rejected %d entries, want 5: %v", len(r), r)
	}
	// The built-in table itself is untouched.
	if _, std, _ := NewMaps(nil, nil).Level("Google", "L5", false); std != "IC3" {
		t.Errorf("built-in Google L5 is now %q", std)
	}
}
