package planner

import (
	"math"
	"slices"
)

// Splits inside the market (README, "How a band is computed"): the midpoint T is split
// into base, equity and bonus by the pay mix s_i, each part held within its market:
// x_i = clamp(lambda s_i T, L_i, U_i), with the one lambda > 0 that makes the parts sum
// to T. L_i and U_i are the component's published market p10 and p90 (else p25 and
// p75; else none), rounded inward to the rounding unit. When T is below the sum of
// the lower bounds (or above that of the upper ones) no split fits: the bounds are
// scaled to T, and the band says SPLIT_OUTSIDE_MARKET.

// bounds are a component's market range; hi is +Inf when there is none.
type bounds struct{ lo, hi float64 }

// marketBounds are the bounds a component's published market figures set, translated
// by a geographic differential (factor 1 when the band is not translated).
func marketBounds(m Market, unit, factor float64) bounds {
	var lo, hi Figure
	switch {
	case m.P10.Published && m.P90.Published:
		lo, hi = m.P10, m.P90
	case m.P25.Published && m.P75.Published:
		lo, hi = m.P25, m.P75
	default:
		return bounds{0, math.Inf(1)}
	}
	return bounds{math.Ceil(lo.Value*factor/unit) * unit, math.Floor(hi.Value*factor/unit) * unit}
}

func clamp(x float64, b bounds) float64 { return min(max(x, b.lo), b.hi) }

// splitWithin splits a band's min, mid and max: the midpoint as above, then the gaps
// mid - min and max - mid in the proportions of the midpoint's parts, so that each
// component keeps min <= mid <= max and the parts sum exactly to the total's.
func splitWithin(total Range, mix [3]float64, b [3]bounds, unit float64) (lows, mids, highs [3]float64, outside bool) {
	x, outside := splitMid(total.Mid, mix, b)
	var shares [3]float64
	if total.Mid > 0 {
		for i := range x {
			shares[i] = x[i] / total.Mid
		}
	} else {
		shares = mix
	}
	mids = largestRemainder(total.Mid, shares, unit)
	if !outside {
		mids = keepWithin(mids, b, unit)
	}
	below := largestRemainder(total.Mid-total.Min, shares, unit)
	above := largestRemainder(total.Max-total.Mid, shares, unit)
	for i := range mids {
		lows[i], highs[i] = mids[i]-below[i], mids[i]+above[i]
	}
	return lows, mids, highs, outside
}

// splitMid solves for the midpoint's parts, exactly: sum_i clamp(lambda s_i T) is
// piecewise linear and non-decreasing in lambda, with breakpoints where a part meets
// a bound; the segment that reaches T is solved as a line.
func splitMid(t float64, s [3]float64, b [3]bounds) (x [3]float64, outside bool) {
	sumLo, sumHi := 0.0, 0.0
	for i := range b {
		sumLo += b[i].lo
		sumHi += b[i].hi
	}
	switch {
	case t < sumLo:
		for i := range x {
			x[i] = b[i].lo * t / sumLo
		}
		return x, true
	case t > sumHi:
		for i := range x {
			x[i] = b[i].hi * t / sumHi
		}
		return x, true
	}
	f := func(l float64) (sum float64) {
		for i := range s {
			sum += clamp(l*s[i]*t, b[i])
		}
		return sum
	}
	var breaks []float64
	for i := range s {
		if s[i] > 0 && t > 0 {
			for _, edge := range []float64{b[i].lo, b[i].hi} {
				if !math.IsInf(edge, 1) {
					breaks = append(breaks, edge/(s[i]*t))
				}
			}
		}
	}
	slices.Sort(breaks)
	breaks = append(breaks, math.Inf(1))
	lambda, prev, fPrev := 0.0, 0.0, f(0)
	for _, next := range breaks {
		probe := next
		if math.IsInf(next, 1) {
			probe = prev + 1
		}
		// The slope on (prev, next): the parts strictly inside their bounds.
		mid := (prev + probe) / 2
		slope := 0.0
		for i := range s {
			if v := mid * s[i] * t; v > b[i].lo && v < b[i].hi {
				slope += s[i] * t
			}
		}
		if fNext := f(probe); fNext >= t || math.IsInf(next, 1) {
			lambda = prev
			if slope > 0 {
				lambda = prev + (t-fPrev)/slope
			}
			break
		}
		prev, fPrev = next, f(next)
	}
	for i := range x {
		x[i] = clamp(lambda*s[i]*t, b[i])
	}
	return x, false
}

// keepWithin moves single units between rounded parts so that none leaves its bounds
// (rounding can take a part one unit past a bound): a part below its floor takes a
// unit from the part with the most room above its own; one above its ceiling gives a
// unit to the part with the most room below its own.
func keepWithin(parts [3]float64, b [3]bounds, unit float64) [3]float64 {
	for range 6 {
		moved := false
		for i := range parts {
			switch {
			case parts[i] < b[i].lo:
				if j := mostRoom(parts, b, i, true, unit); j >= 0 {
					parts[i], parts[j] = parts[i]+unit, parts[j]-unit
					moved = true
				}
			case parts[i] > b[i].hi:
				if j := mostRoom(parts, b, i, false, unit); j >= 0 {
					parts[i], parts[j] = parts[i]-unit, parts[j]+unit
					moved = true
				}
			}
		}
		if !moved {
			break
		}
	}
	return parts
}

// mostRoom is the part other than skip with the most room above its floor (down) or
// below its ceiling (up), at least one unit of it; -1 when none has any.
func mostRoom(parts [3]float64, b [3]bounds, skip int, down bool, unit float64) int {
	best, room := -1, 0.0
	for j := range parts {
		if j == skip {
			continue
		}
		r := parts[j] - b[j].lo
		if !down {
			r = b[j].hi - parts[j]
		}
		if r >= unit && r > room {
			best, room = j, r
		}
	}
	return best
}
