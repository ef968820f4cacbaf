package catalog

import (
	"math"
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
	var found []near
	for i, s := range g.spellingList() {
		// Near by the whole text or by its city alone, whichever is nearer.
		d := math.MaxInt
		if df, lim := distance(q, s.full, allowedEdits(s.full)), allowedEdits(s.full); df <= lim {
			d = df
		}
		if dc, lim := distance(qCity, s.city, allowedEdits(s.city)), allowedEdits(s.city); dc <= lim {
			d = min(d, dc)
		}
		if d < math.MaxInt {
			found = append(found, near{i, d})
		}
	}
	return nearestFirst(found, n, func(i int) string { return g.spellings[i].shown })
}

// Nearest lists up to n of candidates nearest to text, nearest first (ties in the
// candidates' order), compared without case: those within a few edits, as Suggest
// counts them. For names that are data, not geography (companies).
func Nearest(text string, candidates []string, n int) []string {
	q := normalise(text)
	if q == "" || len(q) > suggestMaxQuery || n <= 0 {
		return nil
	}
	var found []near
	for i, c := range candidates {
		c = normalise(c)
		if d, lim := distance(q, c, allowedEdits(c)), allowedEdits(c); d <= lim {
			found = append(found, near{i, d})
		}
	}
	return nearestFirst(found, n, func(i int) string { return candidates[i] })
}

// near is a candidate (by index) within reach, d edits away.
type near struct{ i, d int }

// nearestFirst is the names of up to n distinct candidates found, nearest first, ties
// in the candidates' order.
func nearestFirst(found []near, n int, name func(int) string) []string {
	slices.SortStableFunc(found, func(a, b near) int { return a.d - b.d })
	var out []string
	for _, f := range found {
		if len(out) == n {
			break
		}
		if s := name(f.i); !slices.Contains(out, s) {
			out = append(out, s)
		}
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
		// The maps above have no order; ties between suggestions go by spelling.
		slices.SortFunc(g.spellings, func(a, b spelling) int { return strings.Compare(a.shown, b.shown) })
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

// maxEdits bounds distance's limit.
const maxEdits = 7

// distance is the Levenshtein distance between a and b in bytes, or limit+1 once it
// is known to exceed limit (at most maxEdits). Only cells within limit of the diagonal
// can stay within limit, so a row is those 2 x limit + 1 cells, on the stack: a
// suggestion compares the text with some 2,000 spellings.
func distance(a, b string, limit int) int {
	limit = min(limit, maxEdits)
	over := limit + 1
	if d := len(a) - len(b); d > limit || -d > limit {
		return over
	}
	// Cell k of row i is column j = i + k - limit.
	var prev, cur [2*maxEdits + 1]int
	w := 2*limit + 1
	for k := range w {
		prev[k] = over
		if j := k - limit; j >= 0 && j <= len(b) {
			prev[k] = j
		}
	}
	for i := 1; i <= len(a); i++ {
		rowMin := over
		for k := range w {
			v := over
			switch j := i + k - limit; {
			case j < 0 || j > len(b):
			case j == 0:
				v = min(i, over)
			default:
				cost := 1
				if a[i-1] == b[j-1] {
					cost = 0
				}
				v = prev[k] + cost // from (i-1, j-1)
				if k+1 < w {
					v = min(v, prev[k+1]+1) // from (i-1, j)
				}
				if k > 0 {
					v = min(v, cur[k-1]+1) // from (i, j-1)
				}
				v = min(v, over)
			}
			cur[k] = v
			rowMin = min(rowMin, v)
		}
		if rowMin >= over {
			return over
		}
		prev, cur = cur, prev
	}
	return prev[len(b)-len(a)+limit]
}
