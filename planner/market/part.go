package market

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/stats"
)

// A Part is one dataset's observations, held column-wise, and its cohort index. It is
// built once (or read back from disk, see ReadPart) and never changes: snapshots share
// parts, so a change of the active data builds only the parts it touches.
//
// Memory is a small constant per observation: amounts are fixed-width columns, text is
// interned once per part, and rows are ordered by cohort (family, level, country,
// zone, metro), so that a cohort at any scope is a run of rows, and each of its
// series is a sorted list of row numbers rather than a copy of values.
type Part struct {
	// Reference is the day the series are ordered (aged) at, Rate the aging rate.
	Reference time.Time
	Rate      float64
	// Hash identifies the observations (not the reference or rate): snapshot
	// versions are built from it.
	Hash uint64

	strs                         []string // interned text
	company, companyLevel, title []uint32 // per row, into strs
	day                          []int32  // report date, days since 1970-01-01
	amount                       [numKinds][]float64
	tuples                       []tuple // runs of rows with the same place and job
	minDay                       int32

	base *aging // the cohorts at Rate

	mu    sync.Mutex // guards rated, filled only by state rebuilds (WithRates)
	rated map[float64]*aging
}

// tuple is a run of rows [start, end) sharing family, level and place (ids into strs).
type tuple struct {
	family, level, metro, zone, country uint32
	start, end                          int32
}

// aging is a part's cohorts aged at one rate: each series' order, sums and pay mix.
type aging struct {
	rate    float64
	factor  []float64 // by day - minDay
	cohorts map[CohortKey]*Cohort
	keys    []CohortKey // the cohorts in row order
	order   []uint32    // every series' row numbers, back to back
}

// Cohort is one part's rows of a cohort, aged at one rate.
type Cohort struct {
	runs   [][2]int32 // row ranges; one in practice
	rows   int
	series [numKinds]series
	// mix sums each row's shares base / (base + equity + bonus), equity / ..., bonus /
	// ... over the rows that report a base (the pay mix must come from rows whose parts
	// are all known), and in mix[3] their number. Shares do not age.
	mix         [4]float64
	first, last int32 // report days
}

// series is one kind of value of a cohort: its rows in ascending order of value, and
// the sum of the values.
type series struct {
	rows []uint32
	sum  float64
	// std holds the series' StandardQuantiles, which every band and statistic
	// publishes: computed once, they cost no reads of the rows.
	std [len(StandardQuantiles)]float64
	// companies counts the series' rows by company, most first; dflt is its weights
	// at DefaultSharePercent, nil when that cap does not bind.
	companies []companyCount
	dflt      *weighting
	medianDay int32 // the median report day of the rows
}

// StandardQuantiles are the percentiles published with every series (p10-p90).
var StandardQuantiles = [...]float64{0.10, 0.25, 0.50, 0.75, 0.90}

// standardize computes a series' standard quantiles.
func (s *series) standardize(p *Part, a *aging, k Kind) {
	if len(s.rows) == 0 {
		return
	}
	for i, q := range StandardQuantiles {
		s.std[i] = stats.PercentileAt(len(s.rows), func(j int) float64 { return p.value(a, k, s.rows[j]) }, q)
	}
}

const noString = 0 // strs[0] is ""

// Builder collects observations for a Part; Build indexes them.
type Builder struct {
	index map[string]uint32
	strs  []string
	p     Part
	place [][5]uint32 // per row: family, level, metro, zone, country
	hash  hashWriter
}

// NewBuilder starts a part of about capacity observations.
func NewBuilder(capacity int) *Builder {
	b := &Builder{index: map[string]uint32{"": noString}, strs: []string{""}, hash: hashWriter{h: fnv.New64a()}}
	b.p.company = make([]uint32, 0, capacity)
	b.p.companyLevel = make([]uint32, 0, capacity)
	b.p.title = make([]uint32, 0, capacity)
	b.p.day = make([]int32, 0, capacity)
	for k := range b.p.amount {
		b.p.amount[k] = make([]float64, 0, capacity)
	}
	b.place = make([][5]uint32, 0, capacity)
	return b
}

