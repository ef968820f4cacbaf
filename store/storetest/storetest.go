// Package storetest is the conformance suite every store backend runs unchanged:
// each backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

// Open returns a fresh, empty store; the suite closes it.
type Open func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"ImportLifecycle", importLifecycle},
		{"PendingIsInvisibleAndPurged", pendingIsInvisibleAndPurged},
		{"AbortRemovesEverything", abortRemovesEverything},
		{"ChecksumAndRequestIDAreUnique", checksumAndRequestIDAreUnique},
		{"CommitDeactivatesSynthetic", commitDeactivatesSynthetic},
		{"ListPaginates", listPaginates},
		{"DeleteAndActivate", deleteAndActivate},
		{"Maps", maps},
		{"ConcurrentImports", concurrentImports},
		{"Tenancy", tenancy},
		{"LoadTenancyAndStateVersion", loadTenancyAndStateVersion},
		{"KeyRevocationCascades", keyRevocationCascades},
		{"PriceBooks", priceBooks},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			c.fn(t, s)
		})
	}
}

var ctx = context.Background()

var when = time.Date(2026, 11, 1, 12, 30, 0, 0, time.UTC)

func pending(id, checksum string) store.Dataset {
	return store.Dataset{ID: id, DisplayName: "import " + id, Format: "levelsfyi", Owner: "shared",
		Weight: 1, Active: true, Checksum: checksum, ImportTime: when}
}

func sampleRows(n int) []normalize.Row {
	rows := make([]normalize.Row, n)
	for i := range rows {
		rows[i] = normalize.Row{
			RowNumber: i + 1, Company: "Google", CompanyLevel: fmt.Sprintf("L%d", 3+i%4), Title: "Software Engineer",
			Location: "Seattle, WA", Reported: time.Date(2021, 1, 1+i%28, 0, 0, 0, 0, time.UTC),
			YearsExperience: 5.5, YearsAtCompany: 1, Base: 150000 + float64(i), Equity: 50000, Bonus: 20000.5,
			Total: 220000.5 + float64(i), Tokens: float64(i % 3 * 1000),
		}
	}
	return rows
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func commit(t *testing.T, s store.Store, d store.Dataset, rows []normalize.Row) store.Dataset {
	t.Helper()
	must(t, s.CreatePending(ctx, d))
	must(t, s.AppendRows(ctx, d.ID, rows))
	d.RowsAccepted, d.RowsRejected, d.RowsUnmapped, d.RowsExcluded = len(rows), 2, 3, 1
	d.DataStart, d.DataEnd = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 28, 0, 0, 0, 0, time.UTC)
	must(t, s.Commit(ctx, d, false))
	got, err := s.Get(ctx, d.ID)
	must(t, err)
	return got
}

func importLifecycle(t *testing.T, s store.Store) {
	rows := sampleRows(2500)
	got := commit(t, s, pending("ds-1", "abc"), rows)
	want := pending("ds-1", "abc")
	want.State = store.Ready
	want.RowsAccepted, want.RowsRejected, want.RowsUnmapped, want.RowsExcluded = 2500, 2, 3, 1
	want.DataStart, want.DataEnd = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 28, 0, 0, 0, 0, time.UTC)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dataset\n got %+v\nwant %+v", got, want)
	}
	back, err := allRows(ctx, s, "ds-1")
	must(t, err)
	if !reflect.DeepEqual(back, rows) {
		t.Errorf("rows do not round-trip: %d back, first %+v want %+v", len(back), back[0], rows[0])
	}
	if err := s.AppendRows(ctx, "ds-1", sampleRows(1)); err == nil {
		t.Error("a ready dataset accepted more rows")
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(nope): %v", err)
	}
}

func pendingIsInvisibleAndPurged(t *testing.T, s store.Store) {
	must(t, s.CreatePending(ctx, pending("ds-p", "p")))
	must(t, s.AppendRows(ctx, "ds-p", sampleRows(10)))
	if _, err := s.Get(ctx, "ds-p"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pending dataset visible: %v", err)
	}
	if page, _, _ := s.List(ctx, 10, ""); len(page) != 0 {
		t.Errorf("pending dataset listed: %+v", page)
	}
	n, err := s.PurgePending(ctx)
	must(t, err)
	if n != 1 {
		t.Errorf("purged %d, want 1", n)
	}
	if rows, _ := allRows(ctx, s, "ds-p"); len(rows) != 0 {
		t.Errorf("%d rows of a purged dataset remain", len(rows))
	}
	// The same id can be used again after the purge.
	commit(t, s, pending("ds-p", "p"), sampleRows(3))
}

