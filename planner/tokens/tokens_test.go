package tokens

import (
	"math"
	"strings"
	"testing"
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
	for _, p := range BuiltInPrices {
		if p.Model == "claude-sonnet-4.5" {
			if got := Blended(p, DefaultUsageMix); got < 1.574999 || got > 1.575001 {
				t.Fatalf("blended Sonnet price %v, want 1.575", got)
			}
			return
		}
	}
	t.Fatal("claude-sonnet-4.5 missing from the default price book")
}

func TestBuiltInPrices(t *testing.T) {
	families := map[string]int{}
	for _, p := range BuiltInPrices {
		families[p.Family]++
		if p.Effective.IsZero() || p.Source == "" || p.Input <= 0 || p.Output <= p.Input || p.CachedInput >= p.Input {
			t.Errorf("incomplete or odd entry %+v", p)
		}
		if tier := p.LongContext; tier != nil && (tier.ThresholdInputTokens <= 0 || tier.Input <= p.Input || tier.Output <= p.Output) {
			t.Errorf("%s: a long-context tier below list prices %+v", p.Model, tier)
		}
	}
	for _, f := range []string{"claude", "gpt", "gemini"} {
		if families[f] == 0 {
			t.Errorf("no %s model in the built-in book", f)
		}
	}
	// The models of August and of November 2026, every one priced today.
	today := BuiltIn.At(day("2026-12-01"))
	if len(today) != 23 {
		t.Errorf("%d models priced on 2026-12-01, want 23 (9 of August, 14 of November)", len(today))
	}
}

var budget = 100000.0

// tokensAt is the yearly token count of $100,000 on a model of the built-in book at a
// date and mix.
func tokensAt(t *testing.T, b *Book, model, date string, mix UsageMix) (float64, float64) {
	t.Helper()
	r, ok := b.Find(model, day(date))
	if !ok {
		t.Fatalf("%s has no price on %s", model, date)
	}
	blended := Blended(r.Price, mix)
	n, ok := PerYear(budget, blended)
	if !ok {
		t.Fatalf("%s is free on %s", model, date)
	}
	return blended, n
}

// Gemini 4 Argon doubles on 2026-12-01: at the default mix (20 / 75 / 5) the blended
// price is 0.2 x 2 + 0.75 x 0.10 + 0.05 x 10 = 0.975 through 2026-11-30, and
// 0.2 x 4 + 0.75 x 0.20 + 0.05 x 20 = 1.95 from 2026-12-01.
func TestPricesChangeOnTheirDates(t *testing.T) {
	for _, c := range []struct {
		model, date     string
		blended, tokens float64
	}{
		{"gemini-4-argon", "2026-11-30", 0.975, 102_564_102_564}, // round(10^11 / 0.975)
		{"gemini-4-argon", "2026-12-01", 1.95, 51_282_051_282},   // round(10^11 / 1.95)
		// Claude Sonnet 5.5's cached input: 0.20 until 2026-10-06, 0.10 from 2026-10-07.
		{"claude-sonnet-5.5", "2026-10-06", 1.05, 95_238_095_238},   // 0.4 + 0.75 x 0.20 + 0.5
		{"claude-sonnet-5.5", "2026-10-07", 0.975, 102_564_102_564}, // 0.4 + 0.75 x 0.10 + 0.5
	} {
		blended, n := tokensAt(t, BuiltIn, c.model, c.date, DefaultUsageMix)
		if math.Abs(blended-c.blended) > 1e-12 || n != c.tokens {
			t.Errorf("%s on %s: blended %v, %v tokens a year; want %v, %v", c.model, c.date, blended, n, c.blended, c.tokens)
		}
	}
	r, _ := BuiltIn.Find("gemini-4-argon", day("2026-11-30"))
	if r.Effective != day("2026-11-15") || !strings.Contains(r.Source, "dated 2026-11-15") || r.Layer != BuiltInName {
		t.Errorf("Argon's first price: %+v", r)
	}
	// Before a published start a model has no price; an undated price (no start
	// published) stands for earlier dates.
	if r, ok := BuiltIn.Find("gpt-6-astra", day("2026-09-02")); ok {
		t.Errorf("GPT-6 Astra is priced before its release: %+v", r)
	}
	if r, ok := BuiltIn.Find("gemini-4-argon", day("2026-11-01")); !ok || r.Input != 2 || r.Effective != day("2026-11-15") {
		t.Errorf("Argon before its collection date: %+v %v", r, ok)
	}
	if r, ok := BuiltIn.Find("claude-sonnet-5.5", day("2026-09-01")); !ok || r.CachedInput != 0.20 {
		t.Errorf("Sonnet 5.5 before 2026-10-06: %+v %v", r, ok)
	}
	if r, ok := BuiltIn.Find("claude-sonnet-4.5", day("2026-06-01")); !ok || r.Effective != day("2026-08-05") {
		t.Errorf("an August 2026 snapshot price stands for June: %+v %v", r, ok)
	}
}

