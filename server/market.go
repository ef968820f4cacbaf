package server

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/state"
)

// marketService answers MarketService: statistics and cohorts from the published
// state; imports and maps through the application.
type marketService struct {
	pb.UnimplementedMarketServiceServer
	app  *state.Service
	now  func() time.Time
	log  *slog.Logger
	idle time.Duration // an import that sends nothing this long ends
	// imported records an import's end in the metrics.
	imported func(format string, took time.Duration, res state.ImportResult, err error)
}

func (s *marketService) GetMarketStats(_ context.Context, r *pb.GetMarketStatsRequest) (*pb.GetMarketStatsResponse, error) {
	q := planner.StatsQuery{
		Family: r.GetJobFamily(), Level: r.GetLevel(), Location: r.GetLocation(),
		Company: r.GetCompany(), CompanyLevel: r.GetCompanyLevel(), DisableAging: r.GetDisableAging(),
	}
	d, v := parseDate("effective_date", r.GetEffectiveDate())
	if v != nil {
		return nil, planner.Invalid(*v)
	}
	q.EffectiveDate = d
	pub, err := published(s.app)
	if err != nil {
		return nil, err
	}
	snap := pub.Market
	st, err := planner.MarketStats(snap, pub.Maps, q, s.now())
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

func (s *marketService) ListDifferentials(ctx context.Context, r *pb.ListDifferentialsRequest) (*pb.ListDifferentialsResponse, error) {
	d, v := parseDate("effective_date", r.GetEffectiveDate())
	if v != nil {
		return nil, planner.Invalid(*v)
	}
	pub, err := published(s.app)
	if err != nil {
		return nil, err
	}
	policy, err := pub.BandPolicy(CallerFrom(ctx), nil, r.GetPolicyName())
	if err != nil {
		return nil, err
	}
	out, err := pub.Planner.Differentials(planner.DifferentialsQuery{Location: r.GetLocation(), Policy: policy, EffectiveDate: d}, s.now())
	if err != nil {
		return nil, err
	}
	resp := &pb.ListDifferentialsResponse{Location: locationProto(out.Location), TargetPercentile: out.Target,
		EffectiveDate: date(out.Effective), Policy: policy.Name, SnapshotVersion: pub.Market.Version}
	for _, d := range out.Differentials {
		resp.Differentials = append(resp.Differentials, differentialProto(d))
	}
	return resp, nil
}

func statsProto(m planner.Market) *pb.MarketStats {
	return &pb.MarketStats{P10: figure(m.P10), P25: figure(m.P25), P50: figure(m.P50), P75: figure(m.P75), P90: figure(m.P90),
		Count: int32(m.Count), Mean: figure(m.Mean), Companies: int32(m.Companies), LargestCompanyRowPercent: m.LargestRowPercent,
		LargestCompanyWeightPercent: m.LargestWeightPercent, Confidence: pb.Confidence(m.Confidence)}
}

func (s *marketService) ListCohorts(_ context.Context, r *pb.ListCohortsRequest) (*pb.ListCohortsResponse, error) {
	pub, err := published(s.app)
	if err != nil {
		return nil, err
	}
	if err := planner.CheckCohortFilter(r.GetJobFamily(), r.GetLevel()); err != nil {
		return nil, err
	}
	snap := pub.Market
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
	items, next, err := state.Page(all, r.GetPageToken(), int(r.GetPageSize()), 1000)
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
	pub, err := published(s.app)
	if err != nil {
		return nil, err
	}
	all := pub.Unmapped
	if c := r.GetCompany(); c != "" {
		key := normalize.CompanyKey(c)
		all = slices.DeleteFunc(slices.Clone(all), func(u state.UnmappedLevel) bool { return normalize.CompanyKey(u.Company) != key })
	}
	items, next, err := state.Page(all, r.GetPageToken(), int(r.GetPageSize()), 100)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListUnmappedLevelsResponse{NextPageToken: next}
	for _, u := range items {
		resp.Levels = append(resp.Levels, &pb.UnmappedLevel{Company: u.Company, CompanyLevel: u.Level, Count: int32(u.Count)})
	}
	return resp, nil
}

func (s *marketService) PutLevelMap(ctx context.Context, r *pb.PutLevelMapRequest) (*pb.PutLevelMapResponse, error) {
	entries := make([]state.LevelMapEntry, len(r.GetEntries()))
	for i, e := range r.GetEntries() {
		entries[i] = state.LevelMapEntry{Level: e.GetCompanyLevel(), Variants: e.GetVariants(), IC: e.GetIcLevel(), Manager: e.GetManagerLevel()}
	}
	company, err := s.app.PutLevelMap(ctx, r.GetCompany(), entries)
	if err != nil {
		return nil, err
	}
	return &pb.PutLevelMapResponse{LevelMap: &pb.LevelMap{Company: company, Entries: r.GetEntries()}}, nil
}

func (s *marketService) ListLevelMaps(ctx context.Context, _ *pb.ListLevelMapsRequest) (*pb.ListLevelMapsResponse, error) {
	entries, err := s.app.LevelMaps(ctx)
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
	entries := make([]normalize.LocationEntry, len(r.GetEntries()))
	for i, e := range r.GetEntries() {
		entries[i] = normalize.LocationEntry{Text: e.GetText(), Metro: e.GetMetroId(), Zone: e.GetZoneId(), Country: e.GetCountryCode()}
	}
	if err := s.app.PutLocations(ctx, entries); err != nil {
		return nil, err
	}
	return &pb.PutLocationMapResponse{Entries: r.GetEntries()}, nil
}

func (s *marketService) ListLocationMap(ctx context.Context, _ *pb.ListLocationMapRequest) (*pb.ListLocationMapResponse, error) {
	entries, err := s.app.Locations(ctx)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListLocationMapResponse{}
	for _, e := range entries {
		resp.Entries = append(resp.Entries, &pb.LocationMapEntry{Text: e.Text, MetroId: e.Metro, ZoneId: e.Zone, CountryCode: e.Country})
	}
	return resp, nil
}
