// Package tokens holds the maths of the token pay component: price books of LLM list
// prices, usage mixes, and the conversion of a dollar budget into tokens per model.
package tokens

import (
	"math"
	"time"
)

// Price is one dated price-book entry, in USD per million tokens.
type Price struct {
	Model       string
	Vendor      string
	Family      string // claude, gpt, gemini
	Input       float64
	CachedInput float64
	Output      float64
	Effective   time.Time // the date from which the prices apply
	Source      string
}

// UsageMix is how a budget is spent, in percent of tokens: input, cached input and
// output, summing to 100.
type UsageMix struct {
	InputPercent, CachedInputPercent, OutputPercent float64
}

// IsZero reports whether no share is set (the caller wants the default).
func (m UsageMix) IsZero() bool { return m == UsageMix{} }

// DefaultUsageMix is a cache-heavy agentic-coding mix: 20% fresh input, 75% cache hits
// and 5% output. On Claude Sonnet 4.5 list prices it blends to $1.58 per million, in
// line with the $1.5 per million implied by a reported 60T tokens for about $90M in 30
// days (REFERENCE.md, "AI tokens as pay").
var DefaultUsageMix = UsageMix{InputPercent: 20, CachedInputPercent: 75, OutputPercent: 5}

// Blended is the price per million tokens at a usage mix:
// share_in * p_in + share_cached * p_cached + share_out * p_out.
func Blended(p Price, m UsageMix) float64 {
	return (m.InputPercent*p.Input + m.CachedInputPercent*p.CachedInput + m.OutputPercent*p.Output) / 100
}

// PerYear is how many tokens a yearly budget in USD buys at a blended price per million
// tokens: budget / blended * 10^6, rounded to whole tokens. A free model gives 0 and
// ok false, since the count would be unbounded.
func PerYear(budgetUSD, blendedPerMillion float64) (tokens float64, ok bool) {
	exact, ok := Exact(budgetUSD, blendedPerMillion)
	return math.Round(exact), ok
}

// Exact is budget / blended * 10^6 unrounded: a figure derived from it (tokens a
// month) is rounded once, from this.
func Exact(budgetUSD, blendedPerMillion float64) (tokens float64, ok bool) {
	if blendedPerMillion <= 0 {
		return 0, false
	}
	return budgetUSD / blendedPerMillion * 1e6, true
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	snapshotSource = "llm-prices public data set, snapshot of 2026-08-05, and vendor pricing pages"
	// cacheHitDivisor: a cache hit costs a tenth of the input price. Anthropic lists
	// cache hits at 0.1x input; OpenAI and Google list cached input at (or near) the same
	// 0.1x for the models here, so one rule serves all three families. Dividing by 10,
	// not multiplying by 0.1 (which is not exact in binary), gives the price as the
	// vendors write it: 3 / 10 is 0.3, where 3 * 0.1 is 0.30000000000000004.
	cacheHitDivisor = 10
)

// listPrice builds an entry whose cached-input price is the cache-hit share of input.
func listPrice(model, vendor, family string, input, output float64, effective string) Price {
	return Price{Model: model, Vendor: vendor, Family: family, Input: input,
		CachedInput: input / cacheHitDivisor, Output: output, Effective: day(effective), Source: snapshotSource}
}

// DefaultPriceBook holds list prices published by mid-2026 for the Claude, GPT and
// Gemini families (REFERENCE.md, "LLM list prices"). Each entry carries the date from
// which its prices apply; entries without a published start date carry the snapshot date.
var DefaultPriceBook = []Price{
	listPrice("claude-opus-4.5", "Anthropic", "claude", 5, 25, "2026-08-05"),
	listPrice("claude-sonnet-4.5", "Anthropic", "claude", 3, 15, "2026-08-05"),
	listPrice("claude-haiku-4.5", "Anthropic", "claude", 1, 5, "2026-08-05"),
	listPrice("gpt-5.5", "OpenAI", "gpt", 5, 30, "2026-04-23"),
	listPrice("gpt-5", "OpenAI", "gpt", 1.25, 10, "2026-08-05"),
	listPrice("gpt-5-mini", "OpenAI", "gpt", 0.25, 2, "2026-08-05"),
	listPrice("gemini-3.1-pro", "Google", "gemini", 2, 12, "2026-02-19"),
	listPrice("gemini-2.5-pro", "Google", "gemini", 1.25, 10, "2026-08-05"),
	listPrice("gemini-2.5-flash", "Google", "gemini", 0.3, 2.5, "2026-08-05"),
}

// Merge returns the base price book with overrides applied: an override replaces the
// entry of the same model and a new model is appended, so callers can add a negotiated
// price without restating the whole book.
func Merge(base, overrides []Price) []Price {
	if len(overrides) == 0 {
		return base
	}
	out := append([]Price(nil), base...)
	for _, o := range overrides {
		replaced := false
		for i := range out {
			if out[i].Model == o.Model {
				out[i], replaced = o, true
				break
			}
		}
		if !replaced {
			out = append(out, o)
		}
	}
	return out
}
