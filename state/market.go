package state

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/store"
)

// OwnerShared owns the datasets every organisation sees.
const OwnerShared = "shared"

// ensureDemo records the built-in demo dataset and builds its part; the caller holds mu.
func (s *Service) ensureDemo(ctx context.Context) error {
	ds := demo.Dataset()
	b := market.NewBuilder(len(ds.Observations))
	for i := range ds.Observations {
		b.Add(&ds.Observations[i])
	}
	s.demo = &builtPart{part: b.Build(s.today(), stats.DefaultAgingRate), maps: builtinMaps}
	first, last := dateRange(ds.Observations, func(o market.Observation) time.Time { return o.Reported })
	return s.store.EnsureBuiltin(ctx, store.Dataset{
		ID: demo.Name, DisplayName: "Synthetic demo data (not real market data)", Format: "builtin", Owner: OwnerShared,
		Synthetic: true, Active: true, Weight: 1, ImportTime: demo.End, RowsAccepted: len(ds.Observations),
		DataStart: first, DataEnd: last,
	})
}

// loadMaps reads the uploaded maps and their fingerprint.
func (s *Service) loadMaps(ctx context.Context) (*normalize.Maps, string, error) {
	levels, err := s.store.LevelMaps(ctx)
	if err != nil {
		return nil, "", err
	}
	locations, err := s.store.Locations(ctx)
	if err != nil {
		return nil, "", err
	}
	maps := normalize.NewMaps(levels, locations)
	for _, err := range maps.Rejected() {
		s.log.Warn("an uploaded map entry is left out", "err", err)
	}
	return maps, mapsFingerprint(levels, locations), nil
}

// allDatasets lists every ready dataset, newest first.
func allDatasets(ctx context.Context, st store.Store) ([]store.Dataset, error) {
	var all []store.Dataset
	token := ""
	for {
		page, next, err := st.List(ctx, 1000, token)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		token = next
	}
}

// rebuildMarket assembles a snapshot of the active datasets normalised with maps; the
// caller holds mu. Parts of datasets that were active before and whose maps have not
// changed are reused, so that a change costs what it touches: an import builds its own
// part, an activation or deletion none.
func (s *Service) rebuildMarket(ctx context.Context, maps *normalize.Maps, fingerprint string) error {
	start := time.Now()
	versions, err := s.store.Versions(ctx)
	if err != nil {
		return err
	}
	all, err := allDatasets(ctx, s.store)
	if err != nil {
		return err
	}
	var sources []market.Source
	parts := map[string]*builtPart{}
	unmapped := map[[2]string]int{}
	built, read := 0, 0
	quarantined := map[string]Quarantine{}
	// Oldest first, so that blending order (and the version hash) is stable.
	for _, d := range slices.Backward(all) {
		if !d.Active {
			continue
		}
		bp := s.parts[d.ID]
		switch {
		case d.ID == demo.Name:
			bp = s.demo
		case bp == nil || bp.maps != fingerprint:
			var ok bool
			if bp, ok = s.readCachedPart(d, fingerprint); ok {
				read++
				break
			}
			if bp, err = s.buildPart(ctx, d, maps, fingerprint); err != nil {
				if !unreadable(err) {
					return err
				}
				// One damaged dataset does not stop the service: it is left out,
				// and tried again at the next rebuild.
				quarantined[d.ID] = Quarantine{Reason: "ROWS_UNREADABLE", Detail: err.Error()}
				s.log.Error("a dataset's rows cannot be read; it is quarantined, left out of the market", "dataset", d.ID, "err", err)
				continue
			}
			s.persistPart(d, bp)
			built++
		}
		parts[d.ID] = bp // inactive data leaves memory
		for k, n := range bp.unmapped {
			unmapped[k] += n
		}
		sources = append(sources, market.Source{
			DatasetInfo: market.DatasetInfo{ID: d.ID, Name: d.DisplayName, Synthetic: d.Synthetic, Weight: d.Weight}, Part: bp.part})
	}
	s.prunePartCache(all) // before the parts are replaced: it looks at the old ones
	s.parts = parts
	levels := make([]UnmappedLevel, 0, len(unmapped))
	for k, n := range unmapped {
		levels = append(levels, UnmappedLevel{Company: k[0], Level: k[1], Count: n})
	}
	slices.SortFunc(levels, func(a, b UnmappedLevel) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Company, b.Company), cmp.Compare(a.Level, b.Level))
	})
	snap := market.Assemble(sources, stats.DefaultAgingRate)
	s.market = marketPart{snap: snap, maps: maps, mapsFingerprint: fingerprint, unmapped: levels, versions: versions, quarantined: quarantined,
		// logged once published: the line means "serving this market"
		built: []any{"version", snap.Version, "datasets", len(sources), "parts_built", built, "parts_read", read,
			"synthetic", snap.Synthetic(), "cohorts", len(snap.Keys()), "duration_ms", time.Since(start).Milliseconds()}}
	return nil
}

// unreadable reports an error of reading a dataset's rows that is the data's, not the
// moment's: the store answered, and the call was not cancelled.
func unreadable(err error) bool {
	return !errors.Is(err, store.ErrUnavailable) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// ListDatasets lists ready datasets, newest first.
func (s *Service) ListDatasets(ctx context.Context, size int, token string) ([]store.Dataset, string, error) {
	if size <= 0 {
		size = 50
	}
	page, next, err := s.store.List(ctx, size, token)
	return page, next, storeError(err, "page")
}

// GetDataset returns a ready dataset.
func (s *Service) GetDataset(ctx context.Context, id string) (store.Dataset, error) {
	d, err := s.store.Get(ctx, id)
	return d, storeError(err, "datasets/"+id)
}

// DeleteDataset deletes an imported dataset and takes it out of the market.
func (s *Service) DeleteDataset(ctx context.Context, id string) error {
	if id == demo.Name {
		return &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "BUILTIN_DATASET",
			Message: "the built-in demo dataset cannot be deleted; deactivate it with :activate and \"active\": false"}
	}
	return s.change(ctx, rebuildMarket, func() error { return storeError(s.store.Delete(ctx, id), "datasets/"+id) })
}

