package state

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store/sqlite"
)

// csvRows is a paymix CSV file of n Seattle software engineers at Google's L5 (IC3)
// and L6 (IC4), paid from base upwards.
func csvRows(n int, base int) string {
	var b strings.Builder
	b.WriteString("report_date,company,company_level,title,location,base,equity,bonus\n")
	for i := range n {
		fmt.Fprintf(&b, "2026-0%d-1%d,Google,L%d,Software Engineer,\"Seattle, WA\",%d,20000,10000\n", 1+i%9, i%10, 5+i%2, base+1000*i)
	}
	return b.String()
}

type partsFixture struct {
	t    *testing.T
	dir  string
	st   *sqlite.Store
	logs bytes.Buffer
}

// newPartsFixture is a SQLite store in a temporary directory.
func newPartsFixture(t *testing.T) *partsFixture {
	f := &partsFixture{t: t, dir: t.TempDir()}
	st, err := sqlite.Open(context.Background(), f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	return f
}

// open starts a Service on the fixture's store and parts directory.
func (f *partsFixture) open() *Service {
	f.t.Helper()
	f.logs.Reset()
	now := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	s := New(Config{Store: f.st, Now: now, PartsDir: filepath.Join(f.dir, "parts"),
		Log: slog.New(slog.NewJSONHandler(&f.logs, nil))})
	ctx := context.Background()
	if err := s.Open(ctx); err != nil {
		f.t.Fatal(err)
	}
	if err := s.LoadMarket(ctx); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(s.Close)
	return s
}

// built says how many parts the last rebuild built and read back.
func (f *partsFixture) built() string {
	lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], `"market snapshot built"`) {
			var built, read string
			for _, field := range strings.Split(strings.Trim(lines[i], "{}"), ",") {
				if v, ok := strings.CutPrefix(field, `"parts_built":`); ok {
					built = v
				}
				if v, ok := strings.CutPrefix(field, `"parts_read":`); ok {
					read = v
				}
			}
			return "built " + built + " read " + read
		}
	}
	return "no rebuild"
}

