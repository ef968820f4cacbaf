package market

// Rank is the inverse of Quantile: the q (0-1) at which the view's blended type-7
// quantile of a series reaches v, found by bisection (the quantile is monotone in q).
// With one dataset it is that dataset's own type-7 inverse. ok is false for an empty
// series.
func (v View) Rank(k Kind, value float64) (q float64, ok bool) {
	lo, loOK := v.Quantile(k, 0, 1)
	hi, _ := v.Quantile(k, 1, 1)
	switch {
	case !loOK:
		return 0, false
	case value <= lo:
		return 0, true
	case value >= hi:
		return 1, true
	}
	a, b := 0.0, 1.0
	for range 60 { // 2^-60: far below any reported precision
		m := (a + b) / 2
		if x, _ := v.Quantile(k, m, 1); x < value {
			a = m
		} else {
			b = m
		}
	}
	return (a + b) / 2, true
}
