package server

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/store"
)

// bandService answers BandService on the current market snapshot.
type bandService struct {
	pb.UnimplementedBandServiceServer
	market    *market.Current
	store     store.Store
	now       func() time.Time
	validator protovalidate.Validator
	log       *slog.Logger
}

// withStoredPolicy settles a request's policy (see requestPolicy).
func (s *bandService) withStoredPolicy(ctx context.Context, r *pb.RecommendBandRequest) (*pb.RecommendBandRequest, error) {
	p, err := requestPolicy(ctx, s.store, r.GetPolicy(), r.GetPolicyName())
	if err != nil {
		return nil, err
	}
	r = proto.Clone(r).(*pb.RecommendBandRequest)
	r.Policy, r.PolicyName = p, ""
	return r, nil
}

func (s *bandService) band(snap *market.Snapshot, r *pb.RecommendBandRequest, resolved *catalog.Location) (*pb.Band, error) {
	req, err := bandRequest(r)
	if err != nil {
		return nil, err
	}
	req.Resolved = resolved
	band, err := planner.Recommend(snap, req, s.now())
	if err != nil {
		return nil, err
	}
	return bandProto(band), nil
}

func (s *bandService) RecommendBand(ctx context.Context, r *pb.RecommendBandRequest) (*pb.RecommendBandResponse, error) {
	r, err := s.withStoredPolicy(ctx, r)
	if err != nil {
		return nil, err
	}
	band, err := s.band(s.market.Load(), r, nil)
	if err != nil {
		return nil, err
	}
	return &pb.RecommendBandResponse{Band: band}, nil
}

// bandError turns an item's error into its place in a batch or stream, through the
// same translator as whole calls.
func (s *bandService) bandError(ctx context.Context, err error) *pb.BandError {
	st := status.Convert(toStatus(ctx, s.log, err))
	out := &pb.BandError{Code: int32(st.Code()), Message: st.Message()}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			out.Reason = info.GetReason()
		}
	}
	return out
}

func (s *bandService) BatchRecommendBands(ctx context.Context, r *pb.BatchRecommendBandsRequest) (*pb.BatchRecommendBandsResponse, error) {
	snap := s.market.Load() // one snapshot for the whole batch
	resp := &pb.BatchRecommendBandsResponse{Results: make([]*pb.BandResult, len(r.GetRequests()))}
	policies := map[string]*pb.Policy{} // stored policies read once per batch
	for i, item := range r.GetRequests() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := &pb.BandResult{JobFamily: item.GetJobFamily(), Level: item.GetLevel(), Location: item.GetLocation()}
		band, err := s.batchItem(ctx, snap, item, policies)
		if err != nil {
			res.Result = &pb.BandResult_Error{Error: s.bandError(ctx, err)}
		} else {
			res.Result = &pb.BandResult_Band{Band: band}
		}
		resp.Results[i] = res
	}
	return resp, nil
}

func (s *bandService) batchItem(ctx context.Context, snap *market.Snapshot, item *pb.RecommendBandRequest, policies map[string]*pb.Policy) (*pb.Band, error) {
	if err := s.validator.Validate(item); err != nil {
		return nil, err
	}
	if item.GetPolicy() == nil { // a stored or default policy: read it once per batch
		p, seen := policies[item.GetPolicyName()]
		if !seen {
			var err error
			if p, err = requestPolicy(ctx, s.store, nil, item.GetPolicyName()); err != nil {
				return nil, err
			}
			policies[item.GetPolicyName()] = p
		}
		item = proto.Clone(item).(*pb.RecommendBandRequest)
		item.Policy, item.PolicyName = p, ""
		return s.band(snap, item, nil)
	}
	item, err := s.withStoredPolicy(ctx, item)
	if err != nil {
		return nil, err
	}
	return s.band(snap, item, nil)
}

// maxStreamBands bounds one grid.
const maxStreamBands = 100000

// query is one band of a stream.
type query struct {
	family, level, location string
	resolved                *catalog.Location
}

