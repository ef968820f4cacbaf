package catalog

import (
	"cmp"
	"slices"
	"strings"
)

// A misspelt location used to be answered with every accepted name (some 300, 6 KB
// in each error). Suggest answers with the few a person most likely meant instead.

// suggestMaxQuery bounds the text compared: a longer query is no misspelling of a
// place, and the comparison's cost grows with its length.
const suggestMaxQuery = 64

type spelling struct {
	shown string // as a request may give it: "Seattle, WA", "London, United Kingdom", "seattle"
	full  string // normalised
	city  string // normalised part before the first comma
}

// Suggest lists up to n accepted spellings nearest to text, nearest first: metro
// cities as "City, ST" in the US and "City, Country" elsewhere, metro ids, country
// names. A spelling is near when the whole text, or its city alone, is within a few
// edits of it (one for a word of up to 4 letters, two up to 8, three beyond). It is
// empty when nothing is near.
func (g *Geography) Suggest(text string, n int) []string {
	q := normalise(text)
	if q == "" || len(q) > suggestMaxQuery || n <= 0 {
		return nil
	}
	qCity := q
	if i := strings.IndexByte(q, ','); i >= 0 {
		qCity = strings.TrimSpace(q[:i])
	}
	type near struct {
		shown string
		d     int
	}
	var found []near
	for _, s := range g.spellingList() {
		dFull, limFull := distance(q, s.full, allowedEdits(s.full)), allowedEdits(s.full)
		dCity, limCity := distance(qCity, s.city, allowedEdits(s.city)), allowedEdits(s.city)
		switch {
		case dFull <= limFull && dCity <= limCity:
			found = append(found, near{s.shown, min(dFull, dCity)})
		case dFull <= limFull:
			found = append(found, near{s.shown, dFull})
		case dCity <= limCity:
			found = append(found, near{s.shown, dCity})
		}
	}
	slices.SortFunc(found, func(a, b near) int { return cmp.Or(a.d-b.d, strings.Compare(a.shown, b.shown)) })
	var out []string
	for _, f := range found {
		if !slices.Contains(out, f.shown) {
			out = append(out, f.shown)
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// Nearest lists up to n of candidates nearest to text, nearest first (ties in the
// candidates' order), compared without case: those within a few edits, as Suggest
// counts them. For names that are data, not geography (companies).
func Nearest(text string, candidates []string, n int) []string {
	q := normalise(text)
	if q == "" || len(q) > suggestMaxQuery || n <= 0 {
		return nil
	}
	type near struct {
		i, d int
	}
	var found []near
	for i, c := range candidates {
		c = normalise(c)
		if lim := allowedEdits(c); len(c) <= suggestMaxQuery {
			if d := distance(q, c, lim); d <= lim {
				found = append(found, near{i, d})
			}
		}
	}
	slices.SortStableFunc(found, func(a, b near) int { return a.d - b.d })
	var out []string
	for _, f := range found[:min(n, len(found))] {
		out = append(out, candidates[f.i])
	}
	return out
}

// AcceptedCounts is how many metros and countries a request may name.
func (g *Geography) AcceptedCounts() (metros, countries int) { return len(g.metros), len(g.countries) }

// spellingList is built on the first misspelling, not with the geography: most
// processes never need it.
func (g *Geography) spellingList() []spelling {
	g.spellingsOnce.Do(func() {
		add := func(shown string) {
			full := normalise(shown)
			city := full
			if i := strings.IndexByte(full, ','); i >= 0 {
				city = strings.TrimSpace(full[:i])
			}
			g.spellings = append(g.spellings, spelling{shown: shown, full: full, city: city})
		}
		for _, m := range g.metros {
			for _, c := range m.Cities {
				if m.Country != "US" {
					c += ", " + g.countries[m.Country].Name
				}
				add(c)
			}
			add(m.ID)
		}
		for _, c := range g.countries {
			add(c.Name)
		}
	})
	return g.spellings
}

func allowedEdits(s string) int {
	switch {
	case len(s) <= 4:
		return 1
	case len(s) <= 8:
		return 2
	}
	return 3
}

// distance is the Levenshtein distance between a and b in bytes, or limit+1 once it
// is known to exceed limit.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
