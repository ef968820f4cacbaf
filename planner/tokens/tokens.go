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
	// Undated says that no start was published: Effective is when the price was
	// collected (or last known to apply), and a date before it, with no other price in
	// effect, takes this one as the best figure known.
	Undated bool
	Source  string
	// LongContext is the model's long-context tier, if it has one: a request with more
	// input tokens than the threshold pays the tier's prices for all its tokens.
	LongContext *Tier
	// Batch and Priority multiply every price for batch and priority processing, where
	// the vendor offers them (0: not offered, list prices apply).
	Batch, Priority float64
}

// Tier is a long-context price tier.
type Tier struct {
	ThresholdInputTokens int64
	Input                float64
	CachedInput          float64
	Output               float64
}

// UsageMix is how a budget is spent: input, cached input and output in percent of
// tokens, summing to 100; and the percentages of the budget spent on long-context
// requests, in batch and at priority (the rest at list prices), summing to at most 100.
type UsageMix struct {
	InputPercent, CachedInputPercent, OutputPercent   float64
	LongContextPercent, BatchPercent, PriorityPercent float64
}

// IsZero reports whether no token share is set (the caller wants the default shares;
// spend shares, if any, stay).
func (m UsageMix) IsZero() bool {
	return m.InputPercent == 0 && m.CachedInputPercent == 0 && m.OutputPercent == 0
}

// WithDefaultShares is the mix with the default token shares where none is set.
func (m UsageMix) WithDefaultShares() UsageMix {
	if m.IsZero() {
		m.InputPercent, m.CachedInputPercent, m.OutputPercent = DefaultUsageMix.InputPercent, DefaultUsageMix.CachedInputPercent, DefaultUsageMix.OutputPercent
	}
	return m
}

// DefaultUsageMix is a cache-heavy agentic-coding mix: 20% fresh input, 75% cache hits
// and 5% output, all at list prices. On Claude Sonnet 4.5 list prices it blends to
// $1.58 per million, in line with the $1.5 per million implied by a reported 60T
// tokens for about $90M in 30 days (REFERENCE.md, "AI tokens as pay").
var DefaultUsageMix = UsageMix{InputPercent: 20, CachedInputPercent: 75, OutputPercent: 5}

// Blended is the price per million tokens at a usage mix. At list prices it is
// share_in * p_in + share_cached * p_cached + share_out * p_out. With spend shares,
// each part of the budget buys tokens at its own blended price (the long-context
// tier's prices, or list prices times the batch or priority multiplier; list prices
// where the model has no such tier), and the result is the budget over the tokens
// bought: 1 / sum(share_i / blended_i).
func Blended(p Price, m UsageMix) float64 {
	list := mixPrice(p.Input, p.CachedInput, p.Output, m)
	long, batch, prio := m.LongContextPercent/100, m.BatchPercent/100, m.PriorityPercent/100
	if long == 0 && batch == 0 && prio == 0 {
		return list // exactly the list blend
	}
	longPrice := list
	if t := p.LongContext; t != nil {
		longPrice = mixPrice(t.Input, t.CachedInput, t.Output, m)
	}
	perDollar, atList := 0.0, true // million tokens a dollar buys; whether every part pays list
	for _, part := range [...]struct{ share, price float64 }{
		{1 - long - batch - prio, list}, {long, longPrice}, {batch, list * multiplier(p.Batch)}, {prio, list * multiplier(p.Priority)},
	} {
		if part.share <= 0 {
			continue
		}
		if part.price <= 0 {
			return 0 // free: unbounded tokens
		}
		perDollar += part.share / part.price
		atList = atList && part.price == list
	}
	if atList {
		return list // no tier or multiplier applies: exactly the list blend
	}
	// To a billionth of a dollar a million: 1 / (0.7 / 1.95 + 0.3 / 0.975) is 1.5, not
	// 1.4999999999999998.
	return math.Round(1e9/perDollar) / 1e9
}

func mixPrice(in, cached, out float64, m UsageMix) float64 {
	return (m.InputPercent*in + m.CachedInputPercent*cached + m.OutputPercent*out) / 100
}

func multiplier(x float64) float64 {
	if x == 0 {
		return 1
	}
	return x
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
	novemberSource = "vendor pricing pages and public price trackers, collected November 2026"
	// undatedSource marks a November 2026 price with no published effective date: it
	// carries the date the prices were collected.
	undatedSource = novemberSource + "; no effective date published, dated 2026-11-15 (collected)"
	// cacheHitDivisor: a cache hit costs a tenth of the input price. Anthropic lists
	// cache hits at 0.1x input; OpenAI and Google list cached input at (or near) the same
	// 0.1x for the models here, so one rule serves all three families. Dividing by 10,
	// not multiplying by 0.1 (which is not exact in binary), gives the price as the
	// vendors write it: 3 / 10 is 0.3, where 3 * 0.1 is 0.30000000000000004.
	cacheHitDivisor = 10
)

// BuiltInDate is when the built-in book's newest prices were collected.
var BuiltInDate = day("2026-11-15")

// listPrice builds an entry whose cached-input price is the cache-hit share of input.
func listPrice(model, vendor, family string, input, output float64, effective string) Price {
	p := Price{Model: model, Vendor: vendor, Family: family, Input: input,
		CachedInput: input / cacheHitDivisor, Output: output, Effective: day(effective), Source: snapshotSource}
	p.Undated = effective == "2026-08-05" // the snapshot's date, not a published start
	return p
}

