package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/semaphore"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
)

// marketService answers MarketService: imports, statistics, cohorts and maps.
type marketService struct {
	pb.UnimplementedMarketServiceServer
	data  *marketData
	now   func() time.Time
	log   *slog.Logger
	slots *semaphore.Weighted // imports running at once
}

func (s *marketService) GetMarketStats(_ context.Context, r *pb.GetMarketStatsRequest) (*pb.GetMarketStatsResponse, error) {
	q := planner.StatsQuery{
		Family: r.GetJobFamily(), Level: r.GetLevel(), Location: r.GetLocation(),
		Company: r.GetCompany(), CompanyLevel: r.GetCompanyLevel(), DisableAging: r.GetDisableAging(),
	}
	d, v := parseDate("effective_date", r.GetEffectiveDate(), minEffectiveDate, maxEffectiveDate)
	if v != nil {
		return nil, planner.Invalid(*v)
	}
	q.EffectiveDate = d
	pub, err := s.data.state()
	if err != nil {
		return nil, err
	}
	snap := pub.snap
	st, err := planner.MarketStats(snap, pub.maps, q, s.now())
	if err != nil {
		return nil, err
	}
	resp := &pb.GetMarketStatsResponse{
		Total: statsProto(st.Series[market.Total]), Base: statsProto(st.Series[market.Base]),
		Equity: statsProto(st.Series[market.Equity]), Bonus: statsProto(st.Series[market.Bonus]),
		Tokens: statsProto(st.Series[market.Tokens]), DataStartDate: date(st.DataStart), DataEndDate: date(st.DataEnd),
		EffectiveDate: date(st.Effective), AgingRatePercent: st.AgingRatePercent,
		Company: st.Company, CompanyLevel: st.CompanyLevel, SnapshotVersion: snap.Version,
	}
	if st.Location.Scope != 0 {
		resp.Location = locationProto(st.Location)
	}
	for _, ds := range st.Datasets {
		resp.Datasets = append(resp.Datasets, datasetRefProto(ds))
		resp.Synthetic = resp.Synthetic || ds.Synthetic
	}
	return resp, nil
}

func statsProto(m planner.Market) *pb.MarketStats {
	return &pb.MarketStats{P10: figure(m.P10), P25: figure(m.P25), P50: figure(m.P50), P75: figure(m.P75), P90: figure(m.P90),
		Count: int32(m.Count), Mean: figure(m.Mean)}
}

// pageOffset reads an offset page token (lists computed in memory page by offset).
func pageOffset(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return 0, planner.Invalid(planner.Violation{Field: "page_token", Description: "not a token this server gave"})
	}
	return n, nil
}

func page[T any](items []T, token string, size, def int) ([]T, string, error) {
	off, err := pageOffset(token)
	if err != nil {
		return nil, "", err
	}
	if size == 0 {
		size = def
	}
	if off > len(items) {
		off = len(items)
	}
	end := min(off+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[off:end], next, nil
}

func (s *marketService) ListCohorts(_ context.Context, r *pb.ListCohortsRequest) (*pb.ListCohortsResponse, error) {
	pub, err := s.data.state()
	if err != nil {
		return nil, err
	}
	snap := pub.snap
	var all []*pb.CohortInfo
	for _, k := range snap.Keys() {
		if (r.GetJobFamily() != "" && k.Family != r.GetJobFamily()) || (r.GetLevel() != "" && k.Level != r.GetLevel()) ||
			(r.GetScope() != pb.GeoScope_GEO_SCOPE_UNSPECIFIED && scopeProto(k.Scope) != r.GetScope()) {
			continue
		}
		n := snap.Count(k)
		if n < int(r.GetMinCount()) {
			continue
		}
		all = append(all, &pb.CohortInfo{JobFamily: k.Family, Level: k.Level, Scope: scopeProto(k.Scope), LocationId: k.Place,
			LocationName: catalog.Geo.Name(k.Scope, k.Place), Count: int32(n)})
	}
	slices.SortFunc(all, func(a, b *pb.CohortInfo) int {
		return cmp.Or(cmp.Compare(a.JobFamily, b.JobFamily), cmp.Compare(levelRank(a.Level), levelRank(b.Level)),
			cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.LocationId, b.LocationId))
	})
	items, next, err := page(all, r.GetPageToken(), int(r.GetPageSize()), 1000)
	if err != nil {
		return nil, err
	}
	return &pb.ListCohortsResponse{Cohorts: items, NextPageToken: next, TotalSize: int32(len(all))}, nil
}

// levelRank orders levels as the ladder does.
func levelRank(id string) int {
	return slices.IndexFunc(catalog.Ladder, func(l catalog.Level) bool { return l.ID == id })
}

func (s *marketService) ListUnmappedLevels(_ context.Context, r *pb.ListUnmappedLevelsRequest) (*pb.ListUnmappedLevelsResponse, error) {
	pub, err := s.data.state()
	if err != nil {
		return nil, err
	}
	all := slices.Clone(pub.unmapped)
	if c := r.GetCompany(); c != "" {
		key := normalize.CompanyKey(c)
		all = slices.DeleteFunc(all, func(u unmappedLevel) bool { return normalize.CompanyKey(u.company) != key })
	}
	items, next, err := page(all, r.GetPageToken(), int(r.GetPageSize()), 100)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListUnmappedLevelsResponse{NextPageToken: next}
	for _, u := range items {
		resp.Levels = append(resp.Levels, &pb.UnmappedLevel{Company: u.company, CompanyLevel: u.level, Count: int32(u.count)})
	}
	return resp, nil
}

