package planner

import (
	"math"
	"testing"
)

// One bound binds: base's market floor of 55,000 holds it up, and equity and bonus
// share the rest in their mix: lambda 0.9 gives 55,000 / 36,000 / 9,000.
func TestSplitWithOneBoundBinding(t *testing.T) {
	inf := math.Inf(1)
	total := Range{Min: 80000, Mid: 100000, Max: 120000}
	lows, mids, highs, outside := splitWithin(total, [3]float64{0.5, 0.4, 0.1},
		[3]bounds{{55000, 80000}, {0, 50000}, {0, inf}}, 1)
	if outside || mids != [3]float64{55000, 36000, 9000} {
		t.Fatalf("mids %v (outside %v), want 55000 36000 9000", mids, outside)
	}
	// The gaps follow the midpoint's parts: 20,000 below and above at 55/36/9.
	if lows != [3]float64{44000, 28800, 7200} || highs != [3]float64{66000, 43200, 10800} {
		t.Errorf("lows %v highs %v", lows, highs)
	}
}

// T below the sum of the floors (70,000 + 30,000 + 20,000 = 120,000): no split fits,
// so the floors are scaled to T, 58,333.33 / 25,000 / 16,666.67, rounded by largest
// remainder to 58,333 / 25,000 / 16,667, and the band is told.
func TestSplitBelowEveryFloor(t *testing.T) {
	_, mids, _, outside := splitWithin(Range{Min: 100000, Mid: 100000, Max: 100000}, [3]float64{0.6, 0.3, 0.1},
		[3]bounds{{70000, 90000}, {30000, 50000}, {20000, 30000}}, 1)
	if !outside || mids != [3]float64{58333, 25000, 16667} {
		t.Errorf("mids %v outside %v", mids, outside)
	}
}

// With no bound binding the split is the mix itself.
func TestSplitFreeIsTheMix(t *testing.T) {
	inf := math.Inf(1)
	_, mids, _, outside := splitWithin(Range{Min: 145000, Mid: 145000, Max: 145000}, [3]float64{0.6, 0.3, 0.1},
		[3]bounds{{0, inf}, {0, inf}, {0, inf}}, 1)
	if outside || mids != [3]float64{87000, 43500, 14500} {
		t.Errorf("mids %v", mids)
	}
}
