package planner

import (
	"fmt"
	"math"
	"reflect"
)

// Nothing paymix publishes may be NaN or infinite. Inputs are bounded (imports refuse
// amounts above ingest.MaxAmountUSD, the API bounds every setting), so a non-finite
// figure is a bug: it is refused as an internal error naming the figure, never sent.

// finiteCheck collects the first non-finite figure it is shown.
type finiteCheck struct{ bad string }

func (f *finiteCheck) of(name string, vs ...float64) { f.named(name, "", vs...) }

// named is of with the name in two parts, joined only for a bad figure: a band names
// dozens of figures, and checking them must not allocate.
func (f *finiteCheck) named(name, suffix string, vs ...float64) {
	if f.bad != "" {
		return
	}
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			f.bad = fmt.Sprintf("%s%s is %v", name, suffix, v)
			return
		}
	}
}

func (f *finiteCheck) market(name, suffix string, m Market) {
	f.named(name, suffix, m.P10.Value, m.P25.Value, m.P50.Value, m.P75.Value, m.P90.Value, m.Mean.Value)
}

func (f *finiteCheck) err(what string) error {
	if f.bad == "" {
		return nil
	}
	return &Error{Kind: KindInternal, Reason: "NON_FINITE_FIGURE",
		Message: fmt.Sprintf("%s came out with a figure that is not a number (%s); nothing was published, please report this", what, f.bad)}
}

func (b *Band) checkFinite() error {
	var f finiteCheck
	for _, c := range b.Components {
		f.of(c.Component.String(), c.Min, c.Mid, c.Max, c.SharePercent)
		f.market(c.Component.String(), " market", c.Market)
	}
	f.of("total", b.Total.Min, b.Total.Mid, b.Total.Max, b.WithoutTokens.Min, b.WithoutTokens.Mid, b.WithoutTokens.Max)
	f.market("total market", "", b.Total.Market)
	t := &b.Tokens
	f.of("token budget", t.USDPerYear, t.USDPerMonth, t.SharePercent)
	for _, m := range t.Models {
		f.named("tokens of ", m.Price.Model, m.Blended, m.PerYear, m.PerMonth)
	}
	return f.err("the band")
}

func (st *Stats) checkFinite() error {
	var f finiteCheck
	for k, m := range st.Series {
		f.market("series ", fmt.Sprint(k), m)
	}
	return f.err("the market statistics")
}

// finiteAll walks a value's floats by reflection: for offers, which are not on a hot
// path and whose figures are many.
func finiteAll(what string, v any) error {
	var f finiteCheck
	var walk func(name string, x reflect.Value)
	walk = func(name string, x reflect.Value) {
		switch x.Kind() {
		case reflect.Float64:
			f.of(name, x.Float())
		case reflect.Struct:
			for i := range x.NumField() {
				if x.Type().Field(i).IsExported() {
					walk(name+"."+x.Type().Field(i).Name, x.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range x.Len() {
				walk(fmt.Sprintf("%s[%d]", name, i), x.Index(i))
			}
		case reflect.Pointer:
			if !x.IsNil() && x.Type().Elem().Kind() == reflect.Float64 {
				f.of(name, x.Elem().Float())
			}
		}
	}
	walk(what, reflect.ValueOf(v))
	return f.err("the " + what)
}