// price builds a November 2026 entry with all three prices as listed.
func price(model, vendor, family string, input, cached, output float64, effective, source string) Price {
	return Price{Model: model, Vendor: vendor, Family: family, Input: input, CachedInput: cached, Output: output,
		Effective: day(effective), Source: source}
}

// undated marks a price with no published start (see Price.Undated).
func undated(p Price) Price { p.Undated = true; return p }

// longContext gives p a tier above threshold input tokens; a cached price the vendor
// does not list above the threshold scales with the input price, as the vendors that
// list one do.
func longContext(p Price, threshold int64, input, output float64) Price {
	p.LongContext = &Tier{ThresholdInputTokens: threshold, Input: input, CachedInput: p.CachedInput * input / p.Input, Output: output}
	return p
}

func batch(p Price, x float64) Price    { p.Batch = x; return p }
func priority(p Price, x float64) Price { p.Priority = x; return p }

// BuiltInPrices are the list prices of the Claude, GPT and Gemini families
// (REFERENCE.md, "LLM list prices"): those published by mid-2026, and the families
// released and prices changed since, collected in November 2026. Every entry carries
// the date from which it applies; a model whose price changed has one entry per price.
var BuiltInPrices = []Price{
	listPrice("claude-opus-4.5", "Anthropic", "claude", 5, 25, "2026-08-05"),
	listPrice("claude-sonnet-4.5", "Anthropic", "claude", 3, 15, "2026-08-05"),
	listPrice("claude-haiku-4.5", "Anthropic", "claude", 1, 5, "2026-08-05"),
	listPrice("gpt-5.5", "OpenAI", "gpt", 5, 30, "2026-04-23"),
	listPrice("gpt-5", "OpenAI", "gpt", 1.25, 10, "2026-08-05"),
	listPrice("gpt-5-mini", "OpenAI", "gpt", 0.25, 2, "2026-08-05"),
	listPrice("gemini-3.1-pro", "Google", "gemini", 2, 12, "2026-02-19"),
	listPrice("gemini-2.5-pro", "Google", "gemini", 1.25, 10, "2026-08-05"),
	listPrice("gemini-2.5-flash", "Google", "gemini", 0.3, 2.5, "2026-08-05"),

	batch(price("claude-opus-5.5", "Anthropic", "claude", 4, 0.20, 20, "2026-09-22", novemberSource), 0.5),
	price("claude-opus-5", "Anthropic", "claude", 5, 0.50, 25, "2026-07-24", novemberSource),
	// The first Sonnet 5.5 price has an end (2026-10-06) but no published start: it is
	// dated with the last day it is known to have applied, and stands for earlier dates.
	undated(price("claude-sonnet-5.5", "Anthropic", "claude", 2, 0.20, 10, "2026-10-06",
		novemberSource+"; no start published: in effect until 2026-10-06, dated with that day")),
	price("claude-sonnet-5.5", "Anthropic", "claude", 2, 0.10, 10, "2026-10-07", novemberSource),
	longContext(price("claude-haiku-5.5", "Anthropic", "claude", 0.10, 0.01, 0.50, "2026-10-07", novemberSource), 100_000, 0.50, 2.50),
	priority(batch(longContext(price("gpt-6-astra", "OpenAI", "gpt", 10, 1, 50, "2026-09-03", novemberSource), 272_000, 20, 75), 0.5), 2),
	price("gpt-6-sol", "OpenAI", "gpt", 2, 0.20, 10, "2026-09-22", novemberSource),
	price("gpt-6-luna", "OpenAI", "gpt", 0.10, 0.01, 0.50, "2026-09-22", novemberSource),
	price("gpt-6.1-terra", "OpenAI", "gpt", 1, 0.05, 5, "2026-10-26", novemberSource),
	longContext(undated(price("gpt-6.2-sol", "OpenAI", "gpt", 2, 0.10, 10, "2026-11-15", undatedSource)), 272_000, 4, 15),
	longContext(undated(price("gpt-6.2-astra", "OpenAI", "gpt", 8, 0.40, 40, "2026-11-15", undatedSource)), 272_000, 16, 60),
	batch(undated(price("gemini-4-argon", "Google", "gemini", 2, 0.10, 10, "2026-11-15", undatedSource+"; through 2026-11-30")), 0.5),
	batch(price("gemini-4-argon", "Google", "gemini", 4, 0.20, 20, "2026-12-01", novemberSource), 0.5),
	batch(undated(price("gemini-4-carbon", "Google", "gemini", 2, 0.10, 10, "2026-11-15", undatedSource+"; through 2026-11-30")), 0.5),
	batch(price("gemini-4-carbon", "Google", "gemini", 4, 0.20, 20, "2026-12-01", novemberSource), 0.5),
	undated(price("gemini-4-hydrogen", "Google", "gemini", 1.50, 0.075, 7.50, "2026-11-15", undatedSource+"; flat across the context window")),
	priority(undated(price("gemini-4-neon", "Google", "gemini", 3, 0.15, 15, "2026-11-15", undatedSource)), 1.8),
}

// BuiltInName names the built-in book in provenance.
const BuiltInName = "built-in"

// BuiltIn is the built-in book alone.
var BuiltIn = NewBook(Layer{Name: BuiltInName, Date: BuiltInDate, Prices: BuiltInPrices})
