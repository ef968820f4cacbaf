package demo

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

// The dataset is generated once for the tests; each test that changes nothing reads it.
var demo = Dataset()

func TestDatasetIsDeterministic(t *testing.T) {
	again := Dataset()
	if !reflect.DeepEqual(demo, again) {
		t.Fatal("two calls of Dataset gave different datasets")
	}
	if Name != "demo-synthetic" || demo.Name != Name || !demo.Synthetic {
		t.Fatalf("Name %q Synthetic %v, want %q true", demo.Name, demo.Synthetic, Name)
	}
	// The fingerprint is pinned: any change of the generator, its tables or the random
	// streams it draws from changes it. Amounts are whole dollars, so the sums are exact.
	var total, tokens float64
	var days int64
	for _, o := range demo.Observations {
		total += o.Total
		tokens += o.Tokens
		days += o.Reported.Unix() / 86400
	}
	const (
		wantRows   = 23_894
		wantTotal  = 5_149_095_329
		wantTokens = 110_072_457
		wantDays   = 483_328_253
	)
	if len(demo.Observations) != wantRows || total != wantTotal || tokens != wantTokens || days != wantDays {
		t.Errorf("fingerprint: rows %d, sum of totals %.0f, sum of tokens %.0f, sum of report days %d; want %d, %d, %d, %d",
			len(demo.Observations), total, tokens, days, wantRows, wantTotal, wantTokens, wantDays)
	}
}

func TestEndIsFixed(t *testing.T) {
	if want := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC); !End.Equal(want) || End.Location() != time.UTC {
		t.Fatalf("End = %v, want %v", End, want)
	}
}

func TestCoverage(t *testing.T) {
	obs := demo.Observations
	if len(obs) < 20_000 {
		t.Errorf("%d rows, want at least 20000", len(obs))
	}
	families, levels, metros, countries := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	names := map[string]bool{}
	first := End.AddDate(-3, 0, 0)
	tokenFrom := End.AddDate(-1, 0, 0)
	withTokens := 0
	for i, o := range obs {
		families[o.Family]++
		levels[o.Level]++
		metros[o.Metro]++
		countries[o.Country]++
		names[o.Company] = true
		if o.Reported.Before(first) || o.Reported.After(End) {
			t.Fatalf("row %d reported %v, outside [%v, %v]", i, o.Reported, first, End)
		}
		if o.Reported.Location() != time.UTC || o.Reported.Hour() != 0 || o.Reported.Minute() != 0 || o.Reported.Second() != 0 {
			t.Fatalf("row %d reported %v, want a date at midnight UTC", i, o.Reported)
		}
		if o.Base <= 0 || o.Equity < 0 || o.Bonus < 0 || o.Tokens < 0 {
			t.Fatalf("row %d: base %v equity %v bonus %v tokens %v", i, o.Base, o.Equity, o.Bonus, o.Tokens)
		}
		for _, v := range []float64{o.Base, o.Equity, o.Bonus, o.Total, o.Tokens} {
			if v != math.Trunc(v) {
				t.Fatalf("row %d: amount %v is not whole dollars", i, v)
			}
		}
		if o.Total != o.Base+o.Equity+o.Bonus {
			t.Fatalf("row %d: total %v != base %v + equity %v + bonus %v", i, o.Total, o.Base, o.Equity, o.Bonus)
		}
		if o.Tokens > 0 {
			withTokens++
			if !o.Reported.After(tokenFrom) {
				t.Fatalf("row %d has a token budget but was reported %v, more than 12 months before End", i, o.Reported)
			}
			if o.Tokens > tokenCap {
				t.Fatalf("row %d: token budget %v above the cap %v", i, o.Tokens, float64(tokenCap))
			}
		}
		f, ok := catalog.FamilyByID(o.Family)
		if !ok || f.ID != o.Family || o.Title != f.Name {
			t.Fatalf("row %d: family %q title %q", i, o.Family, o.Title)
		}
		if _, ok := catalog.LevelByID(o.Level); !ok || o.CompanyLevel != o.Level {
			t.Fatalf("row %d: level %q company level %q", i, o.Level, o.CompanyLevel)
		}
		m, ok := catalog.Geo.Metro(o.Metro)
		if !ok || m.Zone != o.Zone || m.Country != o.Country {
			t.Fatalf("row %d: metro %q zone %q country %q do not match the catalog", i, o.Metro, o.Zone, o.Country)
		}
	}
	for _, f := range catalog.Families {
		if families[f.ID] == 0 {
			t.Errorf("no rows for family %s", f.ID)
		}
	}
	if len(families) != 15 {
		t.Errorf("%d families, want 15", len(families))
	}
	for _, l := range catalog.Ladder {
		if levels[l.ID] == 0 {
			t.Errorf("no rows at level %s", l.ID)
		}
	}
	if len(levels) != 12 {
		t.Errorf("%d levels, want 12", len(levels))
	}
	if len(metros) < 12 || len(countries) < 3 {
		t.Errorf("%d metros in %d countries, want at least 12 in 3", len(metros), len(countries))
	}
	if withTokens == 0 {
		t.Error("no row has a token budget")
	}
	if len(names) < 5 || len(names) > companies {
		t.Errorf("%d companies, want a small fixed set (5..%d)", len(names), companies)
	}
	if se := families["software-engineer"]; math.Abs(float64(se)/float64(len(obs))-0.6) > 0.05 {
		t.Errorf("software engineers are %d of %d rows, want about 60%%", se, len(obs))
	}
	// More recent years have slightly more rows.
	var years [3]int
	for _, o := range obs {
		years[min(int(o.Reported.Sub(first).Hours()/24/365.25), 2)]++
	}
	if !(years[0] < years[1] && years[1] < years[2]) {
		t.Errorf("rows per year %v, want rising", years)
	}
}