func (b *Builder) intern(s string) uint32 {
	if id, ok := b.index[s]; ok {
		return id
	}
	id := uint32(len(b.strs))
	b.strs = append(b.strs, s)
	b.index[s] = id
	return id
}

// Len is the number of observations added.
func (b *Builder) Len() int { return len(b.p.day) }

// Add appends an observation. Report dates are days (UTC midnight).
func (b *Builder) Add(o *Observation) {
	p := &b.p
	p.company = append(p.company, b.intern(o.Company))
	p.companyLevel = append(p.companyLevel, b.intern(o.CompanyLevel))
	p.title = append(p.title, b.intern(o.Title))
	p.day = append(p.day, dayOf(o.Reported))
	for k, v := range [numKinds]float64{o.Total, o.Base, o.Equity, o.Bonus, o.Tokens} {
		p.amount[k] = append(p.amount[k], v)
	}
	b.place = append(b.place, [5]uint32{b.intern(o.Family), b.intern(o.Level), b.intern(o.Metro), b.intern(o.Zone), b.intern(o.Country)})
	b.hash.observation(o)
}

func dayOf(t time.Time) int32 { return int32(math.Floor(float64(t.Unix()) / 86400)) }

func dayTime(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Build orders the rows by cohort and indexes every observation with a job family,
// level and country into the cohorts of its metro, zone and country, aged to the
// reference date at rate. Observations lacking any of those stay out of cohorts but
// in the part (peer queries see them). The builder is spent.
func (b *Builder) Build(reference time.Time, rate float64) *Part {
	p := &b.p
	p.strs, p.Reference, p.Rate, p.Hash = b.strs, reference, rate, b.hash.h.Sum64()
	n := len(p.day)
	// Rows by place: distinct places, ranked by family, level, country, zone, metro,
	// then a stable counting sort keeps file order within each.
	placeID := map[[5]uint32]int32{}
	var places [][5]uint32
	of := make([]int32, n)
	for i, pl := range b.place {
		id, ok := placeID[pl]
		if !ok {
			id = int32(len(places))
			placeID[pl] = id
			places = append(places, pl)
		}
		of[i] = id
	}
	b.place = nil
	rank := make([]int32, len(places))
	byRank := make([]int32, len(places))
	for i := range byRank {
		byRank[i] = int32(i)
	}
	s := p.strs
	slices.SortFunc(byRank, func(x, y int32) int {
		a, c := places[x], places[y]
		return cmp.Or(cmp.Compare(s[a[0]], s[c[0]]), cmp.Compare(s[a[1]], s[c[1]]), cmp.Compare(s[a[4]], s[c[4]]),
			cmp.Compare(s[a[3]], s[c[3]]), cmp.Compare(s[a[2]], s[c[2]]))
	})
	for r, id := range byRank {
		rank[id] = int32(r)
	}
	starts := make([]int32, len(places)+1)
	for _, id := range of {
		starts[rank[id]+1]++
	}
	for r := range places {
		starts[r+1] += starts[r]
	}
	perm := make([]int32, n) // new row -> file row
	next := slices.Clone(starts[:len(places)])
	for i, id := range of {
		r := rank[id]
		perm[next[r]] = int32(i)
		next[r]++
	}
	of, next = nil, nil
	p.company, p.companyLevel, p.title = permute(p.company, perm), permute(p.companyLevel, perm), permute(p.title, perm)
	p.day = permute(p.day, perm)
	for k := range p.amount {
		p.amount[k] = permute(p.amount[k], perm)
	}
	p.tuples = make([]tuple, len(places))
	for r, id := range byRank {
		pl := places[id]
		p.tuples[r] = tuple{family: pl[0], level: pl[1], metro: pl[2], zone: pl[3], country: pl[4], start: starts[r], end: starts[r+1]}
	}
	p.minDay = 0
	if n > 0 {
		p.minDay = slices.Min(p.day)
	}
	p.base = p.age(rate, perm)
	return p
}

func permute[T any](col []T, perm []int32) []T {
	out := make([]T, len(col))
	for i, j := range perm {
		out[i] = col[j]
	}
	return out
}

// LargestCohort is the most rows any one cohort of the part will have (its country
// cohorts are its widest): 0 when no row is mapped onto a family, level and country.
func (b *Builder) LargestCohort() int {
	rows := map[[3]uint32]int{}
	most := 0
	for _, pl := range b.place {
		if pl[0] == noString || pl[1] == noString || pl[4] == noString {
			continue
		}
		k := [3]uint32{pl[0], pl[1], pl[4]}
		rows[k]++
		most = max(most, rows[k])
	}
	return most
}

// keys lists the cohorts of the part's tuples with the runs of rows of each.
func (p *Part) keys() (map[CohortKey]*Cohort, []CohortKey) {
	cohorts := map[CohortKey]*Cohort{}
	var order []CohortKey
	for _, t := range p.tuples {
		if t.family == noString || t.level == noString || t.country == noString {
			continue
		}
		for _, scope := range scopes {
			var place uint32
			switch scope {
			case catalog.ScopeMetro:
				place = t.metro
			case catalog.ScopeZone:
				place = t.zone
			default:
				place = t.country
			}
			if place == noString {
				continue
			}
			key := CohortKey{Family: p.strs[t.family], Level: p.strs[t.level], Scope: scope, Place: p.strs[place]}
			c := cohorts[key]
			if c == nil {
				c = &Cohort{}
				cohorts[key] = c
				order = append(order, key)
			}
			if last := len(c.runs) - 1; last >= 0 && c.runs[last][1] == t.start {
				c.runs[last][1] = t.end
			} else {
				c.runs = append(c.runs, [2]int32{t.start, t.end})
			}
			c.rows += int(t.end - t.start)
		}
	}
	return cohorts, order
}

// age computes every cohort's series at a rate. perm, when known (at Build), gives
// each row's place in the file, so that sums add up in file order, as they always
// have; without it they add up in row order.
func (p *Part) age(rate float64, perm []int32) *aging {
	a := &aging{rate: rate, factor: p.factors(rate)}
	cohorts, keys := p.keys()
	a.cohorts, a.keys = cohorts, keys
	// Lay every series out back to back in one array: count first.
	total := 0
	offsets := make([][numKinds]int, len(keys))
	for i, key := range keys {
		c := cohorts[key]
		for k := range numKinds {
			offsets[i][k] = total
			total += c.count(p, k)
		}
	}
	a.order = make([]uint32, total)
	// Cohorts are independent: index them on every core.
	workers := min(runtime.GOMAXPROCS(0), 4)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rows []uint32
			var pairs []valueRow
			for i := w; i < len(keys); i += workers {
				rows, pairs = p.fill(a, cohorts[keys[i]], offsets[i], perm, rows[:0], pairs[:0])
			}
		}()
	}
	wg.Wait()
	return a
}

