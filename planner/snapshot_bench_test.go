package planner_test

import (
	"os"
	"slices"
	"testing"

	"github.com/paymix/paymix/internal/shareddata"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/stats"
)

var sharedFile = shareddata.File()

func sharedRows(b *testing.B) []normalize.Row {
	f, err := os.Open(sharedFile)
	if err != nil {
		shareddata.Need(b)
		b.Fatal(err)
	}
	defer f.Close()
	res, err := ingest.Read(f, ingest.LevelsFyi, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return res.Rows
}

// BenchmarkSnapshotBuildSharedFile: the snapshot of the shared export (62,009 accepted
// rows), with and without normalising the rows first (a rebuild after a map upload
// normalises; one after an activation change reuses the rows). The baseline sorts the
// file's totals once, fixed work of the same order measured in the same run.
func BenchmarkSnapshotBuildSharedFile(b *testing.B) {
	rows := sharedRows(b)
	totals := make([]float64, len(rows))
	b.Run("baseline-sort-totals", func(b *testing.B) {
		for b.Loop() {
			for i, r := range rows {
				totals[i] = r.Total
			}
			slices.Sort(totals)
		}
	})
	maps := normalize.NewMaps(nil, nil)
	obs := make([]market.Observation, len(rows))
	normaliseAll := func() {
		for i, r := range rows {
			obs[i], _ = maps.Observation(r)
		}
	}
	normaliseAll()
	build := func() *market.Snapshot {
		return market.Build([]market.Dataset{{DatasetInfo: market.DatasetInfo{ID: "levels", Name: "levels"}, Observations: obs}}, today, stats.DefaultAgingRate)
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			build()
		}
	})
	b.Run("normalise-and-build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			normaliseAll()
			build()
		}
	})
}
