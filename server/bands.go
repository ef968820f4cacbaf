package server

import (
	"context"
	"time"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/market"
)

// bandService answers BandService on the current market snapshot.
type bandService struct {
	pb.UnimplementedBandServiceServer
	market *market.Current
	now    func() time.Time
}

func (s *bandService) RecommendBand(_ context.Context, r *pb.RecommendBandRequest) (*pb.RecommendBandResponse, error) {
	req, err := bandRequest(r)
	if err != nil {
		return nil, err
	}
	band, err := planner.Recommend(s.market.Load(), req, s.now())
	if err != nil {
		return nil, err
	}
	return &pb.RecommendBandResponse{Band: bandProto(band)}, nil
}