type valueRow struct {
	v   float64
	row uint32
}

// count is how many of a cohort's rows belong to series k.
func (c *Cohort) count(p *Part, k Kind) int {
	if k != Base && k != Tokens {
		return c.rows
	}
	n := 0
	for _, run := range c.runs {
		for _, v := range p.amount[k][run[0]:run[1]] {
			if v > 0 {
				n++
			}
		}
	}
	return n
}

// fill computes one cohort's series, sums, mix and dates at a's rate into a.order.
func (p *Part) fill(a *aging, c *Cohort, offsets [numKinds]int, perm []int32, rows []uint32, pairs []valueRow) ([]uint32, []valueRow) {
	for _, run := range c.runs {
		for r := run[0]; r < run[1]; r++ {
			rows = append(rows, uint32(r))
		}
	}
	if perm != nil { // already in order when the cohort is one place: a linear pass
		slices.SortFunc(rows, func(x, y uint32) int { return cmp.Compare(perm[x], perm[y]) })
	}
	for k := range numKinds {
		pairs = pairs[:0]
		sum := 0.0
		for _, r := range rows {
			v := p.amount[k][r]
			if (k == Base || k == Tokens) && v <= 0 {
				continue // not reported / no budget
			}
			if k != Tokens {
				v *= a.factor[p.day[r]-p.minDay]
			}
			pairs = append(pairs, valueRow{v, r})
			sum += v
		}
		slices.SortFunc(pairs, func(x, y valueRow) int { return cmp.Compare(x.v, y.v) })
		out := a.order[offsets[k] : offsets[k]+len(pairs) : offsets[k]+len(pairs)]
		for i, pr := range pairs {
			out[i] = pr.row
		}
		c.series[k] = series{rows: out, sum: sum, companies: p.companiesOf(out), medianDay: p.medianDay(out)}
		c.series[k].standardize(p, a, k)
		c.series[k].dflt = p.weigh(a, k, &c.series[k], DefaultSharePercent/100.0)
	}
	for _, r := range rows {
		if base := p.amount[Base][r]; base > 0 {
			c.mix = addShares(c.mix, p, r, 1)
		}
	}
	for i, r := range rows {
		d := p.day[r]
		if i == 0 || d < c.first {
			c.first = d
		}
		if i == 0 || d > c.last {
			c.last = d
		}
	}
	return rows, pairs
}

