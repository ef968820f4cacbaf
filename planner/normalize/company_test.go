package normalize

import "testing"

func TestCompanyKey(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"Google", "google"},
		{"GOogle", "google"},
		{"\u00a0Google", "google"},
		{"Google LLC", "google"},
		{"google llc", "google"},
		{"Apple Inc.", "apple"},
		{"Apple, Inc", "apple"},
		{"Dell Technologies, Inc.", "dell technologies"},
		{"Microsoft  Corporation", "microsoft"},
		{"Acme Corp", "acme"},
		{"Acme Ltd", "acme"},
		{"Bloomberg L.P.", "bloomberg"},
		{"Capital\tOne", "capital one"},
		{"Capital\u00a0\u00a0One ", "capital one"},
		{"J.P. Morgan", "jp morgan"},
		{"JP Morgan", "jp morgan"},
		{"Ernst & Young", "ernst young"},
		{"T-Mobile", "tmobile"},
		{"Booking.com", "bookingcom"},
		{"Inc", "inc"}, // a suffix alone is the name
		{"  ", ""},
		{"", ""},
	} {
		if got := CompanyKey(c.raw); got != c.want {
			t.Errorf("CompanyKey(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}

func TestCompany(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"Facebook", "Meta"},
		{"facebook ", "Meta"},
		{"FACEBOOK", "Meta"},
		{"Meta", "Meta"},
		{"Meta Platforms", "Meta"},
		{"Meta Platforms, Inc.", "Meta"},
		{"Amazon", "Amazon"},
		{"AMazon", "Amazon"},
		{"Amazon Web Services", "Amazon"},
		{"AWS", "Amazon"},
		{"amazon.com", "Amazon"},
		{"Google", "Google"},
		{"google llc", "Google"},
		{"\u00a0Google", "Google"},
		{"Alphabet", "Google"},
		{"Alphabet Inc.", "Google"},
		{"Microsoft Corporation", "Microsoft"},
		{"Apple Inc.", "Apple"},
		{"Walmart Labs", "Walmart"},
		{"JP Morgan Chase", "JPMorgan Chase"},
		{"JPmorgan Chase", "JPMorgan Chase"},
		{"Cisco Systems", "Cisco"},
		{"Ernst & Young", "Ernst and Young"},
		{"LinkedIn", "LinkedIn"}, // owned by Microsoft, but its own ladder
		{"linkedin", "LinkedIn"},
		{"  Acme\u00a0  Widgets ", "Acme Widgets"}, // unknown: trimmed and collapsed, case kept
		{"acme widgets", "acme widgets"},
		{"", ""},
	} {
		if got := Company(c.raw); got != c.want {
			t.Errorf("Company(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}

// Every canonical name and alias folds to its own key: no two companies share one.
func TestCompanyAliasesAreUnambiguous(t *testing.T) {
	owner := map[string]string{}
	for name, aliases := range companyAliases {
		if got := Company(name); got != name {
			t.Errorf("Company(%q) = %q: a canonical name must be its own canonical name", name, got)
		}
		for _, n := range append([]string{name}, aliases...) {
			k := CompanyKey(n)
			if k == "" {
				t.Errorf("%q folds to nothing", n)
			}
			if prev, ok := owner[k]; ok && prev != name {
				t.Errorf("%q (%s) folds to %q, already %s", n, name, k, prev)
			}
			owner[k] = name
		}
	}
}

func TestFoldLevel(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"L5", "l5"}, {"l5", "l5"}, {"L 5", "l5"}, {"L-5", "l5"}, {"L5.", "l5"}, {"L\u00a05", "l5"},
		{"SDE II", "sdeii"}, {"sde_ii", "sdeii"}, {"ICT 3", "ict3"}, {"L5/SDE2", "l5/sde2"}, {"Manager (L6)", "manager(l6)"},
	} {
		if got := FoldLevel(c.raw); got != c.want {
			t.Errorf("FoldLevel(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}
