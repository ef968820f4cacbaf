package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// batch1000 makes 1,000 requests over the demo's cohorts with bad ones at known places.
func batch1000() (*pb.BatchRecommendBandsRequest, map[int]codes.Code) {
	families := []string{"software-engineer", "data-scientist", "product-manager", "hardware-engineer"}
	levels := []string{"IC1", "IC2", "IC3", "IC4"}
	places := []string{"San Francisco, CA", "Seattle, WA", "New York, NY", "Austin, TX", "Boston, MA", "Chicago, IL"}
	req := &pb.BatchRecommendBandsRequest{}
	for i := range 1000 {
		req.Requests = append(req.Requests, &pb.RecommendBandRequest{JobFamily: families[i%4], Level: levels[(i/4)%4], Location: places[(i/16)%6]})
	}
	bad := map[int]codes.Code{
		7:   codes.InvalidArgument,    // target percentile 0
		123: codes.InvalidArgument,    // unknown level
		500: codes.InvalidArgument,    // unknown location
		998: codes.FailedPrecondition, // too thin even at country level
	}
	req.Requests[7].TargetPercentile = proto.Float64(0)
	req.Requests[123].Level = "L9"
	req.Requests[500].Location = "Atlantis"
	req.Requests[998] = &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC7", Location: "Dublin, Ireland"}
	return req, bad
}

func TestBatchOfAThousand(t *testing.T) {
	s := start(t, nil).ready(t)
	req, bad := batch1000()
	start := time.Now()
	resp, err := pb.NewBandServiceClient(s.conn).BatchRecommendBands(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a batch of 1,000 over gRPC: %v", time.Since(start))
	check := func(via string, results []*pb.BandResult) {
		if len(results) != 1000 {
			t.Fatalf("%s: %d results", via, len(results))
		}
		for i, r := range results {
			want, isBad := bad[i]
			switch {
			case isBad && (r.GetError() == nil || codes.Code(r.GetError().GetCode()) != want || r.GetError().GetMessage() == ""):
				t.Errorf("%s: item %d: %v, want an error %s", via, i, r, want)
			case !isBad && r.GetBand() == nil:
				t.Errorf("%s: item %d: %v, want a band", via, i, r.GetError())
			case r.GetJobFamily() != req.Requests[i].GetJobFamily() || r.GetLocation() != req.Requests[i].GetLocation():
				t.Errorf("%s: item %d answers %s %s", via, i, r.GetJobFamily(), r.GetLocation())
			}
		}
	}
	check("gRPC", resp.GetResults())
	// Each band equals the one asked alone.
	for _, i := range []int{0, 250, 999} {
		one, err := pb.NewBandServiceClient(s.conn).RecommendBand(context.Background(), req.Requests[i])
		if err != nil || !proto.Equal(one.GetBand(), resp.GetResults()[i].GetBand()) {
			t.Errorf("item %d differs from RecommendBand (%v)", i, err)
		}
	}
	body, _ := protojson.Marshal(req)
	code, out, _ := s.post(t, "/v1/bands:batchRecommend", string(body))
	var viaJSON pb.BatchRecommendBandsResponse
	if code != 200 || protojson.Unmarshal(out, &viaJSON) != nil {
		t.Fatalf("HTTP %d", code)
	}
	check("JSON", viaJSON.GetResults())
	if !strings.Contains(string(out), `"error":{"code":3`) {
		t.Errorf("JSON errors carry no code")
	}
	// More than 1,000 is refused whole.
	req.Requests = append(req.Requests, req.Requests[0])
	if _, err := pb.NewBandServiceClient(s.conn).BatchRecommendBands(context.Background(), req); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "requests") {
		t.Errorf("1,001 items: %v", err)
	}
}

func TestStreamEveryCohort(t *testing.T) {
	s := start(t, nil).ready(t)
	stream, err := pb.NewBandServiceClient(s.conn).StreamBands(context.Background(), &pb.StreamBandsRequest{AllCohorts: true})
	if err != nil {
		t.Fatal(err)
	}
	results := 0
	var sum *pb.StreamSummary
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.GetSummary() != nil {
			sum = m.GetSummary()
			continue
		}
		results++
	}
	if sum == nil || int(sum.GetBands()+sum.GetErrors()) != results || sum.GetBands() < 1000 || sum.GetErrors() == 0 || sum.GetFallbacks() == 0 || sum.GetWithheldFigures() == 0 {
		t.Errorf("%d results, summary %v", results, sum)
	}
	// Over JSON: newline-delimited objects, the summary last.
	code, body, _ := s.post(t, "/v1/bands:stream", `{"jobFamilies":["software-engineer","data-scientist"],"levels":["IC2","IC3"],"locations":["Seattle, WA","Atlantis"]}`)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if code != 200 || len(lines) != 9 || !strings.Contains(lines[8], `"summary"`) || !strings.Contains(lines[8], `"bands":4`) || !strings.Contains(lines[8], `"errors":4`) {
		t.Errorf("HTTP %d, %d lines: %s", code, len(lines), lines[len(lines)-1])
	}
	if code, body, _ := s.post(t, "/v1/bands:stream", `{}`); code != 400 || !strings.Contains(string(body), "job_families") {
		t.Errorf("empty grid: HTTP %d %s", code, body)
	}
}

// syncBuffer is a log sink the server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A client that stops reading and cancels stops the server's work: flow control holds
// the stream, and cancellation ends it far short of the whole market.
func TestCancelledStreamStopsPromptly(t *testing.T) {
	logs := &syncBuffer{}
	logSink = logs
	defer func() { logSink = io.Discard }()
	s := start(t, nil).ready(t)
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := pb.NewBandServiceClient(s.conn).StreamBands(ctx, &pb.StreamBandsRequest{AllCohorts: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server fills the window and waits
	cancel()
	var line string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			if strings.Contains(sc.Text(), "bands stream ended") {
				line = sc.Text()
			}
		}
		if line != "" {
			break
		}
	}
	var sent, planned int
	if _, err := fmt.Sscanf(line[strings.Index(line, "sent="):], "sent=%d planned=%d", &sent, &planned); err != nil || planned < 2000 || sent*4 > planned ||
		!strings.Contains(line, "cancelled=true") {
		t.Errorf("after cancel: %q (sent %d of %d)", line, sent, planned)
	}
	t.Logf("stopped after %d of %d bands", sent, planned)
}

// A stream that runs to its end delivers every band and its summary, and logs that it
// sent every band planned (the summary is not one).
func TestFinishedStreamSendsEverything(t *testing.T) {
	logs := &syncBuffer{}
	logSink = logs
	defer func() { logSink = io.Discard }()
	s := start(t, nil).ready(t)
	stream, err := pb.NewBandServiceClient(s.conn).StreamBands(context.Background(), &pb.StreamBandsRequest{AllCohorts: true})
	if err != nil {
		t.Fatal(err)
	}
	items := 0
	var sum *pb.StreamSummary
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d items: %v", items, err)
		}
		if msg.GetItem() != nil {
			items++
		}
		if msg.GetSummary() != nil {
			sum = msg.GetSummary()
		}
	}
	if sum == nil || int(sum.GetBands()+sum.GetErrors()) != items || items < 1000 {
		t.Fatalf("%d items, summary %v", items, sum)
	}
	want := fmt.Sprintf("sent=%d planned=%d cancelled=false", items, items)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log", want)
		}
	}
}