// A long-context share pays the tier for all its tokens; a batch share buys at the
// multiplier; both are shares of spend, so the budget buys the sum of what each part
// buys: B = 1 / sum(share / price).
func TestTiersAndMultipliers(t *testing.T) {
	// Claude Haiku 5.5, half of the budget on prompts over 100k tokens: list 0.0525
	// (0.02 + 0.0075 + 0.025), tier 0.2625 (0.1 + 0.0375 + 0.125, cached at 5x as input
	// is), B = 1 / (0.5 / 0.0525 + 0.5 / 0.2625) = 7 / 80 = 0.0875.
	mix := DefaultUsageMix
	mix.LongContextPercent = 50
	blended, n := tokensAt(t, BuiltIn, "claude-haiku-5.5", "2026-12-01", mix)
	if blended != 0.0875 || n != 1_142_857_142_857 {
		t.Errorf("Haiku 5.5 half long-context: %v, %v tokens", blended, n)
	}
	// Claude Opus 5.5, 30% of the budget in batch at 0.5x: list 1.95, batch 0.975,
	// B = 1 / (0.7 / 1.95 + 0.3 / 0.975) = 1.95 / 1.3 = 1.5.
	mix = DefaultUsageMix
	mix.BatchPercent = 30
	blended, n = tokensAt(t, BuiltIn, "claude-opus-5.5", "2026-12-01", mix)
	if blended != 1.5 || n != 66_666_666_667 {
		t.Errorf("Opus 5.5 30%% batch: %v, %v tokens", blended, n)
	}
	// A model without the tier or multiplier is priced at list for that share.
	sonnet, _ := BuiltIn.Find("claude-sonnet-5.5", day("2026-12-01"))
	if got, list := Blended(sonnet.Price, mix), Blended(sonnet.Price, DefaultUsageMix); got != list {
		t.Errorf("Sonnet 5.5 offers no batch here: %v, want the list blend %v", got, list)
	}
	// GPT-6 Astra at priority (2x) for 10%, long context (2x input, 1.5x output) for 20%:
	// list 0.2 x 10 + 0.75 x 1 + 0.05 x 50 = 5.25; tier 4 + 1.5 + 3.75 = 9.25;
	// priority 10.5; B = 1 / (0.7 / 5.25 + 0.2 / 9.25 + 0.1 / 10.5) = 6.07981220657...,
	// kept to a billionth of a dollar.
	mix = DefaultUsageMix
	mix.LongContextPercent, mix.PriorityPercent = 20, 10
	astra, _ := BuiltIn.Find("gpt-6-astra", day("2026-12-01"))
	if got := Blended(astra.Price, mix); got != 6.079812207 {
		t.Errorf("GPT-6 Astra: %v, want 6.079812207", got)
	}
}

// Layers: a model's price at a date is the highest layer's in effect then; a discount
// takes its percentage off what the layers below have at that date; a layer's prices
// before their dates leave the layers below in place.
func TestBookLayers(t *testing.T) {
	org := Layer{Name: "organizations/acme/priceBook", Date: day("2026-11-20"),
		Prices: []Price{
			{Model: "gemini-4-argon", Vendor: "Google", Family: "gemini", Input: 1, CachedInput: 0.05, Output: 5, Effective: day("2026-12-01"), Source: "contract"},
			{Model: "acme-coder", Vendor: "Acme", Family: "in-house", Input: 0.2, CachedInput: 0.02, Output: 1, Effective: day("2026-10-01")},
		},
		Discounts: []Discount{{Model: "claude-sonnet-5.5", Percent: 20, Effective: day("2026-11-01"), Source: "enterprise agreement"}},
	}
	book := BuiltIn.With(org)
	argon, _ := book.Find("gemini-4-argon", day("2026-12-01"))
	if argon.Input != 1 || argon.Layer != org.Name {
		t.Errorf("the negotiated Argon price: %+v", argon)
	}
	if before, _ := book.Find("gemini-4-argon", day("2026-11-30")); before.Input != 2 || before.Layer != BuiltInName {
		t.Errorf("before the negotiated price, the list price: %+v", before)
	}
	sonnet, _ := book.Find("claude-sonnet-5.5", day("2026-12-01"))
	if sonnet.CachedInput != 0.08 || sonnet.Input != 1.6 || sonnet.DiscountPercent != 20 || sonnet.Layer != org.Name {
		t.Errorf("Sonnet 5.5 at 20%% off: %+v", sonnet)
	}
	if early, _ := book.Find("claude-sonnet-5.5", day("2026-10-31")); early.DiscountPercent != 0 || early.Input != 2 {
		t.Errorf("before the discount's date: %+v", early)
	}
	if own, ok := book.Find("acme-coder", day("2026-12-01")); !ok || own.Input != 0.2 {
		t.Errorf("the organisation's own model: %+v", own)
	}
	if _, ok := BuiltIn.Find("acme-coder", day("2026-12-01")); ok {
		t.Error("another organisation's model leaked into the built-in book")
	}
	if BuiltIn.With() != BuiltIn || len(book.Layers()) != 2 {
		t.Error("With")
	}
	// A policy's own price on top wins over both.
	policy := book.With(Layer{Name: "policy", Prices: []Price{{Model: "gemini-4-argon", Input: 3, CachedInput: 0.3, Output: 9, Effective: day("2026-01-01")}}})
	if p, _ := policy.Find("gemini-4-argon", day("2026-12-01")); p.Input != 3 || p.Layer != "policy" {
		t.Errorf("the policy's price: %+v", p)
	}
}
