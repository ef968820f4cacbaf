package catalog

import (
	"strings"
	"testing"
)

// FuzzResolve: free text never panics, and whatever resolves is consistent: its ids
// exist, a metro lies in its zone and country, and case and spacing do not matter.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"San Francisco, CA", "Bengaluru, KA, India", "London, EN, United Kingdom", "Omaha, NE",
		"us-tier-1", "Canada", ",,,", " , CA", "Seattle, WA, United States", "\u00a0", "a,b,c,d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		loc, ok := Geo.Resolve(text)
		if !ok {
			return
		}
		if _, found := Geo.Country(loc.Country); !found {
			t.Fatalf("%q: unknown country %+v", text, loc)
		}
		if loc.Scope == ScopeMetro {
			m, found := Geo.Metro(loc.Metro)
			if !found || m.Zone != loc.Zone || m.Country != loc.Country {
				t.Fatalf("%q: inconsistent metro %+v", text, loc)
			}
		}
		again, ok2 := Geo.Resolve(strings.ToUpper(text))
		if !ok2 || again.ID() != loc.ID() || again.Scope != loc.Scope {
			t.Fatalf("%q resolves to %+v but upper case to %+v", text, loc, again)
		}
	})
}

// FuzzNormalFastPath: the fast path answers "unchanged" only when the full
// normalisation leaves the text as it is.
func FuzzNormalFastPath(f *testing.F) {
	for _, s := range []string{"us-sf-bay", "san francisco, ca", "San Francisco, CA", "a  b", "a ,b", "x.", " x", "x ",
		"korea, south", "seattle\twa", "zürich", "", "a", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if normal(s) {
			if folded := fold(s); folded != s {
				t.Fatalf("normal(%q) but it folds to %q", s, folded)
			}
		}
	})
}

func TestNormalFastPath(t *testing.T) {
	for s, want := range map[string]bool{"us-sf-bay": true, "san francisco, ca": true, "": true,
		"San Francisco, CA": false, "a  b": false, "a ,b": false, "x.": false, " x": false, "korea, south": false,
		"seattle\twa": false, "zürich": false} {
		if got := normal(s); got != want {
			t.Errorf("normal(%q) = %v, want %v", s, got, want)
		}
	}
}
