package planner_test

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paymix/paymix/internal/shareddata"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/stats"
)

var updateAnswers = flag.Bool("update-answers", false, "rewrite testdata/shared_answers.golden")

// Every answer the market gives on the shared export (the band of every cohort under
// two policies and at two dates, the statistics of every cohort aged and raw, peer
// statistics) hashed per cohort into a golden file. It pins the market's numbers
// across changes of how the market is held: a change of representation must not move
// a single figure. Snapshot versions are left out: they name content, not figures.
func TestSharedExportAnswersAreUnchanged(t *testing.T) {
	obs, maps := sharedObservations(t)
	// Two datasets, the second a weighted slice of the first, so that blending is
	// pinned too.
	datasets := []market.Dataset{
		{DatasetInfo: market.DatasetInfo{ID: "levels", Name: "levels"}, Observations: obs},
		{DatasetInfo: market.DatasetInfo{ID: "slice", Name: "slice", Weight: 2}, Observations: obs[:9000]},
	}
	got := sharedAnswers(t, market.Build(datasets, today, stats.DefaultAgingRate), maps, obs)
	checkGolden(t, got)
	// Parts written to disk and read back answer the same.
	var sources []market.Source
	for _, ds := range datasets {
		b := market.NewBuilder(len(ds.Observations))
		for i := range ds.Observations {
			b.Add(&ds.Observations[i])
		}
		var buf bytes.Buffer
		if err := b.Build(today, stats.DefaultAgingRate).Encode(&buf); err != nil {
			t.Fatal(err)
		}
		p, err := market.DecodePart(&buf, int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, market.Source{DatasetInfo: ds.DatasetInfo, Part: p})
	}
	if again := sharedAnswers(t, market.Assemble(sources, stats.DefaultAgingRate), maps, obs); again != got {
		t.Fatal("parts read back from their encoding answer differently")
	}
}

// sharedAnswers lists a digest of every answer of a snapshot, one line per cohort.
func sharedAnswers(t *testing.T, snap *market.Snapshot, maps *normalize.Maps, obs []market.Observation) string {
	snap = snap.WithRates([]float64{0.05})
	faster := planner.Settle(planner.Policy{AgingRatePercent: ptr(5.0), TargetPercentile: ptr(75.0)}, "faster", 1)
	later := today.AddDate(0, 7, 3)

	keys := snap.Keys()
	slices.SortFunc(keys, func(a, b market.CohortKey) int {
		return cmp.Or(cmp.Compare(a.Family, b.Family), cmp.Compare(a.Level, b.Level), cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Place, b.Place))
	})
	var got strings.Builder
	for _, key := range keys {
		h := sha256.New()
		add := func(v any, err error) {
			if err != nil {
				fmt.Fprintf(h, "error %v\n", err)
				return
			}
			if b, ok := v.(*planner.Band); ok {
				b.Provenance.SnapshotVersion = ""
			}
			j, jerr := json.Marshal(v)
			if jerr != nil {
				t.Fatal(jerr)
			}
			h.Write(j)
		}
		loc := catalog.Geo.At(key.Scope, key.Place)
		for _, req := range []planner.Request{
			{Family: key.Family, Level: key.Level, Location: key.Place, Resolved: &loc},
			{Family: key.Family, Level: key.Level, Location: key.Place, Resolved: &loc, Policy: faster, EffectiveDate: later},
		} {
			add(planner.Recommend(snap, req, today))
		}
		for _, raw := range []bool{false, true} {
			add(planner.MarketStats(snap, maps, planner.StatsQuery{Family: key.Family, Level: key.Level, Location: key.Place, DisableAging: raw}, today))
		}
		fmt.Fprintf(&got, "%s %s %s %s %x\n", key.Family, key.Level, key.Scope, key.Place, h.Sum(nil)[:8])
	}
	// Peer groups: the most frequent company levels of the export.
	peers := map[[2]string]int{}
	for _, o := range obs {
		peers[[2]string{o.Company, o.CompanyLevel}]++
	}
	top := make([][2]string, 0, len(peers))
	for p := range peers {
		top = append(top, p)
	}
	slices.SortFunc(top, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(peers[b], peers[a]), cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	for _, p := range top[:40] {
		st, err := planner.MarketStats(snap, maps, planner.StatsQuery{Company: p[0], CompanyLevel: p[1]}, today)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(st)
		fmt.Fprintf(&got, "peer %q %q %x\n", p[0], p[1], sha256.Sum256(j))
	}
	return got.String()
}

func checkGolden(t *testing.T, got string) {
	golden := filepath.Join("testdata", "shared_answers.golden")
	if *updateAnswers {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		bad := 0
		for i := range max(len(g), len(w)) {
			if i >= len(g) || i >= len(w) || g[i] != w[i] {
				if bad++; bad <= 10 {
					t.Errorf("line %d:\n got %s\nwant %s", i+1, at(g, i), at(w, i))
				}
			}
		}
		t.Fatalf("%d of %d answers differ from %s", bad, len(w), golden)
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

// sharedObservations are the shared export's accepted rows, normalised with the
// built-in maps; the test skips without the export.
func sharedObservations(t *testing.T) ([]market.Observation, *normalize.Maps) {
	t.Helper()
	f, err := os.Open(sharedFile)
	if err != nil {
		shareddata.Need(t)
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ingest.Read(f, ingest.LevelsFyi, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	maps := normalize.NewMaps(nil, nil)
	obs := make([]market.Observation, len(res.Rows))
	for i, r := range res.Rows {
		obs[i], _ = maps.Observation(r)
	}
	return obs, maps
}
