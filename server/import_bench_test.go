package server_test

import (
	"context"
	"os"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/shareddata"
)

var sharedFile = shareddata.File()

// BenchmarkImportSharedFile streams the shared Levels.fyi export (2.4 MB gzipped,
// 62,642 rows) into a fresh server over loopback gRPC: parse, validate, normalise,
// store (SQLite, and PostgreSQL with COPY) and rebuild the snapshot. The baseline is
// one gRPC health check on the same server, measured in the same run.
func BenchmarkImportSharedFile(b *testing.B) {
	data, err := os.ReadFile(sharedFile)
	if err != nil {
		shareddata.Need(b)
		b.Fatal(err)
	}
	b.Run("baseline-health-check", func(b *testing.B) {
		s := start(b, nil).ready(b)
		client := healthpb.NewHealthClient(s.conn)
		for b.Loop() {
			if _, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, engine := range []struct {
		name  string
		start func(testing.TB) *testServer
	}{{"import", func(b testing.TB) *testServer { return start(b, nil) }}, {"import-postgres", startPostgres}} {
		b.Run(engine.name, func(b *testing.B) { importLoop(b, engine.start, data) })
	}
}

func importLoop(b *testing.B, start func(testing.TB) *testServer, data []byte) {
	for b.Loop() {
		b.StopTimer()
		s := start(b).ready(b) // a fresh store each time: the same file twice is a duplicate
		b.StartTimer()
		resp, err := importData(b, s, &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI}, string(data))
		if err != nil || resp.GetSummary().GetRowsAccepted() != 62009 {
			b.Fatalf("import: %v %v", err, resp.GetSummary())
		}
	}
	b.ReportMetric(62642*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
