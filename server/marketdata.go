package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/store"
)

// marketData owns the market the server answers from: the store, the rows of the
// active datasets (kept in memory so a rebuild reads no SQL), the level and location
// maps, and the current snapshot, rebuilt and swapped whenever any of them changes.
type marketData struct {
	store   store.Store
	current *market.Current
	now     func() time.Time
	log     *slog.Logger

	mu       sync.Mutex // serialises changes and rebuilds
	rows     map[string][]normalize.Row
	maps     *normalize.Maps
	demo     market.Dataset
	unmapped []unmappedLevel // of the active datasets, most rows first
}

type unmappedLevel struct {
	company, level string
	count          int
}

// ownerShared owns the datasets every organisation sees.
const ownerShared = "shared"

// open purges what dead imports left, records the built-in demo dataset and builds
// the first snapshot.
func (m *marketData) open(ctx context.Context) error {
	n, err := m.store.PurgePending(ctx)
	if err != nil {
		return fmt.Errorf("purging pending imports: %w", err)
	}
	if n > 0 {
		m.log.Warn("purged unfinished imports", "datasets", n)
	}
	m.demo = demo.Dataset()
	first, last := dateRange(m.demo.Observations, func(o market.Observation) time.Time { return o.Reported })
	if err := m.store.EnsureBuiltin(ctx, store.Dataset{
		ID: demo.Name, DisplayName: "Synthetic demo data (not real market data)", Format: "builtin", Owner: ownerShared,
		Synthetic: true, Active: true, Weight: 1, ImportTime: demo.End, RowsAccepted: len(m.demo.Observations),
		DataStart: first, DataEnd: last,
	}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = map[string][]normalize.Row{}
	if err := m.reloadMaps(ctx); err != nil {
		return err
	}
	return m.rebuild(ctx)
}

func (m *marketData) reloadMaps(ctx context.Context) error {
	levels, err := m.store.LevelMaps(ctx)
	if err != nil {
		return err
	}
	locations, err := m.store.Locations(ctx)
	if err != nil {
		return err
	}
	m.maps = normalize.NewMaps(levels, locations)
	return nil
}

// allDatasets lists every ready dataset.
func allDatasets(ctx context.Context, s store.Store) ([]store.Dataset, error) {
	var all []store.Dataset
	token := ""
	for {
		page, next, err := s.List(ctx, 1000, token)
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

// rebuild builds a snapshot of the active datasets, normalised with the current maps,
// and swaps it in. The caller holds m.mu.
func (m *marketData) rebuild(ctx context.Context) error {
	start := time.Now()
	all, err := allDatasets(ctx, m.store)
	if err != nil {
		return err
	}
	var datasets []market.Dataset
	active := map[string]bool{}
	unmapped := map[[2]string]int{}
	// Oldest first, so that blending order (and the version hash) is stable.
	for _, d := range slices.Backward(all) {
		if !d.Active {
			continue
		}
		active[d.ID] = true
		info := market.DatasetInfo{ID: d.ID, Name: d.DisplayName, Synthetic: d.Synthetic, Weight: d.Weight}
		if d.ID == demo.Name {
			datasets = append(datasets, market.Dataset{DatasetInfo: info, Observations: m.demo.Observations})
			continue
		}
		rows, ok := m.rows[d.ID]
		if !ok {
			if rows, err = m.store.Rows(ctx, d.ID); err != nil {
				return fmt.Errorf("loading dataset %s: %w", d.ID, err)
			}
			m.rows[d.ID] = rows
		}
		obs := make([]market.Observation, len(rows))
		for i, r := range rows {
			var u normalize.Unmapped
			obs[i], u = m.maps.Observation(r)
			if u.Level {
				unmapped[[2]string{obs[i].Company, obs[i].CompanyLevel}]++
			}
		}
		datasets = append(datasets, market.Dataset{DatasetInfo: info, Observations: obs})
	}
	for id := range m.rows {
		if !active[id] {
			delete(m.rows, id) // inactive data leaves memory
		}
	}
	m.unmapped = m.unmapped[:0]
	for k, n := range unmapped {
		m.unmapped = append(m.unmapped, unmappedLevel{company: k[0], level: k[1], count: n})
	}
	sort.Slice(m.unmapped, func(i, j int) bool {
		a, b := m.unmapped[i], m.unmapped[j]
		if a.count != b.count {
			return a.count > b.count
		}
		if a.company != b.company {
			return a.company < b.company
		}
		return a.level < b.level
	})
	today := m.now().UTC().Truncate(24 * time.Hour)
	snap := market.Build(datasets, today, stats.DefaultAgingRate)
	m.current.Store(snap)
	m.log.Info("market snapshot built", "version", snap.Version, "datasets", len(datasets),
		"synthetic", snap.Synthetic(), "cohorts", len(snap.Keys()), "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// change runs a change to the store and rebuilds the snapshot, one change at a time.
func (m *marketData) change(ctx context.Context, fn func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := fn(); err != nil {
		return err
	}
	return m.rebuild(ctx)
}

// currentMaps returns the maps the current snapshot was normalised with.
func (m *marketData) currentMaps() *normalize.Maps {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maps
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
