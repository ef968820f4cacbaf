package server

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/store"
)

// bandService answers BandService on the current market snapshot.
type bandService struct {
	pb.UnimplementedBandServiceServer
	market *market.Current
	store  store.Store
	now    func() time.Time
}

func (s *bandService) RecommendBand(ctx context.Context, r *pb.RecommendBandRequest) (*pb.RecommendBandResponse, error) {
	if name := r.GetPolicyName(); name != "" {
		stored, err := loadPolicy(ctx, s.store, name)
		if err != nil {
			return nil, err
		}
		r = proto.Clone(r).(*pb.RecommendBandRequest)
		r.Policy = stored
	}
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