func (s *bandService) StreamBands(r *pb.StreamBandsRequest, stream grpc.ServerStreamingServer[pb.StreamBandsResponse]) error {
	ctx := stream.Context()
	snap := s.market.Load()
	queries, err := streamQueries(snap, r)
	if err != nil {
		return err
	}
	template, err := s.withStoredPolicy(ctx, &pb.RecommendBandRequest{TargetPercentile: r.TargetPercentile, TokenPolicy: r.GetTokenPolicy(),
		EffectiveDate: r.GetEffectiveDate(), Policy: r.GetPolicy(), PolicyName: r.GetPolicyName()})
	if err != nil {
		return err
	}
	sum := &pb.StreamSummary{}
	sent := 0
	defer func() {
		// Counts only: no cohort, no figure.
		s.log.Info("bands stream ended", "sent", sent, "planned", len(queries), "cancelled", ctx.Err() != nil)
	}()
	for _, q := range queries {
		if err := ctx.Err(); err != nil {
			return err // the client went away: stop at once
		}
		item := proto.Clone(template).(*pb.RecommendBandRequest)
		item.JobFamily, item.Level, item.Location = q.family, q.level, q.location
		res := &pb.BandResult{JobFamily: q.family, Level: q.level, Location: q.location}
		band, err := s.band(snap, item, q.resolved)
		if err != nil {
			res.Result = &pb.BandResult_Error{Error: s.bandError(ctx, err)}
			sum.Errors++
		} else {
			res.Result = &pb.BandResult_Band{Band: band}
			sum.Bands++
			if fb := band.GetProvenance().GetFallback(); fb.GetUsedScope() != fb.GetRequestedScope() {
				sum.Fallbacks++
			}
			sum.WithheldFigures += int32(withheld(band))
		}
		// Send blocks while the client's flow-control window is full.
		if err := stream.Send(&pb.StreamBandsResponse{Message: &pb.StreamBandsResponse_Item{Item: res}}); err != nil {
			return err
		}
		sent++
	}
	return stream.Send(&pb.StreamBandsResponse{Message: &pb.StreamBandsResponse_Summary{Summary: sum}})
}

// withheld counts a band's unpublished market figures.
func withheld(b *pb.Band) int {
	n := 0
	count := func(figs ...*float64) {
		for _, f := range figs {
			if f == nil {
				n++
			}
		}
	}
	for _, c := range b.GetComponents() {
		count(c.P10, c.P25, c.P50, c.P75, c.P90)
	}
	t := b.GetTotal()
	count(t.P10, t.P25, t.P50, t.P75, t.P90)
	return n
}

var errEmptyGrid = planner.Invalid(planner.Violation{Field: "job_families", Description: "give job_families, levels and locations, or all_cohorts"})

// streamQueries lists a stream's bands: the grid in order, or every cohort of the
// snapshot by family, level, scope and place.
func streamQueries(snap *market.Snapshot, r *pb.StreamBandsRequest) ([]query, error) {
	if r.GetAllCohorts() {
		if len(r.GetJobFamilies())+len(r.GetLevels())+len(r.GetLocations()) > 0 {
			return nil, planner.Invalid(planner.Violation{Field: "all_cohorts", Description: "ask for a grid or for all cohorts, not both"})
		}
		if snap == nil {
			return nil, errLoading
		}
		keys := snap.Keys()
		slices.SortFunc(keys, func(a, b market.CohortKey) int {
			return cmp.Or(cmp.Compare(a.Family, b.Family), cmp.Compare(levelRank(a.Level), levelRank(b.Level)),
				cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Place, b.Place))
		})
		out := make([]query, len(keys))
		for i, k := range keys {
			loc := cohortLocation(k)
			out[i] = query{family: k.Family, level: k.Level, location: k.Place, resolved: &loc}
		}
		return out, nil
	}
	n := len(r.GetJobFamilies()) * len(r.GetLevels()) * len(r.GetLocations())
	if n == 0 {
		return nil, errEmptyGrid
	}
	if n > maxStreamBands {
		return nil, planner.Invalid(planner.Violation{Field: "job_families", Description: "the grid has more than 100,000 bands"})
	}
	out := make([]query, 0, n)
	for _, f := range r.GetJobFamilies() {
		for _, l := range r.GetLevels() {
			for _, loc := range r.GetLocations() {
				out = append(out, query{family: f, level: l, location: loc})
			}
		}
	}
	return out, nil
}

// cohortLocation is a snapshot cohort's place as a resolved location.
func cohortLocation(k market.CohortKey) catalog.Location {
	loc := catalog.Location{Query: k.Place, Scope: k.Scope}
	switch k.Scope {
	case catalog.ScopeMetro:
		m, _ := catalog.Geo.Metro(k.Place)
		loc.Metro, loc.Zone, loc.Country = m.ID, m.Zone, m.Country
	case catalog.ScopeZone:
		z, _ := catalog.Geo.Zone(k.Place)
		loc.Zone, loc.Country = z.ID, z.Country
	default:
		loc.Country = k.Place
	}
	return loc
}