func abortRemovesEverything(t *testing.T, s store.Store) {
	must(t, s.CreatePending(ctx, pending("ds-a", "a")))
	must(t, s.AppendRows(ctx, "ds-a", sampleRows(10)))
	must(t, s.Abort(ctx, "ds-a"))
	if rows, _ := allRows(ctx, s, "ds-a"); len(rows) != 0 {
		t.Errorf("%d rows remain after abort", len(rows))
	}
	if n, _ := s.PurgePending(ctx); n != 0 {
		t.Errorf("abort left %d pending datasets", n)
	}
	// Abort never touches a ready dataset.
	commit(t, s, pending("ds-r", "r"), sampleRows(4))
	must(t, s.Abort(ctx, "ds-r"))
	if _, err := s.Get(ctx, "ds-r"); err != nil {
		t.Errorf("abort removed a ready dataset: %v", err)
	}
}

func checksumAndRequestIDAreUnique(t *testing.T, s store.Store) {
	first := pending("ds-1", "same")
	first.RequestID = "req-1"
	commit(t, s, first, sampleRows(2))
	if d, err := s.FindByChecksum(ctx, "same"); err != nil || d.ID != "ds-1" {
		t.Errorf("FindByChecksum: %+v %v", d, err)
	}
	if d, err := s.FindByRequestID(ctx, "req-1"); err != nil || d.ID != "ds-1" {
		t.Errorf("FindByRequestID: %+v %v", d, err)
	}
	if _, err := s.FindByChecksum(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindByChecksum(other): %v", err)
	}
	// A second import of the same content is refused at commit.
	must(t, s.CreatePending(ctx, pending("ds-2", "same")))
	if err := s.Commit(ctx, pending("ds-2", "same"), false); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate checksum committed: %v", err)
	}
	must(t, s.Abort(ctx, "ds-2"))
	// A second import with the same request id is refused at once.
	again := pending("ds-3", "new")
	again.RequestID = "req-1"
	if err := s.CreatePending(ctx, again); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate request id: %v", err)
	}
}

func commitDeactivatesSynthetic(t *testing.T, s store.Store) {
	demo := store.Dataset{ID: "demo", DisplayName: "demo", Format: "builtin", Owner: "shared", Synthetic: true,
		Active: true, Weight: 1, ImportTime: when, RowsAccepted: 100}
	must(t, s.EnsureBuiltin(ctx, demo))
	// EnsureBuiltin again keeps the activation it has.
	_, err := s.SetActive(ctx, "demo", true, 2)
	must(t, err)
	must(t, s.EnsureBuiltin(ctx, demo))
	if d, _ := s.Get(ctx, "demo"); !d.Active || d.Weight != 2 || !d.Synthetic || d.State != store.Ready {
		t.Errorf("built-in after EnsureBuiltin: %+v", d)
	}
	d := pending("ds-1", "x")
	must(t, s.CreatePending(ctx, d))
	must(t, s.Commit(ctx, d, true))
	if got, _ := s.Get(ctx, "demo"); got.Active {
		t.Error("commit with deactivateSynthetic left the demo active")
	}
	if got, _ := s.Get(ctx, "ds-1"); !got.Active {
		t.Error("the new dataset is not active")
	}
}

func listPaginates(t *testing.T, s store.Store) {
	for i := range 7 {
		commit(t, s, pending(fmt.Sprintf("ds-%d", i), fmt.Sprintf("c%d", i)), sampleRows(1))
	}
	var ids []string
	token := ""
	for pages := 0; ; pages++ {
		page, next, err := s.List(ctx, 3, token)
		must(t, err)
		for _, d := range page {
			ids = append(ids, d.ID)
		}
		if next == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		token = next
	}
	want := []string{"ds-6", "ds-5", "ds-4", "ds-3", "ds-2", "ds-1", "ds-0"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("listed %v, want newest first %v", ids, want)
	}
	if _, _, err := s.List(ctx, 3, "garbage"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad page token: %v", err)
	}
}

