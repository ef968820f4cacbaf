package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// procKB reads a field of /proc/<pid>/status in kB (VmRSS, VmHWM).
func procKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// A gzip bomb: about 8 MB that decompress to a first row with one 8 GiB field. The
// import ends with LINE_TOO_LONG after the first MiB of it, and paymixd's peak RSS
// grows by less than 256 MB.
func TestGzipBombStaysBounded(t *testing.T) {
	cmd, addr := startDaemon(t, t.TempDir())
	pid := cmd.Process.Pid
	before := procKB(t, pid, "VmRSS")

	// Gzip members concatenate into one stream: a header and the start of a quoted
	// field, then one member of 64 MiB of 'a' (64 KB compressed) sent 128 times.
	member := func(r io.Reader) []byte {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		io.Copy(w, r)
		w.Close()
		return b.Bytes()
	}
	head := member(strings.NewReader("report_date,company,company_level,title,location,base\n2026-01-01,\""))
	block := member(io.LimitReader(repeatReader('a'), 64<<20))

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := pb.NewMarketServiceClient(conn).ImportBenchmarks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	send := func(b []byte) bool {
		return stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: b}}) == nil
	}
	ok := stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV}}}) == nil && send(head)
	for i := 0; ok && i < 128; i++ {
		ok = send(block) // fails once the server has answered
	}
	_, err = stream.CloseAndRecv()
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "row 1 is longer than 1 MiB") {
		t.Fatalf("the bomb: %v", err)
	}
	peak := procKB(t, pid, "VmHWM")
	t.Logf("RSS before %d MB, peak after %d MB", before>>10, peak>>10)
	if grew := peak - before; grew >= 256<<10 {
		t.Errorf("peak RSS grew by %d MB", grew>>10)
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// 100 HTTP bands:stream requests whose clients never read (470 MB before streams were
// bounded), against paymixd as a child process, so that only the server's memory is
// counted: its peak RSS grows by less than 200 MB.
func TestUnreadHTTPStreamsStayBounded(t *testing.T) {
	r := startReplicaIn(t, "unread", "sqlite", t.TempDir())
	pid, httpAddr := r.cmd.Process.Pid, r.httpAddr
	before := procKB(t, pid, "VmRSS")
	var conns []net.Conn
	for range 100 {
		c, err := net.Dial("tcp", httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		body := `{"allCohorts":true}`
		fmt.Fprintf(c, "POST /v1/bands:stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		conns = append(conns, c) // never read
	}
	time.Sleep(2 * time.Second)
	peak := procKB(t, pid, "VmHWM")
	for _, c := range conns {
		c.Close()
	}
	t.Logf("RSS %d MB before, peak %d MB with 100 unread HTTP streams", before>>10, peak>>10)
	if grew := peak - before; grew >= 200<<10 {
		t.Errorf("peak RSS grew by %d MB", grew>>10)
	}
}