// ActivateDataset activates (keeping its weight unless one is given) or deactivates
// a dataset.
func (s *Service) ActivateDataset(ctx context.Context, id string, active bool, weight *float64) (store.Dataset, error) {
	var d store.Dataset
	err := s.change(ctx, rebuildMarket, func() error {
		cur, err := s.store.Get(ctx, id)
		if err != nil {
			return storeError(err, "datasets/"+id)
		}
		w := cur.Weight
		if weight != nil {
			w = *weight
		}
		d, err = s.store.SetActive(ctx, id, active, w)
		return storeError(err, "datasets/"+id)
	})
	return d, err
}

// LevelMapEntry is one entry of an uploaded level map, as a caller writes it.
type LevelMapEntry struct {
	Level    string
	Variants []string
	IC       string // IC1-IC7, or ""
	Manager  string // M1-M5, or ""
}

// PutLevelMap replaces the uploaded level map of one company; it applies to the data
// already imported. The company keeps the name its map was first stored under,
// whatever the spelling of this call ("acme corp" replaces the map of "Acme Corp").
func (s *Service) PutLevelMap(ctx context.Context, company string, in []LevelMapEntry) (string, error) {
	company = normalize.Company(company)
	var vs []planner.Violation
	entries := make([]normalize.LevelEntry, len(in))
	spellings := map[string]int{} // folded spelling -> entry
	for i, e := range in {
		entries[i] = normalize.LevelEntry{Level: e.Level, Variants: e.Variants}
		field := fmt.Sprintf("Entries[%d]", i)
		for _, sp := range append([]string{e.Level}, e.Variants...) {
			if j, dup := spellings[normalize.FoldLevel(sp)]; dup && j != i {
				vs = append(vs, planner.Violation{Field: field, Description: fmt.Sprintf("%q is already a spelling of entries[%d]", sp, j)})
			}
			spellings[normalize.FoldLevel(sp)] = i
		}
		if e.IC == "" && e.Manager == "" {
			vs = append(vs, planner.Violation{Field: field, Description: "needs ic_level or manager_level"})
		}
		if l, ok := catalog.LevelByID(e.IC); e.IC != "" && (!ok || l.Track != catalog.TrackIC) {
			vs = append(vs, planner.Violation{Field: field + ".IC", Description: "must be one of IC1-IC7"})
		} else if ok {
			entries[i].IC = l.ID
		}
		if l, ok := catalog.LevelByID(e.Manager); e.Manager != "" && (!ok || l.Track != catalog.TrackManager) {
			vs = append(vs, planner.Violation{Field: field + ".Manager", Description: "must be one of M1-M5"})
		} else if ok {
			entries[i].Manager = l.ID
		}
	}
	if len(vs) > 0 {
		return "", planner.Invalid(vs...)
	}
	err := s.change(ctx, rebuildMaps, func() error {
		existing, err := s.store.LevelMaps(ctx)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if normalize.CompanyKey(e.Company) == normalize.CompanyKey(company) {
				company = e.Company
				break
			}
		}
		for i := range entries {
			entries[i].Company = company
		}
		return storeError(s.store.PutLevelMap(ctx, company, entries), "level map")
	})
	return company, err
}

// LevelMaps lists every uploaded level entry, by company then level.
func (s *Service) LevelMaps(ctx context.Context) ([]normalize.LevelEntry, error) {
	return s.store.LevelMaps(ctx)
}

// PutLocations adds or replaces uploaded location entries; metro, zone and country
// must agree with paymix's geography.
func (s *Service) PutLocations(ctx context.Context, in []normalize.LocationEntry) error {
	var vs []planner.Violation
	entries := slices.Clone(in)
	for i, e := range entries {
		field := fmt.Sprintf("Entries[%d]", i)
		if _, ok := catalog.Geo.Country(e.Country); !ok {
			vs = append(vs, planner.Violation{Field: field + ".Country", Description: "unknown country " + e.Country})
			continue
		}
		if z, ok := catalog.Geo.Zone(e.Zone); e.Zone != "" && (!ok || z.Country != e.Country) {
			vs = append(vs, planner.Violation{Field: field + ".Zone", Description: "no such zone in " + e.Country})
		}
		if e.Metro != "" {
			m, ok := catalog.Geo.Metro(e.Metro)
			if !ok || m.Country != e.Country || (e.Zone != "" && m.Zone != e.Zone) {
				vs = append(vs, planner.Violation{Field: field + ".Metro", Description: "no such metro in that zone and country"})
			} else {
				entries[i].Zone = m.Zone
			}
		}
	}
	if len(vs) > 0 {
		return planner.Invalid(vs...)
	}
	return s.change(ctx, rebuildMaps, func() error { return s.store.PutLocations(ctx, entries) })
}

// Locations lists every uploaded location entry, by text.
func (s *Service) Locations(ctx context.Context) ([]normalize.LocationEntry, error) {
	return s.store.Locations(ctx)
}

func dateRange[T any](items []T, date func(T) time.Time) (first, last time.Time) {
	for i, it := range items {
		d := date(it)
		if i == 0 || d.Before(first) {
			first = d
		}
		if i == 0 || d.After(last) {
			last = d
		}
	}
	return first, last
}
