package market

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/stats"
)

var ref = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func rows() []Observation {
	mk := func(metro, zone string, total, base, tokens float64, monthsAgo int) Observation {
		return Observation{Family: "software-engineer", Level: "IC3", Metro: metro, Zone: zone, Country: "US",
			Reported: ref.AddDate(0, -monthsAgo, 0), Base: base, Equity: total - base - 10000, Bonus: 10000, Total: total, Tokens: tokens}
	}
	return []Observation{
		mk("sf-bay-area", "us-tier-1", 300000, 180000, 50000, 0),
		mk("sf-bay-area", "us-tier-1", 200000, 0, 0, 12), // base not reported
		mk("seattle", "us-tier-1", 250000, 160000, 0, 0),
		mk("", "", 150000, 120000, 20000, 0),                                 // only the country is known
		{Family: "", Level: "IC3", Country: "US", Reported: ref, Total: 1e6}, // unmapped family: kept out
	}
}

func TestBuildIndexesEveryScope(t *testing.T) {
	s := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "t"}, Observations: rows()}}, ref, stats.DefaultAgingRate)
	key := func(scope catalog.Scope, place string) CohortKey {
		return CohortKey{Family: "software-engineer", Level: "IC3", Scope: scope, Place: place}
	}
	for _, c := range []struct {
		key  CohortKey
		want int
	}{
		{key(catalog.ScopeMetro, "sf-bay-area"), 2},
		{key(catalog.ScopeMetro, "seattle"), 1},
		{key(catalog.ScopeZone, "us-tier-1"), 3},
		{key(catalog.ScopeCountry, "US"), 4},
		{key(catalog.ScopeMetro, "nowhere"), 0},
	} {
		if got := s.Count(c.key); got != c.want {
			t.Errorf("Count(%v) = %d, want %d", c.key, got, c.want)
		}
	}
	a, ok := s.Lookup(key(catalog.ScopeMetro, "sf-bay-area"), stats.DefaultAgingRate, ref)
	if !ok {
		t.Fatal("no SF cohort")
	}
	// The 200k total reported 12 months (365 days) earlier ages by 1.03^(365/365.2425).
	aged := 200000 * math.Pow(1.03, 365/365.2425)
	lo, _ := a.Quantile(Total, 0, 1)
	hi, _ := a.Quantile(Total, 1, 1)
	totals := []float64{lo, hi}
	if a.Count(Total) != 2 || math.Abs(totals[0]-aged) > 1e-6 || totals[1] != 300000 {
		t.Errorf("totals %v, want [%v 300000]", totals, aged)
	}
	// An unreported base (0) counts for the total but not for base.
	if tok, _ := a.Quantile(Tokens, 0.5, 1); a.Count(Base) != 1 || a.Count(Equity) != 2 || a.Count(Tokens) != 1 || tok != 50000 {
		t.Errorf("series: base %d equity %d tokens %d (%v)", a.Count(Base), a.Count(Equity), a.Count(Tokens), tok)
	}
	if first, last := a.Dates(); !first.Equal(ref.AddDate(0, -12, 0)) || !last.Equal(ref) {
		t.Errorf("dates %v .. %v", first, last)
	}
}

// Moving the effective date scales every aged value by one factor; another aging rate
// re-ages from the report dates and is cached.
func TestLookupAgesToAnyDateAndRate(t *testing.T) {
	s := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "t"}, Observations: rows()}}, ref, stats.DefaultAgingRate)
	key := CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "sf-bay-area"}
	later := ref.AddDate(1, 0, 0) // 365 days
	a, _ := s.Lookup(key, 0.03, later)
	if want := math.Pow(1.03, 365/365.2425); math.Abs(a.factor-want) > 1e-12 {
		t.Errorf("factor %v, want %v", a.factor, want)
	}
	if got, _ := a.Quantile(Total, 1, 1); got != 300000*a.factor {
		t.Errorf("max aged total %v, want %v", got, 300000*a.factor)
	}
	// Tokens are never aged.
	if got, _ := a.Quantile(Tokens, 1, 1); got != 50000 {
		t.Errorf("token budget aged to %v", got)
	}
	off, _ := s.Lookup(key, 0, later)
	if lo, _ := off.Quantile(Total, 0, 1); off.factor != 1 || lo != 200000 {
		t.Errorf("aging off: factor %v lowest total %v", off.factor, lo)
	}
	// A rate the snapshot was not built for is aged for the one lookup, never kept.
	again, _ := s.Lookup(key, 0, later)
	if again.parts[0].c == off.parts[0].c || len(s.members[0].rated) != 0 || len(s.members[0].p.rated) != 0 {
		t.Error("a cohort at another rate was cached")
	}
	// Concurrent lookups at many rates stay consistent (run with -race).
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rate := float64(i%20) / 100
			c, ok := s.Lookup(key, rate, ref)
			if !ok || c.Count(Total) != 2 {
				t.Errorf("rate %v: %v %d", rate, ok, c.Count(Total))
			}
		}()
	}
	wg.Wait()
}