// factors is the aging factor of every report day of the part, to the reference.
func (p *Part) factors(rate float64) []float64 {
	if len(p.day) == 0 {
		return nil
	}
	maxDay := slices.Max(p.day)
	out := make([]float64, maxDay-p.minDay+1)
	for i := range out {
		out[i] = stats.AgingFactor(rate, stats.MonthsBetween(dayTime(p.minDay+int32(i)), p.Reference))
	}
	return out
}

// at rate: the part's cohorts aged at rate, computed once per rate and kept.
func (p *Part) at(rate float64) *aging {
	if rate == p.Rate {
		return p.base
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.rated[rate]; ok {
		return a
	}
	a := p.age(rate, nil)
	if p.rated == nil {
		p.rated = map[float64]*aging{}
	}
	p.rated[rate] = a
	return a
}

// ageOne ages one cohort at a rate, for one request.
func (p *Part) ageOne(base *Cohort, rate float64) (*aging, *Cohort) {
	a := &aging{rate: rate, factor: p.factors(rate)}
	c := &Cohort{runs: base.runs, rows: base.rows}
	var offsets [numKinds]int
	total := 0
	for k := range numKinds {
		offsets[k] = total
		total += len(base.series[k].rows)
	}
	a.order = make([]uint32, total)
	p.fill(a, c, offsets, nil, nil, nil)
	return a, c
}

// peer gathers the rows a filter selects into a cohort aged at rate; nil when none.
func (p *Part) peer(f PeerFilter, rate float64) (*aging, *Cohort) {
	memo := make([]int8, len(p.strs)) // 1 selected, -1 not, 0 not asked yet
	test := func(fn func(string) bool, id uint32) bool {
		if fn == nil {
			return true
		}
		if memo[id] == 0 {
			memo[id] = -1
			if fn(p.strs[id]) {
				memo[id] = 1
			}
		}
		return memo[id] == 1
	}
	levels := make([]int8, len(p.strs)) // company levels are another question of the same text
	testLevel := func(id uint32) bool {
		if f.CompanyLevel == nil {
			return true
		}
		if levels[id] == 0 {
			levels[id] = -1
			if f.CompanyLevel(p.strs[id]) {
				levels[id] = 1
			}
		}
		return levels[id] == 1
	}
	c := &Cohort{}
	for _, t := range p.tuples {
		if f.Family != "" && p.strs[t.family] != f.Family {
			continue
		}
		if f.Scope != 0 {
			place := t.country
			switch f.Scope {
			case catalog.ScopeMetro:
				place = t.metro
			case catalog.ScopeZone:
				place = t.zone
			}
			if p.strs[place] != f.Place {
				continue
			}
		}
		for r := t.start; r < t.end; r++ {
			if !test(f.Company, p.company[r]) || !testLevel(p.companyLevel[r]) {
				continue
			}
			if last := len(c.runs) - 1; last >= 0 && c.runs[last][1] == r {
				c.runs[last][1] = r + 1
			} else {
				c.runs = append(c.runs, [2]int32{r, r + 1})
			}
			c.rows++
		}
	}
	if c.rows == 0 {
		return nil, nil
	}
	for k := range numKinds {
		n := c.count(p, k)
		c.series[k].rows = make([]uint32, n) // only the counts matter to ageOne
	}
	return p.ageOne(c, rate)
}

// Len is the number of observations of the part.
func (p *Part) Len() int { return len(p.day) }

// Observation is row i of the part, in the part's row order.
func (p *Part) Observation(i int) Observation {
	t := p.tupleOf(int32(i))
	return Observation{
		Company: p.strs[p.company[i]], CompanyLevel: p.strs[p.companyLevel[i]], Title: p.strs[p.title[i]],
		Family: p.strs[t.family], Level: p.strs[t.level], Metro: p.strs[t.metro], Zone: p.strs[t.zone], Country: p.strs[t.country],
		Reported: dayTime(p.day[i]), Base: p.amount[Base][i], Equity: p.amount[Equity][i], Bonus: p.amount[Bonus][i],
		Total: p.amount[Total][i], Tokens: p.amount[Tokens][i],
	}
}

func (p *Part) tupleOf(row int32) *tuple {
	i, _ := slices.BinarySearchFunc(p.tuples, row, func(t tuple, r int32) int {
		switch {
		case t.end <= r:
			return -1
		case t.start > r:
			return 1
		}
		return 0
	})
	return &p.tuples[i]
}

// value is row r's value of series k aged by a.
func (p *Part) value(a *aging, k Kind, r uint32) float64 {
	v := p.amount[k][r]
	if k != Tokens {
		v *= a.factor[p.day[r]-p.minDay]
	}
	return v
}

// hashWriter feeds observations to the content hash, in file order.
type hashWriter struct {
	h interface {
		Write([]byte) (int, error)
		Sum64() uint64
	}
	buf []byte
}

func (w *hashWriter) observation(o *Observation) {
	buf := w.buf[:0]
	for _, s := range [...]string{o.Company, o.CompanyLevel, o.Title, o.Family, o.Level, o.Metro, o.Zone, o.Country} {
		buf = append(append(buf, s...), 0)
	}
	for _, v := range [...]float64{float64(o.Reported.Unix()), o.Base, o.Equity, o.Bonus, o.Total, o.Tokens} {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	w.h.Write(buf)
	w.buf = buf
}

// medianDay is the median report day of rows (the lower middle of an even count).
func (p *Part) medianDay(rows []uint32) int32 {
	if len(rows) == 0 {
		return 0
	}
	days := make([]int32, len(rows))
	for i, r := range rows {
		days[i] = p.day[r]
	}
	return nth(days, (len(days)-1)/2)
}

// nth is the k-th smallest of xs (reordered), by Hoare's selection.
func nth(xs []int32, k int) int32 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		pivot := xs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// addShares adds row r's component shares, weighing w, to a pay-mix sum.
func addShares(m [4]float64, p *Part, r uint32, w float64) [4]float64 {
	base, equity, bonus := p.amount[Base][r], p.amount[Equity][r], p.amount[Bonus][r]
	parts := base + equity + bonus
	m[0] += w * base / parts
	m[1] += w * equity / parts
	m[2] += w * bonus / parts
	m[3] += w
	return m
}
