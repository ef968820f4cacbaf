package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/store"
)

// marketData owns the market the server answers from: the store, the rows of the
// active datasets (kept in memory so a rebuild reads no SQL), the level and location
// maps, and the current snapshot, rebuilt and swapped whenever any of them changes.
// Readers never take the lock: they load what the last rebuild published.
type marketData struct {
	store   store.Store
	current *market.Current
	now     func() time.Time
	log     *slog.Logger

	published atomic.Pointer[published]

	mu   sync.Mutex // serialises changes and rebuilds
	rows map[string][]normalize.Row
	maps *normalize.Maps // the maps the next rebuild uses
	demo market.Dataset
}

// published is what one rebuild made, swapped in whole: the snapshot, the maps its
// rows were normalised with, and the company levels no map covers.
type published struct {
	snap     *market.Snapshot
	maps     *normalize.Maps
	unmapped []unmappedLevel // most rows first
}

// errLoading answers changes that arrive before the market is loaded.
var errLoading = status.Error(codes.Unavailable, "market data is still loading; retry shortly")

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
	m.mu.Lock()
	defer m.mu.Unlock()
	m.demo = demo.Dataset()
	first, last := dateRange(m.demo.Observations, func(o market.Observation) time.Time { return o.Reported })
	if err := m.store.EnsureBuiltin(ctx, store.Dataset{
		ID: demo.Name, DisplayName: "Synthetic demo data (not real market data)", Format: "builtin", Owner: ownerShared,
		Synthetic: true, Active: true, Weight: 1, ImportTime: demo.End, RowsAccepted: len(m.demo.Observations),
		DataStart: first, DataEnd: last,
	}); err != nil {
		return err
	}
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
	for _, err := range m.maps.Rejected() {
		m.log.Warn("an uploaded map entry is left out", "err", err)
	}
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
	levels := make([]unmappedLevel, 0, len(unmapped))
	for k, n := range unmapped {
		levels = append(levels, unmappedLevel{company: k[0], level: k[1], count: n})
	}
	sort.Slice(levels, func(i, j int) bool {
		a, b := levels[i], levels[j]
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
	m.published.Store(&published{snap: snap, maps: m.maps, unmapped: levels})
	m.current.Store(snap)
	m.log.Info("market snapshot built", "version", snap.Version, "datasets", len(datasets),
		"synthetic", snap.Synthetic(), "cohorts", len(snap.Keys()), "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// change runs a change to the store and rebuilds the snapshot, one change at a time.
// Before the market is loaded it refuses with Unavailable: start-up purges pending
// imports and must not meet a new one.
func (m *marketData) change(ctx context.Context, fn func() error) error {
	if m.published.Load() == nil {
		return errLoading
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := fn(); err != nil {
		return err
	}
	return m.rebuild(ctx)
}

// state is what the last rebuild published, or Unavailable before the first.
func (m *marketData) state() (*published, error) {
	p := m.published.Load()
	if p == nil {
		return nil, errLoading
	}
	return p, nil
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
