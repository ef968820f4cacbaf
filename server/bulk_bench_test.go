package server_test

import (
	"context"
	"io"
	"os"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/shareddata"
)

// BenchmarkBulkBandsSharedFile: with the shared Levels.fyi export imported, StreamBands
// over every cohort (reported as bands/s) and a batch of 1,000 bands, beside a gRPC
// health check measured in the same run. Run with -benchtime 5s for repeated passes.
func BenchmarkBulkBandsSharedFile(b *testing.B) {
	data, err := os.ReadFile(sharedFile)
	if err != nil {
		shareddata.Need(b)
		b.Fatal(err)
	}
	s := start(b, nil).ready(b)
	if _, err := importData(b, s, &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI}, string(data)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	client := pb.NewBandServiceClient(s.conn)
	b.Run("baseline-health-check", func(b *testing.B) {
		health := healthpb.NewHealthClient(s.conn)
		for b.Loop() {
			if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream-all-cohorts", func(b *testing.B) {
		bands := 0
		for b.Loop() {
			stream, err := client.StreamBands(ctx, &pb.StreamBandsRequest{AllCohorts: true})
			if err != nil {
				b.Fatal(err)
			}
			for {
				m, err := stream.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				if m.GetItem() != nil {
					bands++
				}
			}
		}
		b.ReportMetric(float64(bands)/b.Elapsed().Seconds(), "bands/s")
	})
	b.Run("batch-1000", func(b *testing.B) {
		req, _ := batch1000()
		for b.Loop() {
			if _, err := client.BatchRecommendBands(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