func TestVersionIsAContentHash(t *testing.T) {
	a := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "t"}, Observations: rows()}}, ref, 0.03)
	b := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "t"}, Observations: rows()}}, ref.AddDate(0, 1, 0), 0.05)
	if a.Version != b.Version || len(a.Version) != 16 {
		t.Errorf("same data, versions %q and %q", a.Version, b.Version)
	}
	changed := rows()
	changed[0].Total++
	if c := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "t"}, Observations: changed}}, ref, 0.03); c.Version == a.Version {
		t.Error("changed data kept its version")
	}
}

// A snapshot built for more rates answers them from its precomputed cohorts with the
// same figures as aging on the fly, and leaves the snapshot it came from unchanged.
func TestWithRatesPrecomputesWithoutChangingTheOriginal(t *testing.T) {
	var rows []Observation
	for i := range 10 {
		rows = append(rows, Observation{Family: "software-engineer", Level: "IC3", Metro: "seattle", Zone: "us-tier-1", Country: "US",
			Reported: ref.AddDate(0, -6*i, 0), Base: 1, Total: 100000 + float64(i)*10000})
	}
	s := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "r"}, Observations: rows}}, ref, 0.03)
	key := CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "seattle"}
	onTheFly, _ := s.Lookup(key, 0.07, ref)
	want, _ := onTheFly.Quantile(Total, 0.5, 5)
	r := s.WithRates([]float64{0.07, 0.03})
	if got := r.Rates(); !slices.Equal(got, []float64{0.03, 0.07}) {
		t.Fatalf("rates %v", got)
	}
	if got := s.Rates(); !slices.Equal(got, []float64{0.03}) {
		t.Fatalf("the original snapshot changed: rates %v", got)
	}
	if r.members[0].rated[0.07].cohorts[key] == nil {
		t.Fatal("7% not precomputed")
	}
	pre, _ := r.Lookup(key, 0.07, ref)
	if got, _ := pre.Quantile(Total, 0.5, 5); got != want {
		t.Errorf("precomputed median %v, aged on the fly %v", got, want)
	}
	if r.WithRates([]float64{0.07}) != r {
		t.Error("the same rates built a new snapshot")
	}
}

// Two datasets blend by the weighted mean of each one's statistics; a dataset below a
// statistic's threshold takes no part in it.
func TestBlending(t *testing.T) {
	mk := func(total float64) Observation {
		return Observation{Family: "software-engineer", Level: "IC3", Metro: "seattle", Zone: "us-tier-1", Country: "US",
			Reported: ref, Base: total, Total: total}
	}
	var a, b, thin []Observation
	for i := range 10 {
		a = append(a, mk(100000+float64(i)*1000)) // median 104500
		b = append(b, mk(200000+float64(i)*1000)) // median 204500
	}
	thin = append(thin, mk(900000), mk(900000))
	s := Build([]Dataset{
		{DatasetInfo: DatasetInfo{Name: "a", Weight: 3}, Observations: a},
		{DatasetInfo: DatasetInfo{Name: "b", Weight: 1}, Observations: b},
		{DatasetInfo: DatasetInfo{Name: "thin", Weight: 10}, Observations: thin},
	}, ref, 0.03)
	v, _ := s.Lookup(CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "seattle"}, 0.03, ref)
	// (3 * 104500 + 1 * 204500) / 4 = 129500; "thin" has 2 rows, below the 5 a median needs.
	if got, ok := v.Quantile(Total, 0.5, 5); !ok || got != 129500 {
		t.Errorf("blended median %v, want 129500", got)
	}
	if v.Count(Total) != 22 || v.Eligible(Total, 5) != 20 {
		t.Errorf("count %d, eligible %d", v.Count(Total), v.Eligible(Total, 5))
	}
	if w := s.Datasets[0].WeightPercent; math.Abs(w-3.0/14*100) > 1e-9 {
		t.Errorf("weight percent %v", w)
	}
}

