package planner

import (
	"errors"
	"testing"
	"time"
)

// The grade at each boundary: HIGH needs every high mark, any low mark is LOW.
func TestConfidenceAtItsBoundaries(t *testing.T) {
	g := grading{effective: time.Now(), minCompanies: 5}
	high := func() (int, int, float64, float64, float64, grading) { return 50, 10, 0.35, 0.6, 24, g }
	if c := grade(high()); c != ConfidenceHigh {
		t.Fatalf("every high mark met exactly: %v", c)
	}
	fell := func(n int) grading { x := g; x.fellBack = n; return x }
	for _, c := range []struct {
		name               string
		count, companies   int
		share, spread, age float64
		g                  grading
		want               Confidence
	}{
		{"49 observations", 49, 10, 0.35, 0.6, 24, g, ConfidenceMedium},
		{"9 companies", 50, 9, 0.35, 0.6, 24, g, ConfidenceMedium},
		{"a company with 35.01% of rows", 50, 10, 0.3501, 0.6, 24, g, ConfidenceMedium},
		{"spread 0.61", 50, 10, 0.35, 0.61, 24, g, ConfidenceMedium},
		{"24.1 months old", 50, 10, 0.35, 0.6, 24.1, g, ConfidenceMedium},
		{"one fallback", 50, 10, 0.35, 0.6, 24, fell(1), ConfidenceMedium},
		{"20 observations", 20, 7, 0.5, 1.0, 36, fell(1), ConfidenceMedium},
		{"19 observations", 19, 7, 0.5, 1.0, 36, g, ConfidenceLow},
		{"6 companies (min 5 + 2 = 7)", 20, 6, 0.5, 1.0, 36, g, ConfidenceLow},
		{"spread 1.01", 20, 7, 0.5, 1.01, 36, g, ConfidenceLow},
		{"36.1 months old", 20, 7, 0.5, 1.0, 36.1, g, ConfidenceLow},
		{"two fallbacks", 20, 7, 0.5, 1.0, 36, fell(2), ConfidenceLow},
		{"low beats high", 500, 6, 0.1, 0.2, 1, g, ConfidenceLow},
	} {
		if got := grade(c.count, c.companies, c.share, c.spread, c.age, c.g); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// min_companies x max_company_share_percent below 100 cannot be met and is refused,
// naming the field; by level too.
func TestCompanyRulesThatCannotBeMetAreRefused(t *testing.T) {
	for _, p := range []Policy{
		{MinCompanies: ptr(3), MaxCompanySharePercent: ptr(30.0)},
		{MinCompaniesByLevel: map[string]float64{"IC3": 2}},
		{MaxCompanySharePercentByLevel: map[string]float64{"IC5": 10}},
	} {
		var pe *Error
		if err := p.Validate(); !errors.As(err, &pe) || len(pe.Violations) == 0 || pe.Violations[0].Field != "Policy.MinCompanies" {
			t.Errorf("%+v: %v", p, err)
		}
	}
	for _, p := range []Policy{{MinCompanies: ptr(4)}, {MinCompanies: ptr(1), MaxCompanySharePercent: ptr(100.0)}, {MinCompanies: ptr(10), MaxCompanySharePercent: ptr(10.0)}} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v refused: %v", p, err)
		}
	}
}