func seattleMedian(t *testing.T, s *Service) (float64, int) {
	t.Helper()
	key := market.CohortKey{Family: "software-engineer", Level: "IC3", Scope: catalog.ScopeMetro, Place: "seattle"}
	v, ok := s.Current().Market.Lookup(key, 0.03, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if !ok {
		t.Fatal("no Seattle IC3 cohort")
	}
	m, _ := v.Quantile(market.Base, 0.5, 1)
	return m, v.Count(market.Total)
}

// A change builds only what it touches: an import its own part, an activation none
// (or reads the part back from disk), a restart reads every part back, and a damaged
// or stale file is rebuilt from the store with the same figures.
func TestPartsAreBuiltOnceAndReadBack(t *testing.T) {
	ctx := context.Background()
	f := newPartsFixture(t)
	s := f.open()
	a, err := s.Import(ctx, ImportHeader{Format: ingest.PaymixCSV}, strings.NewReader(csvRows(40, 100000)))
	if err != nil {
		t.Fatal(err)
	}
	partA := s.parts[a.Dataset.ID]
	b, err := s.Import(ctx, ImportHeader{Format: ingest.PaymixCSV}, strings.NewReader(csvRows(20, 300000)))
	if err != nil {
		t.Fatal(err)
	}
	if s.parts[a.Dataset.ID] != partA || f.built() != "built 0 read 0" {
		t.Fatalf("the second import rebuilt the first one's part (%s)", f.built())
	}
	median, count := seattleMedian(t, s)
	if count != 30 { // the L5 half of each file
		t.Fatalf("Seattle IC3 holds %d rows, want 30", count)
	}
	s.writers.Wait() // parts are stored in the background
	if _, err := s.ActivateDataset(ctx, b.Dataset.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if f.built() != "built 0 read 0" {
		t.Fatalf("a deactivation built parts: %s", f.built())
	}
	if _, err := s.ActivateDataset(ctx, b.Dataset.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.built(); got != "built 0 read 1" {
		t.Fatalf("an activation: %s, want the part read back", got)
	}
	if m, n := seattleMedian(t, s); m != median || n != count {
		t.Fatalf("after reactivation %v (%d rows), before %v (%d)", m, n, median, count)
	}
	s.Close()

	s = f.open()
	if got := f.built(); got != "built 0 read 2" {
		t.Fatalf("a restart: %s", got)
	}
	if m, n := seattleMedian(t, s); m != median || n != count {
		t.Fatalf("after restart %v (%d rows), before %v (%d)", m, n, median, count)
	}
	s.Close()

	// A damaged file is rebuilt, and written again.
	path := filepath.Join(f.dir, "parts", a.Dataset.ID+".part")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s = f.open()
	if got := f.built(); got != "built 1 read 1" || !strings.Contains(f.logs.String(), "cannot be read") {
		t.Fatalf("a damaged part: %s", got)
	}
	if m, n := seattleMedian(t, s); m != median || n != count {
		t.Fatalf("after a rebuild %v (%d rows), before %v (%d)", m, n, median, count)
	}
	// New maps make every part stale.
	if _, err := s.PutLevelMap(ctx, "Acme", []LevelMapEntry{{Level: "L4", IC: "IC5"}}); err != nil {
		t.Fatal(err)
	}
	if got := f.built(); got != "built 2 read 0" {
		t.Fatalf("a level map: %s", got)
	}
	// A deleted dataset's file goes.
	if err := s.DeleteDataset(ctx, b.Dataset.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "parts", b.Dataset.ID+".part")); !os.IsNotExist(err) {
		t.Fatalf("a deleted dataset's part stays: %v", err)
	}
}

// Outlier exclusion copies the kept rows into a new pending dataset once the whole
// file is known: the dataset keeps the import's request id (a retry finds it), holds
// only the kept rows, and nothing else is left in the store.
func TestOutlierExclusionKeepsTheRequestID(t *testing.T) {
	ctx := context.Background()
	f := newPartsFixture(t)
	st := f.st
	s := f.open()
	file := csvRows(40, 100000) + "2026-05-05,Google,L5,Software Engineer,\"Seattle, WA\",9000000,20000,10000\n"
	h := ImportHeader{Format: ingest.PaymixCSV, ExcludeOutliers: true, RequestID: "req-outliers"}
	res, err := s.Import(ctx, h, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	sum := res.Summary
	if sum.RowsExcluded != 1 || sum.RowsAccepted != 40 || len(sum.Issues) != 1 || sum.Issues[0].Row != 41 || sum.Issues[0].Reason != ingest.ReasonOutlier {
		t.Fatalf("summary %+v", sum)
	}
	if res.Dataset.RequestID != "req-outliers" || res.Dataset.RowsAccepted != 40 || res.Dataset.RowsExcluded != 1 {
		t.Fatalf("dataset %+v", res.Dataset)
	}
	again, err := s.Import(ctx, h, strings.NewReader(file))
	if err != nil || !again.Summary.Duplicate || again.Dataset.ID != res.Dataset.ID {
		t.Fatalf("a retry: %+v %v", again, err)
	}
	all, err := allDatasets(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 { // the demo and this one
		t.Fatalf("%d datasets", len(all))
	}
	n := 0
	if err := st.EachRow(ctx, res.Dataset.ID, func(*normalize.Row) error { n++; return nil }); err != nil || n != 40 {
		t.Fatalf("%d rows stored (%v)", n, err)
	}
	if purged, err := st.PurgePending(ctx); err != nil || purged != 0 {
		t.Fatalf("%d pending datasets left (%v)", purged, err)
	}
	if _, count := seattleMedian(t, s); count != 20 {
		t.Fatalf("Seattle IC3 holds %d rows, want the 20 kept L5 rows", count)
	}
}