// Rank inverts the type-7 quantile: on 100k..190k, 145,000 is the median and 135,000
// sits at h = 3.5, q = 3.5 / 9.
func TestRank(t *testing.T) {
	var rows []Observation
	for i := range 10 {
		rows = append(rows, Observation{Family: "software-engineer", Level: "IC3", Metro: "seattle", Zone: "us-tier-1", Country: "US",
			Reported: ref, Base: 1, Total: 100000 + float64(i)*10000})
	}
	s := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "r"}, Observations: rows}}, ref, 0.03)
	v, _ := s.Lookup(CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "seattle"}, 0.03, ref)
	for _, c := range []struct{ value, want float64 }{{145000, 0.5}, {135000, 3.5 / 9}, {50000, 0}, {900000, 1}, {100000, 0}} {
		if got, ok := v.Rank(Total, c.value); !ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Rank(%v) = %v, want %v", c.value, got, c.want)
		}
	}
}

// A part read back from its encoding answers like the part it was written from; a
// flipped byte or a torn file is refused rather than served.
func TestPartEncodingRoundTripsAndRefusesDamage(t *testing.T) {
	b := NewBuilder(0)
	for _, o := range rows() {
		b.Add(&o)
	}
	p := b.Build(ref, 0.03)
	var buf bytes.Buffer
	if err := p.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	back, err := DecodePart(bytes.NewReader(enc), int64(len(enc)))
	if err != nil {
		t.Fatal(err)
	}
	key := CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeZone, Place: "us-tier-1"}
	for _, part := range []*Part{p, back} {
		s := Assemble([]Source{{DatasetInfo: DatasetInfo{Name: "t"}, Part: part}}, 0.03)
		v, ok := s.Lookup(key, 0.03, ref)
		med, _ := v.Quantile(Total, 0.5, 1)
		mean, _ := v.Mean(Base, 1)
		if !ok || v.Count(Total) != 3 || med != 250000 || mean != 170000 || s.Count(key) != 3 {
			t.Errorf("count %d median %v mean base %v", v.Count(Total), med, mean)
		}
		// Rows are held by place: the row with no family comes first.
		if got := part.Observation(0); got.Total != 1e6 || got.Family != "" || got.Country != "US" || !got.Reported.Equal(ref) {
			t.Errorf("row 0 %+v", got)
		}
	}
	for _, damaged := range [][]byte{
		append(append([]byte{}, enc[:len(enc)/2]...), 0xff),                                // torn
		append(append(append([]byte{}, enc[:100]...), enc[100]^1), enc[101:]...),           // a flipped bit
		append(append([]byte{}, enc[:len(enc)-4]...), 0, 0, 0, 0),                          // a wrong checksum
		append(append(append([]byte{}, enc[:48]...), 0xff, 0xff, 0xff, 0x7f), enc[52:]...), // a huge count
	} {
		if _, err := DecodePart(bytes.NewReader(damaged), int64(len(damaged))); !errors.Is(err, ErrPartFormat) {
			t.Errorf("damaged part read back: %v", err)
		}
	}
}

// The closed-form cap: counts 40, 30, 10, 10, 10 at 25% give 15, 15, 10, 10, 10; four
// companies at 25% weigh 25% each whatever their rows; a cap that does not bind leaves
// every weight at 1.
func TestCompanyCap(t *testing.T) {
	mk := func(rows ...int32) []companyCount {
		out := make([]companyCount, len(rows))
		for i, r := range rows {
			out[i] = companyCount{id: uint32(i + 1), rows: r}
		}
		return out
	}
	for _, c := range []struct {
		counts []companyCount
		k      int
		each   float64
	}{
		{mk(40, 30, 10, 10, 10), 2, 15},
		{mk(40, 30, 20, 10), 3, 10},
		{mk(20, 20, 20, 20, 20), 0, 25},
		{mk(6, 1, 1, 1, 1), 1, 4.0 / 3},
	} {
		if k, each := capped(c.counts, 0.25); k != c.k || math.Abs(each-c.each) > 1e-9 || (k == 0 && c.k == 0 && false) {
			t.Errorf("%v: k %d each %v, want %d and %v", c.counts, k, each, c.k, c.each)
		}
	}
}

