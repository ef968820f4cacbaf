package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/shareddata"
	"github.com/paymix/paymix/store/sqlite"
)

var sharedFile = shareddata.File()

// startDaemon runs paymixd on a data directory and returns its gRPC address once it
// serves.
func startDaemon(t testing.TB, dataDir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := paymixd(t, []string{"PAYMIX_DATA_DIR=" + dataDir}, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	addr := ""
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if rec["msg"] == "listening" {
			addr, _ = rec["grpc_addr"].(string)
		}
		if rec["msg"] == "market snapshot built" {
			go io.Copy(io.Discard, stderr)
			return cmd, addr
		}
	}
	t.Fatal("paymixd never built its snapshot")
	return nil, ""
}

// Killing the server in the middle of an import leaves nothing of it: the pending
// dataset is purged at the next start.
func TestSIGKILLDuringImportLeavesNoPartialDataset(t *testing.T) {
	if _, err := os.Stat(sharedFile); err != nil {
		shareddata.Need(t)
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd, addr := startDaemon(t, dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() { // the import dies with the server; its error is expected
		data, _ := os.ReadFile(sharedFile)
		stream, err := pb.NewMarketServiceClient(conn).ImportBenchmarks(context.Background())
		if err != nil {
			return
		}
		stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI}}})
		for len(data) > 0 {
			n := min(len(data), 256<<10)
			if stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: data[:n]}}) != nil {
				return
			}
			data = data[n:]
		}
		stream.CloseAndRecv()
	}()

	// Wait until the pending dataset has some rows, then kill the server outright.
	pendingRows := func() (rows, datasets int) {
		db.QueryRow(`SELECT count(*) FROM observations WHERE dataset_id IN (SELECT id FROM datasets WHERE state = 'pending')`).Scan(&rows)
		db.QueryRow(`SELECT count(*) FROM datasets WHERE state = 'pending'`).Scan(&datasets)
		return rows, datasets
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if rows, _ := pendingRows(); rows > 0 {
			t.Logf("killing with %d rows of a pending dataset written", rows)
			break
		}
		var ready int
		db.QueryRow(`SELECT count(*) FROM datasets WHERE state = 'ready' AND synthetic = 0`).Scan(&ready)
		if ready > 0 {
			t.Fatal("the import finished before the test could kill it")
		}
		if time.Now().After(deadline) {
			t.Fatal("no pending rows appeared")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if rows, datasets := pendingRows(); rows == 0 || datasets != 1 {
		t.Fatalf("after the kill: %d pending rows in %d datasets, want a leftover", rows, datasets)
	}

	// A restart purges the leftover: nothing of the import exists.
	_, addr = startDaemon(t, dir)
	if rows, datasets := pendingRows(); rows != 0 || datasets != 0 {
		t.Errorf("after restart: %d pending rows in %d datasets", rows, datasets)
	}
	var all int
	db.QueryRow(`SELECT count(*) FROM observations`).Scan(&all)
	if all != 0 {
		t.Errorf("%d rows remain", all)
	}
	conn2, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	list, err := pb.NewDatasetServiceClient(conn2).ListDatasets(context.Background(), &pb.ListDatasetsRequest{})
	if err != nil || len(list.GetDatasets()) != 1 || !strings.HasSuffix(list.GetDatasets()[0].GetName(), "demo-synthetic") {
		t.Errorf("datasets after restart: %v %v", list, err)
	}
}

// A finished import survives a restart: the next start loads it from the store.
func TestImportSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cmd, addr := startDaemon(t, dir)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := pb.NewMarketServiceClient(conn).ImportBenchmarks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("report_date,company,company_level,title,location,base,equity,bonus\n")
	for i := range 12 {
		csv.WriteString("2026-06-01," + ic3Levels[i%len(ic3Levels)] + ",Software Engineer,\"Seattle, WA\"," + strconv.Itoa(200000+i*1000) + ",100000,30000\n")
	}
	stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV}}})
	stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: []byte(csv.String())}})
	imported, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	_, addr = startDaemon(t, dir)
	conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	band, err := pb.NewBandServiceClient(conn).RecommendBand(context.Background(), &pb.RecommendBandRequest{
		JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", Policy: &pb.Policy{AgingRatePercent: new(float64)}})
	if err != nil {
		t.Fatal(err)
	}
	p := band.GetBand().GetProvenance()
	// Totals 330k..341k: the median is 335500.
	if p.GetSynthetic() || len(p.GetDatasets()) != 1 || p.GetDatasets()[0].GetName() != imported.GetDataset().GetName() || band.GetBand().GetTotal().GetP50() != 335500 {
		t.Errorf("after restart: %v", band.GetBand())
	}
}