// count is the number of rows of a family x level x metro.
func count(obs []market.Observation) map[[3]string]int {
	n := map[[3]string]int{}
	for _, o := range obs {
		n[[3]string{o.Family, o.Level, o.Metro}]++
	}
	return n
}

func TestCohorts(t *testing.T) {
	n := count(demo.Observations)
	if got := n[[3]string{"software-engineer", "IC3", "sf-bay-area"}]; got < 300 {
		t.Errorf("software-engineer IC3 sf-bay-area has %d rows, want well over 100", got)
	}
	common := map[string]bool{"IC1": true, "IC2": true, "IC3": true, "M1": true, "M2": true}
	for _, f := range catalog.Families {
		for _, l := range catalog.Ladder {
			if l.Track != f.Track {
				continue
			}
			for _, m := range []string{"sf-bay-area", "seattle", "new-york"} {
				if got := n[[3]string{f.ID, l.ID, m}]; got < bigFloor {
					t.Errorf("%s %s %s has %d rows, want at least %d", f.ID, l.ID, m, got, bigFloor)
				}
			}
			if !common[l.ID] {
				continue
			}
			for _, m := range []string{"toronto", "london", "bangalore"} {
				if got := n[[3]string{f.ID, l.ID, m}]; got < 15 {
					t.Errorf("%s %s %s has %d rows, want at least 15", f.ID, l.ID, m, got)
				}
			}
		}
	}
	// IC6 and IC7 are thin but present; IC1-IC5 are well populated.
	levels := map[string]int{}
	for _, o := range demo.Observations {
		if o.Family == "software-engineer" {
			levels[o.Level]++
		}
	}
	for _, l := range []string{"IC1", "IC2", "IC3", "IC4", "IC5"} {
		if levels[l] < 400 {
			t.Errorf("software-engineer %s has %d rows, want many", l, levels[l])
		}
	}
	if !(levels["IC6"] < levels["IC5"] && levels["IC7"] < levels["IC6"] && levels["IC7"] > 0) {
		t.Errorf("software-engineer IC5 %d, IC6 %d, IC7 %d rows, want thinning but present", levels["IC5"], levels["IC6"], levels["IC7"])
	}
	// Product managers have a few manager rows too.
	pmManagers := 0
	for k, v := range n {
		if k[0] == "product-manager" && k[1][0] == 'M' {
			pmManagers += v
		}
	}
	if pmManagers == 0 || pmManagers > 200 {
		t.Errorf("product-manager has %d manager rows, want a few", pmManagers)
	}
}

// TestThinCohortsForFallback: some non-US metro cohorts are below the default band
// minimum of 10, while their country has enough rows to fall back to.
func TestThinCohortsForFallback(t *testing.T) {
	n := count(demo.Observations)
	for _, l := range []string{"IC5", "IC6", "IC7"} {
		if got := n[[3]string{"software-engineer", l, "dublin"}]; got >= 10 {
			t.Errorf("software-engineer %s dublin has %d rows, want fewer than 10", l, got)
		}
	}
	montreal := n[[3]string{"software-engineer", "IC5", "montreal"}]
	canada := 0
	for _, o := range demo.Observations {
		if o.Family == "software-engineer" && o.Level == "IC5" && o.Country == "CA" {
			canada++
		}
	}
	if montreal < 1 || montreal >= 10 || canada < 10 {
		t.Errorf("software-engineer IC5: montreal %d rows, Canada %d; want 1-9 and at least 10", montreal, canada)
	}
}