// Weighted type 7: company A with six rows 100,000 ... 150,000 and four companies of
// one row each (90,000, 160,000, 170,000, 180,000) at 25%: A's rows weigh 2/9 each and
// p10 ... p90 are 97,091, 121,250, 157,273, 169,167, 175,667. With equal weights the
// same code is plain type 7.
func TestWeightedPercentiles(t *testing.T) {
	var rows []Observation
	add := func(company string, total float64) {
		rows = append(rows, Observation{Company: company, Family: "software-engineer", Level: "IC3", Metro: "seattle", Zone: "us-tier-1", Country: "US",
			Reported: ref, Base: total, Total: total})
	}
	for i := range 6 {
		add("A", 100000+float64(i)*10000)
	}
	for i, v := range []float64{90000, 160000, 170000, 180000} {
		add(string(rune('B'+i)), v)
	}
	s := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "w"}, Observations: rows}}, ref, 0.03)
	key := CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "seattle"}
	v, _ := s.Lookup(key, 0.03, ref)
	w := v.Weighted(25, 5)
	want := []float64{97091, 121250, 157273, 169167, 175667}
	for i, q := range StandardQuantiles {
		got, ok := w.Quantile(Total, q, 1)
		if !ok || math.Round(got) != want[i] {
			t.Errorf("p%g = %v, want %v", q*100, got, want[i])
		}
		// A quantile that is not precomputed takes the same path.
		if odd, _ := w.Quantile(Total, q+1e-12, 1); math.Abs(odd-got) > 1e-3 {
			t.Errorf("p%g computed on the fly: %v, precomputed %v", q*100, odd, got)
		}
		plain, _ := v.Quantile(Total, q, 1)
		unweighted, _ := v.Weighted(100, 1).Quantile(Total, q, 1)
		if plain != unweighted {
			t.Errorf("p%g: unweighted %v, no cap %v", q*100, plain, unweighted)
		}
	}
	// A weighs 4/3 of 4/3 + 4: 25%; its rows are 60%.
	if got := w.LargestWeightShare(Total, 1); math.Abs(got-0.25) > 1e-9 || v.LargestRowShare(Total) != 0.6 || v.Companies(Total) != 5 {
		t.Errorf("largest weight share %v, row share %v, companies %d", got, v.LargestRowShare(Total), v.Companies(Total))
	}
	// A mean is the weighted mean: (4/3 * 125,000 + 600,000) / (16/3) = 143,750.
	if got, _ := w.Mean(Total, 1); math.Abs(got-143750) > 1e-6 {
		t.Errorf("weighted mean %v, want 143750", got)
	}
	// Six companies are needed and five are there: nothing is published.
	if _, ok := v.Weighted(25, 6).Quantile(Total, 0.5, 1); ok {
		t.Error("published from fewer companies than required")
	}
	// The series weighs 4/3 + 4 = 16/3 under the cap, 8 at 50%, its 10 rows without one.
	for _, c := range []struct {
		v    View
		want float64
	}{{w, 16.0 / 3}, {v.Weighted(50, 2), 8}, {v, 10}} {
		if got := c.v.Weight(Total, 1); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("weight %v, want %v", got, c.want)
		}
	}
	// Another cap is computed on the fly: at 50% A weighs 4 of 8.
	if got := v.Weighted(50, 2).LargestWeightShare(Total, 1); math.Abs(got-0.5) > 1e-9 {
		t.Errorf("at 50%%: A weighs %v", got)
	}
}

// A value tied by several rows sits at the middle of the interval of q on which the
// quantile equals it: ten bonuses, four of them 0, put 0 at 1.5 / 9 (16.67%).
func TestRankOfATiedValue(t *testing.T) {
	var rows []Observation
	for i := range 10 {
		bonus := 0.0
		if i >= 4 {
			bonus = float64(i) * 1000
		}
		rows = append(rows, Observation{Company: string(rune('a' + i)), Family: "software-engineer", Level: "IC3", Metro: "seattle", Zone: "us-tier-1", Country: "US",
			Reported: ref, Base: 100000, Bonus: bonus, Total: 100000 + bonus})
	}
	s := Build([]Dataset{{DatasetInfo: DatasetInfo{Name: "r"}, Observations: rows}}, ref, 0.03)
	v, _ := s.Lookup(CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "seattle"}, 0.03, ref)
	if got, _ := v.Rank(Bonus, 0); math.Abs(got-1.5/9) > 1e-9 {
		t.Errorf("Rank(0) = %v, want %v", got, 1.5/9)
	}
	// The tied base: every row, so the middle of [0, 1].
	if got, _ := v.Rank(Base, 100000); math.Abs(got-0.5) > 1e-9 {
		t.Errorf("Rank(100000) of ten equal bases = %v, want 0.5", got)
	}
	if got, _ := v.Rank(Bonus, 6500); math.Abs(got-6.5/9) > 1e-9 { // halfway from 6000 (x7) to 7000 (x8): untied
		t.Errorf("Rank(6500) = %v, want %v", got, 6.5/9)
	}
}
