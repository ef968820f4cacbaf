package state

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/tokens"
	"github.com/paymix/paymix/store"
)

// PriceBook is an organisation's own price book: negotiated prices, discounts off the
// built-in prices, and models of its own, each from a date. Its bands price tokens on
// the built-in book with this one on top (and a policy's own prices on top of both).
type PriceBook struct {
	Org        string
	Prices     []tokens.Price
	Discounts  []tokens.Discount
	Revision   int64 // 0: never written
	Etag       string
	UpdateTime time.Time
}

// PriceBookName is an organisation's price book's resource name.
func PriceBookName(org string) string { return "organizations/" + org + "/priceBook" }

// layer is the book as a layer of the organisation's stack.
func (b *PriceBook) layer() tokens.Layer {
	return tokens.Layer{Name: PriceBookName(b.Org), Date: b.UpdateTime, Prices: b.Prices, Discounts: b.Discounts}
}

// A stored price book is a versioned document of the domain's own, like a policy.
const priceBookDocVersion = 1

type priceBookDoc struct {
	Version   int           `json:"version"`
	Prices    []priceDoc    `json:"prices,omitempty"`
	Discounts []discountDoc `json:"discounts,omitempty"`
}

type discountDoc struct {
	Model     string  `json:"model"`
	Percent   float64 `json:"percent"`
	Effective string  `json:"effective"`
	Source    string  `json:"source,omitempty"`
}

func encodePriceBook(b PriceBook) (string, error) {
	d := priceBookDoc{Version: priceBookDocVersion}
	for _, p := range b.Prices {
		d.Prices = append(d.Prices, priceToDoc(p))
	}
	for _, x := range b.Discounts {
		d.Discounts = append(d.Discounts, discountDoc{Model: x.Model, Percent: x.Percent, Effective: day(x.Effective), Source: x.Source})
	}
	out, err := json.Marshal(d)
	return string(out), err
}

// readPriceBook decodes a stored book; an unknown document version is an error, so
// that a downgraded server never misreads one.
func readPriceBook(sb store.PriceBook) (*PriceBook, error) {
	b := &PriceBook{Org: sb.Org, Revision: sb.Revision, Etag: sb.Etag(), UpdateTime: sb.UpdateTime}
	if sb.Spec == "" {
		return b, nil
	}
	var d priceBookDoc
	if err := strictJSON(sb.Spec, &d); err != nil {
		return nil, fmt.Errorf("stored price book %s cannot be read: %w", PriceBookName(sb.Org), err)
	}
	if d.Version != priceBookDocVersion {
		return nil, fmt.Errorf("stored price book %s: document version %d is unknown to this paymixd (it reads version %d)",
			PriceBookName(sb.Org), d.Version, priceBookDocVersion)
	}
	for _, pd := range d.Prices {
		p, err := priceFromDoc(pd)
		if err != nil {
			return nil, fmt.Errorf("stored price book %s: %w", PriceBookName(sb.Org), err)
		}
		b.Prices = append(b.Prices, p)
	}
	for _, xd := range d.Discounts {
		eff, err := parseDay(xd.Effective)
		if err != nil {
			return nil, fmt.Errorf("stored price book %s: %w", PriceBookName(sb.Org), err)
		}
		b.Discounts = append(b.Discounts, tokens.Discount{Model: xd.Model, Percent: xd.Percent, Effective: eff, Source: xd.Source})
	}
	return b, nil
}

// validatePriceBook checks a book as the domain sees it (for every caller, not only
// the wire's): required fields, figures that cannot be prices, a model priced or
// discounted twice from the same date, and a discount of a model with no built-in
// price to take it off.
func validatePriceBook(b PriceBook) error {
	var vs []planner.Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, planner.Violation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	type entry struct {
		model string
		day   time.Time
	}
	seen := map[entry]string{}
	finite := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				return false
			}
		}
		return true
	}
	for i, p := range b.Prices {
		field := fmt.Sprintf("PriceBook.Prices[%d]", i)
		if p.Model == "" {
			add(field+".Model", "required")
		}
		if p.Effective.IsZero() {
			add(field+".Effective", "required: the date from which the prices apply")
		}
		if !finite(p.Input, p.CachedInput, p.Output, p.Batch, p.Priority) {
			add(field, "prices and multipliers must be finite and not negative")
		}
		if t := p.LongContext; t != nil && (t.ThresholdInputTokens <= 0 || !finite(t.Input, t.CachedInput, t.Output)) {
			add(field+".LongContext", "needs a threshold above 0 and prices that are finite and not negative")
		}
		k := entry{p.Model, p.Effective}
		if prev, dup := seen[k]; dup {
			add(field, "%s already has %s from %s", p.Model, prev, day(p.Effective))
		}
		seen[k] = "a price"
	}
	for i, x := range b.Discounts {
		field := fmt.Sprintf("PriceBook.Discounts[%d]", i)
		if x.Model == "" {
			add(field+".Model", "required")
		}
		if x.Effective.IsZero() {
			add(field+".Effective", "required: the date from which the discount applies")
		}
		if !(x.Percent >= 0 && x.Percent <= 100) {
			add(field+".Percent", "must be from 0 to 100")
		}
		if !slices.Contains(tokens.BuiltIn.Models(), x.Model) {
			add(field+".Model", "%q has no built-in price to take a discount off; price it under prices instead", x.Model)
		}
		k := entry{x.Model, x.Effective}
		if prev, dup := seen[k]; dup {
			add(field, "%s already has %s from %s", x.Model, prev, day(x.Effective))
		}
		seen[k] = "a discount"
	}
	if len(vs) > 0 {
		slices.SortStableFunc(vs, func(a, b planner.Violation) int { return cmp.Compare(a.Field, b.Field) })
		return planner.Invalid(vs...)
	}
	return nil
}

// PriceBook returns an organisation's price book (empty, revision 0, when it has none)
// to a caller of that organisation or a platform admin.
func (p *Published) PriceBook(c Caller, org string) (*PriceBook, error) {
	if _, err := p.Organization(c, org); err != nil {
		return nil, err
	}
	if b, ok := p.books[org]; ok {
		return b, nil
	}
	return &PriceBook{Org: org}, nil
}

// Book is the price book stack an organisation's bands are priced on: the built-in
// book, with the organisation's own on top when it has one.
func (p *Published) Book(org string) *tokens.Book {
	if b, ok := p.stacks[org]; ok {
		return b
	}
	return tokens.BuiltIn
}

// UpdatePriceBook replaces an organisation's price book whole; with a non-empty etag,
// only if it is still the current one. Every policy of the organisation is priced on
// it from the next published state.
func (s *Service) UpdatePriceBook(ctx context.Context, c Caller, b PriceBook, etag string) (*PriceBook, error) {
	if _, err := s.Current().Organization(c, b.Org); err != nil {
		return nil, err
	}
	if err := validatePriceBook(b); err != nil {
		return nil, err
	}
	doc, err := encodePriceBook(b)
	if err != nil {
		return nil, err
	}
	var saved store.PriceBook
	err = s.change(ctx, rebuildTenancy, func() error {
		var err error
		saved, err = s.store.PutPriceBook(ctx, store.PriceBook{Org: b.Org, Spec: doc, UpdateTime: s.now().UTC()}, etag)
		if errors.Is(err, store.ErrStale) {
			return staleEtag(PriceBookName(b.Org))
		}
		return storeError(err, PriceBookName(b.Org))
	})
	if err != nil {
		return nil, err
	}
	return readPriceBook(saved)
}
