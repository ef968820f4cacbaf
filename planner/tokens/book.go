package tokens

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Layer is one price book of a stack: the built-in book, an organisation's own, or
// a policy's inline prices. A model may have several prices, each from its effective
// date, and discounts, each from its date, off the price the layers below have then.
type Layer struct {
	Name      string    // "built-in", "organizations/acme/priceBook", "policy"
	Date      time.Time // when the book was collected or last changed; zero for a policy's
	Prices    []Price
	Discounts []Discount
}

// Discount is a negotiated percentage off a model's price in the layers below (every
// price, tiers included; multipliers apply on top), from its effective date.
type Discount struct {
	Model     string
	Percent   float64
	Effective time.Time
	Source    string
}

// Resolved is a model's price in effect at a date, and the layer it came from.
type Resolved struct {
	Price
	Layer string
	// DiscountPercent is the discount the layer applied to the price below (0: none).
	DiscountPercent float64
}

// Book is a stack of layers, lowest first: at a date, a model's price is the one of
// the highest layer that has an entry for it in effect then (a price, or a discount
// off what the layers below have). Before a model's first price it has none (it was
// not offered yet), unless that price is undated (its start was never published).
type Book struct {
	layers []Layer
	models []string // every model, in the order of first appearance, lowest layer first

	// at memoises At by day (a few dates are asked for again and again, by every band
	// on the hot path: read without a lock); cached counts its entries.
	at     sync.Map // time.Time -> []Resolved
	cached atomic.Int32
}

// maxCachedDates bounds the memo of resolved dates (a day each).
const maxCachedDates = 64

// NewBook stacks layers, lowest first; empty layers are left out.
func NewBook(layers ...Layer) *Book {
	b := &Book{}
	seen := map[string]bool{}
	for _, l := range layers {
		if len(l.Prices) == 0 && len(l.Discounts) == 0 {
			continue
		}
		b.layers = append(b.layers, l)
		for _, p := range l.Prices {
			if !seen[p.Model] {
				seen[p.Model] = true
				b.models = append(b.models, p.Model)
			}
		}
	}
	return b
}

// With is the book with layers stacked on top (the book itself when there are none).
func (b *Book) With(layers ...Layer) *Book {
	if len(layers) == 0 {
		return b
	}
	return NewBook(append(slices.Clone(b.layers), layers...)...)
}

// Layers are the book's layers, lowest first.
func (b *Book) Layers() []Layer { return b.layers }

// At is every model's price in effect at date (its day), in the book's model order.
// The slice is shared: callers must not change it.
func (b *Book) At(date time.Time) []Resolved {
	day := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	if r, ok := b.at.Load(day); ok {
		return r.([]Resolved)
	}
	out := make([]Resolved, 0, len(b.models))
	for _, m := range b.models {
		if r, ok := b.resolve(m, day, len(b.layers)-1); ok {
			out = append(out, r)
		}
	}
	if b.cached.Add(1) > maxCachedDates { // a caller walking through dates: start again
		b.at.Clear()
		b.cached.Store(1)
	}
	b.at.Store(day, out)
	return out
}

// Find is one model's price in effect at date.
func (b *Book) Find(model string, date time.Time) (Resolved, bool) {
	for _, r := range b.At(date) {
		if r.Model == model {
			return r, true
		}
	}
	return Resolved{}, false
}

// Models lists every model the book prices at some date.
func (b *Book) Models() []string { return slices.Clone(b.models) }

// resolve finds model's price at day in layers top and below.
func (b *Book) resolve(model string, day time.Time, top int) (Resolved, bool) {
	for i := top; i >= 0; i-- {
		l := &b.layers[i]
		var price, earliest *Price
		for j := range l.Prices {
			p := &l.Prices[j]
			if p.Model != model {
				continue
			}
			if !p.Effective.After(day) && (price == nil || p.Effective.After(price.Effective)) {
				price = p
			}
			if earliest == nil || p.Effective.Before(earliest.Effective) {
				earliest = p
			}
		}
		if price == nil && earliest != nil && earliest.Undated {
			price = earliest // no start published: the best figure known for earlier dates
		}
		var disc *Discount
		for j := range l.Discounts {
			d := &l.Discounts[j]
			if d.Model == model && !d.Effective.After(day) && (disc == nil || d.Effective.After(disc.Effective)) {
				disc = d
			}
		}
		switch {
		case disc != nil && (price == nil || disc.Effective.After(price.Effective)):
			below, ok := b.resolve(model, day, i-1)
			if !ok {
				continue // nothing to take the discount off
			}
			p := below.Price.discounted(disc.Percent)
			p.Source = disc.Source
			return Resolved{Price: p, Layer: l.Name, DiscountPercent: disc.Percent}, true
		case price != nil:
			return Resolved{Price: *price, Layer: l.Name}, true
		}
	}
	return Resolved{}, false
}

// discounted is the price with percent off every figure, its tier's too, to a
// billionth of a dollar (0.1 x 0.8 is 0.08, not 0.08000000000000002).
func (p Price) discounted(percent float64) Price {
	f := 1 - percent/100
	off := func(x float64) float64 { return math.Round(x*f*1e9) / 1e9 }
	p.Input, p.CachedInput, p.Output = off(p.Input), off(p.CachedInput), off(p.Output)
	if p.LongContext != nil {
		t := *p.LongContext
		t.Input, t.CachedInput, t.Output = off(t.Input), off(t.CachedInput), off(t.Output)
		p.LongContext = &t
	}
	return p
}
