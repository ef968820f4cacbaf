package tokens

import (
	"testing"
	"time"
)

func TestTokensFromDollars(t *testing.T) {
	opus := Price{Model: "claude-opus-4.5", Input: 5, CachedInput: 0.5, Output: 25}
	allInput := UsageMix{InputPercent: 100}
	allOutput := UsageMix{OutputPercent: 100}
	cases := []struct {
		name string
		mix  UsageMix
		want float64
	}{
		// REFERENCE.md: $100,000 on a $5/$25 model is 20 billion tokens if all input,
		// 4 billion if all output.
		{"$100k all input at $5/M", allInput, 20e9},
		{"$100k all output at $25/M", allOutput, 4e9},
		// Default mix: 0.20*5 + 0.75*0.5 + 0.05*25 = 2.625 $/M -> 100000/2.625e-6.
		{"$100k at the default mix", DefaultUsageMix, 38095238095},
	}
	for _, c := range cases {
		got, ok := PerYear(100000, Blended(opus, c.mix))
		if !ok || got != c.want {
			t.Errorf("%s: %v tokens (ok %v), want %v", c.name, got, ok, c.want)
		}
	}
	if _, ok := PerYear(100000, 0); ok {
		t.Error("a free model must not give a token count")
	}
}

// The default mix on Sonnet 4.5 lands near the $1.5/M blended cost implied by public
// reporting (60T tokens for about $90M): 0.2*3 + 0.75*0.3 + 0.05*15 = 1.575.
func TestDefaultMixMatchesReportedBlendedCost(t *testing.T) {
	for _, p := range DefaultPriceBook {
		if p.Model == "claude-sonnet-4.5" {
			if got := Blended(p, DefaultUsageMix); got < 1.574999 || got > 1.575001 {
				t.Fatalf("blended Sonnet price %v, want 1.575", got)
			}
			return
		}
	}
	t.Fatal("claude-sonnet-4.5 missing from the default price book")
}

func TestDefaultPriceBook(t *testing.T) {
	families := map[string]int{}
	for _, p := range DefaultPriceBook {
		families[p.Family]++
		if p.Effective.IsZero() || p.Source == "" || p.Input <= 0 || p.Output <= p.Input || p.CachedInput >= p.Input {
			t.Errorf("incomplete or odd entry %+v", p)
		}
	}
	for _, f := range []string{"claude", "gpt", "gemini"} {
		if families[f] == 0 {
			t.Errorf("no %s model in the default price book", f)
		}
	}
}

func TestMerge(t *testing.T) {
	d := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	discounted := Price{Model: "gpt-5", Input: 1, CachedInput: 0.1, Output: 8, Effective: d}
	custom := Price{Model: "in-house-coder", Input: 0.2, CachedInput: 0.02, Output: 1, Effective: d}
	got := Merge(DefaultPriceBook, []Price{discounted, custom})
	if len(got) != len(DefaultPriceBook)+1 {
		t.Fatalf("merged book has %d entries, want %d", len(got), len(DefaultPriceBook)+1)
	}
	for _, p := range got {
		if p.Model == "gpt-5" && p.Input != 1 {
			t.Errorf("gpt-5 not replaced: %+v", p)
		}
	}
	if got[len(got)-1].Model != "in-house-coder" {
		t.Errorf("new model not appended: %+v", got[len(got)-1])
	}
	for _, p := range DefaultPriceBook {
		if p.Model == "gpt-5" && p.Input != 1.25 {
			t.Fatal("Merge changed the default price book")
		}
	}
}
