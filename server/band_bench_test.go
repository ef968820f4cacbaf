package server_test

import (
	"context"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// BenchmarkRecommendBand: RecommendBand over gRPC on loopback in open mode, cycling
// through every demo cohort that answers, beside the gRPC health check on the same
// server (the baseline of scripts/bench-load.sh, which measures the real binary).
func BenchmarkRecommendBand(b *testing.B) {
	s := start(b, nil).ready(b)
	ctx := context.Background()
	cohorts, err := pb.NewMarketServiceClient(s.conn).ListCohorts(ctx, &pb.ListCohortsRequest{PageSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	client := pb.NewBandServiceClient(s.conn)
	var reqs []*pb.RecommendBandRequest
	for i, c := range cohorts.GetCohorts() {
		r := &pb.RecommendBandRequest{JobFamily: c.GetJobFamily(), Level: c.GetLevel(), Location: c.GetLocationId(),
			TargetPercentile: proto.Float64([]float64{25, 50, 75, 90}[i%4])}
		if _, err := client.RecommendBand(ctx, r); err == nil {
			reqs = append(reqs, r)
		}
	}
	b.Run("baseline-health-check", func(b *testing.B) {
		health := healthpb.NewHealthClient(s.conn)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("band", func(b *testing.B) {
		b.RunParallel(func(p *testing.PB) {
			i := 0
			for p.Next() {
				i++
				if _, err := client.RecommendBand(ctx, reqs[i%len(reqs)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