func median(values []float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	return stats.Percentile(s, 0.5)
}

func within(t *testing.T, what string, got, want, tolerance float64) {
	t.Helper()
	if math.Abs(got/want-1) > tolerance {
		t.Errorf("%s: median %.6g, want %.6g within %.0f%%", what, got, want, tolerance*100)
	} else {
		t.Logf("%s: median %.6g, target %.6g (%+.1f%%)", what, got, want, (got/want-1)*100)
	}
}

// TestCalibration checks the raw (unaged) medians against the public figures of
// REFERENCE.md: the shared Levels.fyi export for Google software engineers by level,
// and the Levels.fyi 2023 report for the pooled metro medians.
func TestCalibration(t *testing.T) {
	totals, bases := map[string][]float64{}, map[string][]float64{}
	pooled := map[string][]float64{}
	for _, o := range demo.Observations {
		if o.Family != "software-engineer" {
			continue
		}
		pooled[o.Metro] = append(pooled[o.Metro], o.Total)
		if o.Metro == "sf-bay-area" {
			totals[o.Level] = append(totals[o.Level], o.Total)
			bases[o.Level] = append(bases[o.Level], o.Base)
		}
	}
	for _, c := range []struct {
		level       string
		total, base float64
	}{
		{"IC1", 185_000, 126_000},
		{"IC2", 255_000, 153_000},
		{"IC3", 345_000, 184_000},
		{"IC4", 470_000, 215_000},
	} {
		within(t, "software-engineer sf-bay-area "+c.level+" total", median(totals[c.level]), c.total, 0.10)
		within(t, "software-engineer sf-bay-area "+c.level+" base", median(bases[c.level]), c.base, 0.10)
	}
	for _, c := range []struct {
		metro string
		total float64
	}{
		{"sf-bay-area", 249_000},
		{"seattle", 225_000},
		{"new-york", 185_000},
	} {
		within(t, "software-engineer "+c.metro+" all levels total", median(pooled[c.metro]), c.total, 0.10)
	}
	// Medians rise with the level, and the bonus is about 10-20% of base.
	prev := 0.0
	for _, l := range []string{"IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC7"} {
		m := median(totals[l])
		if m <= prev {
			t.Errorf("software-engineer sf-bay-area %s median %.0f does not rise above %.0f", l, m, prev)
		}
		prev = m
	}
	var ratios []float64
	for _, o := range demo.Observations {
		if o.Family == "software-engineer" {
			ratios = append(ratios, o.Bonus/o.Base)
		}
	}
	if r := median(ratios); r < 0.10 || r > 0.20 {
		t.Errorf("software-engineer median bonus/base %.3f, want 0.10-0.20", r)
	}
}

// TestTokenBudgets: about 40% of recent technical rows and 10% of the others carry
// a budget, from about 15% of base at IC1 to about 45% at IC5 and above.
func TestTokenBudgets(t *testing.T) {
	technical := map[string]bool{
		"software-engineer": true, "engineering-manager": true, "data-scientist": true,
		"hardware-engineer": true, "technical-program-manager": true,
		"solution-architect": true, "product-manager": true,
	}
	since := End.AddDate(-1, 0, 0)
	var rows, budgets [2]int
	share := map[string][]float64{}
	for _, o := range demo.Observations {
		if !o.Reported.After(since) {
			continue
		}
		k := 1
		if technical[o.Family] {
			k = 0
		}
		rows[k]++
		if o.Tokens > 0 {
			budgets[k]++
			share[o.Level] = append(share[o.Level], o.Tokens/o.Base)
		}
	}
	if r := float64(budgets[0]) / float64(rows[0]); math.Abs(r-0.40) > 0.04 {
		t.Errorf("technical rows with a token budget: %.3f, want about 0.40", r)
	}
	if r := float64(budgets[1]) / float64(rows[1]); math.Abs(r-0.10) > 0.03 {
		t.Errorf("other rows with a token budget: %.3f, want about 0.10", r)
	}
	within(t, "IC1 token budget / base", median(share["IC1"]), 0.15, 0.15)
	within(t, "IC5 token budget / base", median(share["IC5"]), 0.45, 0.15)
}

func BenchmarkDataset(b *testing.B) {
	for b.Loop() {
		Dataset()
	}
}
