package server_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/server"
)

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// backToBaseline waits up to 5 s for the heap to be within 20 MB and the goroutines
// within 10 of their baselines, once the clients of a test are gone.
func backToBaseline(t *testing.T, baseHeap uint64, baseG int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, g := heapInuse(), runtime.NumGoroutine()
		if h < baseHeap+20<<20 && g <= baseG+10 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after the clients went away: heap %d MB (baseline %d), %d goroutines (baseline %d)", h>>20, baseHeap>>20, g, baseG)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// 2,000 StreamBands of every cohort on one connection that never reads: the server
// runs 100 of them at once (the rest wait for the connection's stream quota), the heap
// grows by less than 200 MB, and within 5 s of the client going away heap and
// goroutines are back near their baselines.
func TestUnreadStreamsStayBounded(t *testing.T) {
	s := start(t, nil).ready(t)
	baseHeap, baseG := heapInuse(), runtime.NumGoroutine()
	// The client's windows are fixed at HTTP/2's 64 KiB: with grpc-go's window
	// estimation a client in the same process would buffer megabytes per unread
	// stream, which is the client's memory, not the server's.
	conn, err := grpc.NewClient(s.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var opened sync.WaitGroup
	for range 2000 {
		opened.Add(1)
		go func() {
			defer opened.Done()
			stream, err := pb.NewBandServiceClient(conn).StreamBands(ctx, &pb.StreamBandsRequest{AllCohorts: true})
			if err == nil {
				_, _ = stream.Header() // opened; never read
			}
		}()
	}
	time.Sleep(2 * time.Second) // let the running streams fill their windows
	during := heapInuse()
	t.Logf("heap %d MB before, %d MB with 2,000 unread streams", baseHeap>>20, during>>20)
	if during > baseHeap+200<<20 {
		t.Errorf("heap grew by %d MB", (during-baseHeap)>>20)
	}
	cancel()
	conn.Close()
	opened.Wait()
	backToBaseline(t, baseHeap, baseG)
}

// A stream whose client reads nothing for the stall timeout ends with
// ResourceExhausted; what was sent before is still delivered.
func TestStalledStreamEnds(t *testing.T) {
	s := startWith(t, func(c *server.Config) { c.StreamStallTimeout = 300 * time.Millisecond }).ready(t)
	stream, err := pb.NewBandServiceClient(s.conn).StreamBands(context.Background(), &pb.StreamBandsRequest{AllCohorts: true})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // read nothing
	items := 0
	for {
		msg, err := stream.Recv()
		if err != nil {
			if status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("after %d items: %v", items, err)
			}
			break
		}
		if msg.GetSummary() != nil {
			t.Fatal("a stalled stream ran to its end")
		}
		items++
	}
	if items == 0 {
		t.Error("nothing was delivered before the stall")
	}
}

// A key has at most --max-streams-per-key streams open; its streams end with
// Unauthenticated within a second of its revocation.
func TestStreamsPerKeyAndRevocation(t *testing.T) {
	s := startWith(t, func(c *server.Config) { c.MaxStreamsPerKey = 3 }).ready(t)
	ctx := context.Background()
	admin := pb.NewAdminServiceClient(s.conn)
	root, err := admin.CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}})
	if err != nil {
		t.Fatal(err)
	}
	asRoot := withKey(ctx, root.GetSecret())
	if _, err := admin.CreateOrganization(asRoot, &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	analyst, err := admin.CreateApiKey(asRoot, &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_ANALYST}})
	if err != nil {
		t.Fatal(err)
	}
	asAnalyst := withKey(ctx, analyst.GetSecret())
	bands := pb.NewBandServiceClient(s.conn)
	var streams []grpc.ServerStreamingClient[pb.StreamBandsResponse]
	for i := range 4 {
		st, err := bands.StreamBands(asAnalyst, &pb.StreamBandsRequest{AllCohorts: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Recv()
		if i < 3 && err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if i == 3 {
			if status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("a fourth stream: %v", err)
			}
			break
		}
		streams = append(streams, st)
	}
	revoked := time.Now()
	if _, err := admin.RevokeApiKey(asRoot, &pb.RevokeApiKeyRequest{Name: analyst.GetApiKey().GetName()}); err != nil {
		t.Fatal(err)
	}
	for i, st := range streams {
		for {
			_, err := st.Recv()
			if err == nil {
				continue // what was sent before the revocation
			}
			if status.Code(err) != codes.Unauthenticated {
				t.Errorf("stream %d after the revocation: %v", i, err)
			}
			break
		}
	}
	if took := time.Since(revoked); took > time.Second {
		t.Errorf("the streams ended %v after the revocation", took)
	}
}
