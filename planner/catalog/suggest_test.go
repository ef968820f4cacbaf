package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"San Fransisco, CA", []string{"San Francisco, CA"}},
		{"Seatle", []string{"Seattle, WA", "seattle"}},
		{"seatle, wa", []string{"Seattle, WA", "seattle"}},
		{"Londn", []string{"London, United Kingdom", "london", "Lindon, UT"}},
		{"Germny", []string{"Germany"}},
		{"Atlantis", []string{"Atlanta, GA", "atlanta"}},
		{"Lyon, Narnia", []string{"Lynn, MA", "Layton, UT"}}, // by the city alone
		{"Xyzzyq", nil},
		{"", nil},
		{strings.Repeat("Seattle", 20), nil}, // longer than any place: not compared
	} {
		if got := Geo.Suggest(c.text, 3); !slices.Equal(got, c.want) {
			t.Errorf("Suggest(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if got := Geo.Suggest("Seatle", 1); !slices.Equal(got, []string{"Seattle, WA"}) {
		t.Errorf("Suggest(Seatle, 1) = %q", got)
	}
	// Every suggestion resolves: it is a spelling a request may give.
	for _, text := range []string{"Bostn", "Pari", "Torronto", "Bangalor", "Sidney", "Untied States", "sf-bay-are"} {
		got := Geo.Suggest(text, 3)
		if len(got) == 0 {
			t.Errorf("Suggest(%q) is empty", text)
		}
		for _, s := range got {
			if _, ok := Geo.Resolve(s); !ok {
				t.Errorf("Suggest(%q) gives %q, which does not resolve", text, s)
			}
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b        string
		limit, want int
	}{
		{"kitten", "sitting", 5, 3},
		{"", "abc", 5, 3},
		{"abc", "abc", 0, 0},
		{"flaw", "lawn", 5, 2},
		{"kitten", "sitting", 2, 3}, // beyond the limit: limit + 1
		{"a", "abcdef", 2, 3},
	} {
		if got := distance(c.a, c.b, c.limit); got != c.want {
			t.Errorf("distance(%q, %q, %d) = %d, want %d", c.a, c.b, c.limit, got, c.want)
		}
	}
}

// What a miss costs: the error path of a band, and every band whose city widens to
// its country ("Omaha, NE").
func BenchmarkSuggest(b *testing.B) {
	Geo.Suggest("warm", 1)
	b.ReportAllocs()
	for b.Loop() {
		Geo.Suggest("Omaha, NE", 3)
	}
}

// The banded distance agrees with the full dynamic programme wherever either is
// within the limit.
func FuzzDistance(f *testing.F) {
	for _, s := range [][2]string{{"kitten", "sitting"}, {"seatle", "seattle"}, {"", "ab"}, {"abcd", "dcba"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > suggestMaxQuery || len(b) > suggestMaxQuery {
			return
		}
		full := levenshtein(a, b)
		for limit := 0; limit <= maxEdits; limit++ {
			want := min(full, limit+1)
			if got := distance(a, b, limit); got != want {
				t.Fatalf("distance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
			}
		}
	})
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
