package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/shareddata"
)

// rssMB reads a process's resident set size from /proc.
func rssMB(b *testing.B, pid int) float64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkResidentMemory reports paymixd's resident memory serving the demo data
// (the baseline, measured in the same run) and then with the shared Levels.fyi export
// imported and loaded. Run it once: go test -run '^$' -bench ResidentMemory -benchtime 1x ./cmd/paymixd
func BenchmarkResidentMemory(b *testing.B) {
	data, err := os.ReadFile(sharedFile)
	if err != nil {
		shareddata.Need(b)
		b.Fatal(err)
	}
	for b.Loop() {
		cmd, addr := startDaemon(b, b.TempDir())
		time.Sleep(500 * time.Millisecond) // let the runtime settle after start-up
		demo := rssMB(b, cmd.Process.Pid)
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		stream, err := pb.NewMarketServiceClient(conn).ImportBenchmarks(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI}}})
		stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: data}})
		if _, err := stream.CloseAndRecv(); err != nil {
			b.Fatal(err)
		}
		conn.Close()
		time.Sleep(500 * time.Millisecond)
		loaded := rssMB(b, cmd.Process.Pid)
		b.ReportMetric(demo, "MB-rss-demo")
		b.ReportMetric(loaded, "MB-rss-loaded")
		b.ReportMetric(loaded/demo, "loaded/demo")
	}
}