func deleteAndActivate(t *testing.T, s store.Store) {
	commit(t, s, pending("ds-1", "a"), sampleRows(5))
	d, err := s.SetActive(ctx, "ds-1", false, 2.5)
	must(t, err)
	if d.Active || d.Weight != 2.5 {
		t.Errorf("SetActive: %+v", d)
	}
	if _, err := s.SetActive(ctx, "nope", true, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetActive(nope): %v", err)
	}
	must(t, s.Delete(ctx, "ds-1"))
	if _, err := s.Get(ctx, "ds-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted dataset still there: %v", err)
	}
	if rows, _ := allRows(ctx, s, "ds-1"); len(rows) != 0 {
		t.Errorf("%d rows of a deleted dataset remain", len(rows))
	}
	if err := s.Delete(ctx, "ds-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	// The content can be imported again once its dataset is gone.
	commit(t, s, pending("ds-2", "a"), sampleRows(1))
}

func maps(t *testing.T, s store.Store) {
	google := []normalize.LevelEntry{
		{Company: "Google", Level: "L5", Variants: []string{"Senior SWE"}, IC: "IC3", Manager: "M1"},
		{Company: "Google", Level: "L4", IC: "IC2"},
	}
	must(t, s.PutLevelMap(ctx, "Google", google))
	must(t, s.PutLevelMap(ctx, "Acme", []normalize.LevelEntry{{Company: "Acme", Level: "P3", IC: "IC3"}}))
	// Putting a company's map replaces it whole.
	must(t, s.PutLevelMap(ctx, "Google", google[:1]))
	got, err := s.LevelMaps(ctx)
	must(t, err)
	want := []normalize.LevelEntry{
		{Company: "Acme", Level: "P3", Variants: []string{}, IC: "IC3"},
		{Company: "Google", Level: "L5", Variants: []string{"Senior SWE"}, IC: "IC3", Manager: "M1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("level maps\n got %+v\nwant %+v", got, want)
	}
	if err := s.PutLevelMap(ctx, "Dup", []normalize.LevelEntry{{Company: "Dup", Level: "A"}, {Company: "Dup", Level: "A"}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("duplicate level: %v", err)
	}
	must(t, s.PutLocations(ctx, []normalize.LocationEntry{{Text: "Omaha, NE", Country: "US"}, {Text: "Redmond", Metro: "seattle", Zone: "us-tier-1", Country: "US"}}))
	must(t, s.PutLocations(ctx, []normalize.LocationEntry{{Text: "Omaha, NE", Zone: "us-tier-3", Country: "US"}}))
	locs, err := s.Locations(ctx)
	must(t, err)
	wantLocs := []normalize.LocationEntry{{Text: "Omaha, NE", Zone: "us-tier-3", Country: "US"}, {Text: "Redmond", Metro: "seattle", Zone: "us-tier-1", Country: "US"}}
	if !reflect.DeepEqual(locs, wantLocs) {
		t.Errorf("locations\n got %+v\nwant %+v", locs, wantLocs)
	}
}

func concurrentImports(t *testing.T, s store.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := pending(fmt.Sprintf("ds-%d", i), fmt.Sprintf("c%d", i))
			if err := s.CreatePending(ctx, d); err != nil {
				errs <- err
				return
			}
			rows := sampleRows(1000)
			for b := 0; b < len(rows); b += 200 {
				if err := s.AppendRows(ctx, d.ID, rows[b:b+200]); err != nil {
					errs <- err
					return
				}
			}
			errs <- s.Commit(ctx, d, false)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	page, _, err := s.List(ctx, 10, "")
	must(t, err)
	if len(page) != 4 {
		t.Errorf("%d datasets after 4 concurrent imports", len(page))
	}
	for _, d := range page {
		if rows, err := allRows(ctx, s, d.ID); err != nil || len(rows) != 1000 {
			t.Errorf("%s: %d rows, %v", d.ID, len(rows), err)
		}
	}
}

// allRows reads a dataset's rows through EachRow.
func allRows(ctx context.Context, s store.Store, id string) ([]normalize.Row, error) {
	var out []normalize.Row
	err := s.EachRow(ctx, id, func(r *normalize.Row) error {
		out = append(out, *r)
		return nil
	})
	return out, err
}