func (s *marketService) PutLevelMap(ctx context.Context, r *pb.PutLevelMapRequest) (*pb.PutLevelMapResponse, error) {
	company := normalize.Company(r.GetCompany())
	var vs []planner.Violation
	entries := make([]normalize.LevelEntry, len(r.GetEntries()))
	spellings := map[string]int{} // folded spelling -> entry
	for i, e := range r.GetEntries() {
		entries[i] = normalize.LevelEntry{Company: company, Level: e.GetCompanyLevel(), Variants: e.GetVariants(), IC: e.GetIcLevel(), Manager: e.GetManagerLevel()}
		field := fmt.Sprintf("entries[%d]", i)
		for _, sp := range append([]string{e.GetCompanyLevel()}, e.GetVariants()...) {
			if j, dup := spellings[normalize.FoldLevel(sp)]; dup && j != i {
				vs = append(vs, planner.Violation{Field: field, Description: fmt.Sprintf("%q is already a spelling of entries[%d]", sp, j)})
			}
			spellings[normalize.FoldLevel(sp)] = i
		}
		if e.GetIcLevel() == "" && e.GetManagerLevel() == "" {
			vs = append(vs, planner.Violation{Field: field, Description: "needs ic_level or manager_level"})
		}
		if l, ok := catalog.LevelByID(e.GetIcLevel()); e.GetIcLevel() != "" && (!ok || l.Track != catalog.TrackIC) {
			vs = append(vs, planner.Violation{Field: field + ".ic_level", Description: "must be one of IC1-IC7"})
		} else if ok {
			entries[i].IC = l.ID
		}
		if l, ok := catalog.LevelByID(e.GetManagerLevel()); e.GetManagerLevel() != "" && (!ok || l.Track != catalog.TrackManager) {
			vs = append(vs, planner.Violation{Field: field + ".manager_level", Description: "must be one of M1-M5"})
		} else if ok {
			entries[i].Manager = l.ID
		}
	}
	if len(vs) > 0 {
		return nil, planner.Invalid(vs...)
	}
	err := s.data.change(ctx, func() error {
		// The company keeps the name its map was first stored under, whatever the
		// spelling of this request ("acme corp" replaces the map of "Acme Corp").
		existing, err := s.data.store.LevelMaps(ctx)
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
		if err := s.data.store.PutLevelMap(ctx, company, entries); err != nil {
			return err
		}
		return s.data.reloadMaps(ctx)
	})
	if err != nil {
		return nil, storeError(err, "level map", "entries")
	}
	return &pb.PutLevelMapResponse{LevelMap: &pb.LevelMap{Company: company, Entries: r.GetEntries()}}, nil
}

func (s *marketService) ListLevelMaps(ctx context.Context, _ *pb.ListLevelMapsRequest) (*pb.ListLevelMapsResponse, error) {
	entries, err := s.data.store.LevelMaps(ctx)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListLevelMapsResponse{}
	for _, e := range entries {
		if n := len(resp.LevelMaps); n == 0 || resp.LevelMaps[n-1].Company != e.Company {
			resp.LevelMaps = append(resp.LevelMaps, &pb.LevelMap{Company: e.Company})
		}
		m := resp.LevelMaps[len(resp.LevelMaps)-1]
		m.Entries = append(m.Entries, &pb.LevelMapEntry{CompanyLevel: e.Level, Variants: e.Variants, IcLevel: e.IC, ManagerLevel: e.Manager})
	}
	return resp, nil
}

func (s *marketService) PutLocationMap(ctx context.Context, r *pb.PutLocationMapRequest) (*pb.PutLocationMapResponse, error) {
	var vs []planner.Violation
	entries := make([]normalize.LocationEntry, len(r.GetEntries()))
	for i, e := range r.GetEntries() {
		entries[i] = normalize.LocationEntry{Text: e.GetText(), Metro: e.GetMetroId(), Zone: e.GetZoneId(), Country: e.GetCountryCode()}
		field := fmt.Sprintf("entries[%d]", i)
		if _, ok := catalog.Geo.Country(e.GetCountryCode()); !ok {
			vs = append(vs, planner.Violation{Field: field + ".country_code", Description: "unknown country " + e.GetCountryCode()})
			continue
		}
		if z, ok := catalog.Geo.Zone(e.GetZoneId()); e.GetZoneId() != "" && (!ok || z.Country != e.GetCountryCode()) {
			vs = append(vs, planner.Violation{Field: field + ".zone_id", Description: "no such zone in " + e.GetCountryCode()})
		}
		if e.GetMetroId() != "" {
			m, ok := catalog.Geo.Metro(e.GetMetroId())
			if !ok || m.Country != e.GetCountryCode() || (e.GetZoneId() != "" && m.Zone != e.GetZoneId()) {
				vs = append(vs, planner.Violation{Field: field + ".metro_id", Description: "no such metro in that zone and country"})
			} else {
				entries[i].Zone = m.Zone
			}
		}
	}
	if len(vs) > 0 {
		return nil, planner.Invalid(vs...)
	}
	err := s.data.change(ctx, func() error {
		if err := s.data.store.PutLocations(ctx, entries); err != nil {
			return err
		}
		return s.data.reloadMaps(ctx)
	})
	if err != nil {
		return nil, err
	}
	return &pb.PutLocationMapResponse{Entries: r.GetEntries()}, nil
}

func (s *marketService) ListLocationMap(ctx context.Context, _ *pb.ListLocationMapRequest) (*pb.ListLocationMapResponse, error) {
	entries, err := s.data.store.Locations(ctx)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListLocationMapResponse{}
	for _, e := range entries {
		resp.Entries = append(resp.Entries, &pb.LocationMapEntry{Text: e.Text, MetroId: e.Metro, ZoneId: e.Zone, CountryCode: e.Country})
	}
	return resp, nil
}
