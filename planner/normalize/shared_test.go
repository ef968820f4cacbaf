package normalize

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymix/paymix/internal/shareddata"
	"github.com/paymix/paymix/planner/catalog"
)

// sharedFile is the public Levels.fyi export (see ../shared/data/README.md); tests
// read it in place and skip when it is absent.
var sharedFile = shareddata.File()

var shared struct {
	once sync.Once
	rows []Row
	err  error
}

// sharedRows reads the export once per test binary.
func sharedRows(tb testing.TB) []Row {
	tb.Helper()
	shared.once.Do(func() { shared.rows, shared.err = readShared(sharedFile) })
	if errors.Is(shared.err, fs.ErrNotExist) {
		shareddata.Need(tb)
		tb.Fatal(shared.err)
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.rows
}

// readShared reads the gzipped CSV export, columns by header name.
func readShared(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	rd := csv.NewReader(gz)
	header, err := rd.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, name := range []string{"timestamp", "company", "level", "title", "totalyearlycompensation", "location",
		"yearsofexperience", "yearsatcompany", "basesalary", "stockgrantvalue", "bonus"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, name)
		}
	}
	var rows []Row
	for n := 1; ; n++ {
		rec, err := rd.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		num := func(name string) float64 {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[col[name]]), 64)
			if err != nil {
				return 0
			}
			return v
		}
		ts, err := time.Parse("1/2/2006 15:04:05", strings.TrimSpace(rec[col["timestamp"]]))
		if err != nil {
			return nil, fmt.Errorf("row %d: %v", n, err)
		}
		rows = append(rows, Row{
			RowNumber:       n,
			Company:         rec[col["company"]],
			CompanyLevel:    rec[col["level"]],
			Title:           rec[col["title"]],
			Location:        rec[col["location"]],
			Reported:        time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC),
			YearsExperience: num("yearsofexperience"),
			YearsAtCompany:  num("yearsatcompany"),
			Base:            num("basesalary"),
			Equity:          num("stockgrantvalue"),
			Bonus:           num("bonus"),
			Total:           num("totalyearlycompensation"),
		})
	}
}

// Figures of the export, computed once and pinned: a change to the level maps or the
// geography that moves them must update them on purpose.
const (
	sharedRowCount       = 62642
	sharedLevelMapped    = 34568 // rows whose level maps onto the standard ladder: 55.18%
	sharedMetroResolved  = 61487 // rows whose location resolves to a metro: 98.16%
	sharedCountryResolve = 62640 // rows whose location resolves to at least a country: 99.997%
	sharedTop25Mapped    = 32851 // rows of the 25 largest companies whose level maps (of 36366: 90.33%)
)

func TestSharedFileCoverage(t *testing.T) {
	rows := sharedRows(t)
	if len(rows) != sharedRowCount {
		t.Fatalf("%d rows, want %d", len(rows), sharedRowCount)
	}
	m := NewMaps(nil, nil)
	titles := map[string]bool{}
	var levels, family, metro, country int
	perCompany := map[string]int{}
	mappedPerCompany := map[string]int{}
	for _, r := range rows {
		o, u := m.Observation(r)
		titles[r.Title] = true
		perCompany[o.Company]++
		if !u.Family {
			family++
		}
		if !u.Level {
			levels++
			mappedPerCompany[o.Company]++
		}
		if o.Metro != "" {
			metro++
		}
		if !u.Location {
			country++
		}
	}
	t.Logf("titles %d, families mapped %d; levels mapped %d (%.2f%%); metro %d (%.2f%%); country %d (%.2f%%)",
		len(titles), family, levels, pct(levels, len(rows)), metro, pct(metro, len(rows)), country, pct(country, len(rows)))

	// Every one of the 15 titles of the export maps to a job family.
	if len(titles) != 15 || family != len(rows) {
		t.Errorf("%d distinct titles, %d rows with a family; want 15 titles and every row", len(titles), family)
	}

	// The 25 companies with the most rows all have built-in level maps.
	type kv struct {
		company string
		n       int
	}
	var top []kv
	for c, n := range perCompany {
		top = append(top, kv{c, n})
	}
	sort.Slice(top, func(i, j int) bool {
		return top[i].n > top[j].n || top[i].n == top[j].n && top[i].company < top[j].company
	})
	builtin := map[string]bool{}
	for _, e := range BuiltinLevels {
		builtin[e.Company] = true
	}
	for _, c := range top[:25] {
		if !builtin[c.company] {
			t.Errorf("%s (%d rows) is among the 25 largest companies but has no built-in level map", c.company, c.n)
		}
		t.Logf("%-16s %5d rows, %5d levels mapped (%.1f%%)", c.company, c.n, mappedPerCompany[c.company], pct(mappedPerCompany[c.company], c.n))
	}

	top25 := 0
	for _, c := range top[:25] {
		top25 += mappedPerCompany[c.company]
	}
	if top25 != sharedTop25Mapped {
		t.Errorf("levels mapped for %d rows of the 25 largest companies, want %d", top25, sharedTop25Mapped)
	}
	if levels != sharedLevelMapped {
		t.Errorf("levels mapped for %d rows (%.2f%%), want %d", levels, pct(levels, len(rows)), sharedLevelMapped)
	}
	if metro != sharedMetroResolved || country != sharedCountryResolve {
		t.Errorf("locations: %d rows to a metro, %d to at least a country; want %d and %d", metro, country, sharedMetroResolved, sharedCountryResolve)
	}
	// Every US place with many rows has its metro: what is left at country level is small
	// towns and campuses (the largest, Poughkeepsie NY, has 25 rows).
	usCountryOnly := map[string]int{}
	for _, r := range rows {
		if loc, ok := m.Location(r.Location); ok && loc.Country == "US" && loc.Scope != catalog.ScopeMetro {
			usCountryOnly[r.Location]++
		}
	}
	for text, n := range usCountryOnly {
		if n > 25 {
			t.Errorf("%q has %d rows but no metro", text, n)
		}
	}
	if 100*country < 95*len(rows) {
		t.Errorf("only %.2f%% of rows resolve to a country, want at least 95%%", pct(country, len(rows)))
	}
}

// The geography resolves the shared file through catalog.Geo.Resolve alone: the coverage
// above owes nothing to user location entries.
func TestSharedFileGeographyIsCatalogOnly(t *testing.T) {
	rows := sharedRows(t)
	seen := map[string]bool{}
	country := 0
	for _, r := range rows {
		if !seen[r.Location] {
			seen[r.Location] = true
		}
		if _, ok := catalog.Geo.Resolve(r.Location); ok {
			country++
		}
	}
	if country != sharedCountryResolve {
		t.Errorf("catalog.Geo.Resolve places %d rows, want %d", country, sharedCountryResolve)
	}
	if len(seen) != 1050 {
		t.Errorf("%d distinct locations, want 1050", len(seen))
	}
}

func pct(n, of int) float64 { return 100 * float64(n) / float64(of) }

// BenchmarkObservationSharedFile normalises every row of the export once per op: "cold"
// builds the Maps inside the op (empty memo), "warm" reuses one Maps as snapshot rebuilds do.
func BenchmarkObservationSharedFile(b *testing.B) {
	rows := sharedRows(b)
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := NewMaps(nil, nil)
			for _, r := range rows {
				m.Observation(r)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/row")
	})
	b.Run("warm", func(b *testing.B) {
		m := NewMaps(nil, nil)
		for _, r := range rows {
			m.Observation(r)
		}
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range rows {
				m.Observation(r)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/row")
	})
}
