package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/state"
)

// bandService answers BandService from the published state.
type bandService struct {
	pb.UnimplementedBandServiceServer
	app       *state.Service
	now       func() time.Time
	validator protovalidate.Validator
	log       *slog.Logger
	stall     time.Duration // a stream's client that reads nothing this long is ended
}

// published is the state a call reads, or Unavailable before the market is loaded.
func published(app *state.Service) (*state.Published, error) {
	pub := app.Current()
	if pub == nil || pub.Market == nil {
		return nil, state.ErrLoading
	}
	return pub, nil
}

// request converts a band request and resolves its policy on the published state.
func request(ctx context.Context, pub *state.Published, r *pb.RecommendBandRequest) (planner.Request, error) {
	req, inline, err := bandRequest(r)
	if err != nil {
		return req, err
	}
	req.Policy, err = pub.BandPolicy(CallerFrom(ctx), inline, r.GetPolicyName())
	return req, err
}

func (s *bandService) RecommendBand(ctx context.Context, r *pb.RecommendBandRequest) (*pb.RecommendBandResponse, error) {
	pub, err := published(s.app)
	if err != nil {
		return nil, err
	}
	req, err := request(ctx, pub, r)
	if err != nil {
		return nil, err
	}
	band, err := pub.Planner.Recommend(req, s.now())
	if err != nil {
		return nil, err
	}
	return &pb.RecommendBandResponse{Band: bandProto(band, pub.Version)}, nil
}

// bandError turns an item's error into its place in a batch or stream, through the
// same translator as whole calls (a domain error directly: a thin cohort in a stream
// is common, and its status details need not be built only to be read back).
func (s *bandService) bandError(ctx context.Context, err error) *pb.BandError {
	var pe *planner.Error
	if errors.As(err, &pe) {
		code, msg := domainCode(pe)
		return &pb.BandError{Code: int32(code), Message: msg, Reason: pe.Reason}
	}
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
	pub, err := published(s.app) // one state for the whole batch
	if err != nil {
		return nil, err
	}
	today := s.now()
	resp := &pb.BatchRecommendBandsResponse{Results: make([]*pb.BandResult, len(r.GetRequests()))}
	for i, item := range r.GetRequests() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := &pb.BandResult{JobFamily: item.GetJobFamily(), Level: item.GetLevel(), Location: item.GetLocation()}
		band, err := s.batchItem(ctx, pub, item, today)
		if err != nil {
			res.Result = &pb.BandResult_Error{Error: s.bandError(ctx, err)}
		} else {
			res.Result = &pb.BandResult_Band{Band: bandProto(band, pub.Version)}
		}
		resp.Results[i] = res
	}
	return resp, nil
}

func (s *bandService) batchItem(ctx context.Context, pub *state.Published, item *pb.RecommendBandRequest, today time.Time) (*planner.Band, error) {
	if err := s.validator.Validate(item); err != nil {
		return nil, err
	}
	req, err := request(ctx, pub, item)
	if err != nil {
		return nil, err
	}
	return pub.Planner.Recommend(req, today)
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
	pub, err := published(s.app) // one state and one policy for the whole stream
	if err != nil {
		return err
	}
	queries, err := streamQueries(pub.Planner, r)
	if err != nil {
		return err
	}
	template, err := request(ctx, pub, &pb.RecommendBandRequest{TargetPercentile: r.TargetPercentile, TokenPolicy: r.GetTokenPolicy(),
		EffectiveDate: r.GetEffectiveDate(), Policy: r.GetPolicy(), PolicyName: r.GetPolicyName()})
	if err != nil {
		return err
	}
	today := s.now()
	sum := &pb.StreamSummary{}
	out := newStallSender(ctx, s.stall, stream.Send)
	defer out.close()
	defer func() {
		// Counts only: no cohort, no figure. The sender counts messages; the summary,
		// the last of them, is not a band.
		sent := min(out.sent.Load(), int64(queries.len()))
		s.log.Info("bands stream ended", "sent", sent, "planned", queries.len(), "cancelled", ctx.Err() != nil)
	}()
	for i := range queries.len() {
		q := queries.at(i)
		if err := ctx.Err(); err != nil {
			return err // the client went away: stop at once
		}
		req := template
		req.Family, req.Level, req.Location, req.Resolved = q.family, q.level, q.location, q.resolved
		res := &pb.BandResult{JobFamily: q.family, Level: q.level, Location: q.location}
		band, err := pub.Planner.Recommend(req, today)
		if err != nil {
			res.Result = &pb.BandResult_Error{Error: s.bandError(ctx, err)}
			sum.Errors++
		} else {
			res.Result = &pb.BandResult_Band{Band: bandProto(band, pub.Version)}
			sum.Bands++
			if fb := band.Provenance.Fallback; fb.Used != fb.Requested {
				sum.Fallbacks++
			}
			sum.WithheldFigures += int32(withheld(band))
		}
		// A send blocks while the client's flow-control window is full; for the stall
		// timeout at most.
		if err := out.send(&pb.StreamBandsResponse{Message: &pb.StreamBandsResponse_Item{Item: res}}); err != nil {
			return err
		}
	}
	if err := out.send(&pb.StreamBandsResponse{Message: &pb.StreamBandsResponse_Summary{Summary: sum}}); err != nil {
		return err
	}
	return out.finish()
}

// withheld counts a band's unpublished market figures.
func withheld(b *planner.Band) int {
	n := 0
	count := func(m planner.Market) {
		for _, f := range []planner.Figure{m.P10, m.P25, m.P50, m.P75, m.P90} {
			if !f.Published {
				n++
			}
		}
	}
	for _, c := range b.Components {
		count(c.Market)
	}
	count(b.Total.Market)
	return n
}

var errEmptyGrid = planner.Invalid(planner.Violation{Field: "job_families", Description: "give job_families, levels and locations, or all_cohorts"})

// streamQueries lists a stream's bands: the grid in order, or every cohort of the
// snapshot by family, level, scope and place.
// queries are a stream's bands to come: a grid's, or every cohort's (the market's own
// list, shared by every such stream rather than copied for each).
type queries struct {
	grid    []query
	cohorts []planner.Cohort
}

func (q queries) len() int { return len(q.grid) + len(q.cohorts) }

func (q queries) at(i int) query {
	if q.cohorts != nil {
		c := &q.cohorts[i]
		return query{family: c.Key.Family, level: c.Key.Level, location: c.Key.Place, resolved: &c.Location}
	}
	return q.grid[i]
}

func streamQueries(pl *planner.Planner, r *pb.StreamBandsRequest) (queries, error) {
	if r.GetAllCohorts() {
		if len(r.GetJobFamilies())+len(r.GetLevels())+len(r.GetLocations()) > 0 {
			return queries{}, planner.Invalid(planner.Violation{Field: "all_cohorts", Description: "ask for a grid or for all cohorts, not both"})
		}
		return queries{cohorts: pl.Cohorts()}, nil
	}
	n := len(r.GetJobFamilies()) * len(r.GetLevels()) * len(r.GetLocations())
	if n == 0 {
		return queries{}, errEmptyGrid
	}
	if n > maxStreamBands {
		return queries{}, planner.Invalid(planner.Violation{Field: "job_families", Description: "the grid has more than 100,000 bands"})
	}
	out := make([]query, 0, n)
	for _, f := range r.GetJobFamilies() {
		for _, l := range r.GetLevels() {
			for _, loc := range r.GetLocations() {
				out = append(out, query{family: f, level: l, location: loc})
			}
		}
	}
	return queries{grid: out}, nil
}
