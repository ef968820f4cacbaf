package market

// Rank is the inverse of Quantile: the q (0-1) at which the view's blended quantile of
// a series reaches v, found by bisection (the quantile is monotone in q). Where the
// quantile equals v over an interval of q (v is tied by several rows), Rank is that
// interval's midpoint: ten bonuses of which four are 0 put 0 at 1.5 / 9, not at 0.
// With one dataset and no cap it is that dataset's own type-7 inverse. ok is false for
// an empty series.
func (v View) Rank(k Kind, value float64) (q float64, ok bool) {
	lo, loOK := v.Quantile(k, 0, 1)
	hi, _ := v.Quantile(k, 1, 1)
	switch {
	case !loOK:
		return 0, false
	case value < lo:
		return 0, true
	case value > hi:
		return 1, true
	}
	// from: the first q whose quantile reaches value; to: the last one not beyond it.
	from := v.bisect(k, func(x float64) bool { return x >= value })
	to := v.bisect(k, func(x float64) bool { return x > value })
	return (from + to) / 2, true
}

// bisect finds the smallest q in [0, 1] at which reached(Quantile(q)) holds, to 2^-60.
func (v View) bisect(k Kind, reached func(float64) bool) float64 {
	if x, _ := v.Quantile(k, 0, 1); reached(x) {
		return 0
	}
	if x, _ := v.Quantile(k, 1, 1); !reached(x) {
		return 1
	}
	a, b := 0.0, 1.0
	for range 60 { // far below any reported precision
		m := (a + b) / 2
		if x, _ := v.Quantile(k, m, 1); reached(x) {
			b = m
		} else {
			a = m
		}
	}
	return (a + b) / 2
}
