package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/store"
	"github.com/paymix/paymix/store/sqlite"
)

// keyFor makes a key in open mode (the first, a platform admin's) or with the given
// maker's key.
func keyFor(t *testing.T, s *testServer, maker, org string, role pb.Role) string {
	t.Helper()
	ctx := context.Background()
	if maker != "" {
		ctx = withKey(ctx, maker)
	}
	r, err := pb.NewAdminServiceClient(s.conn).CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/" + org,
		ApiKey: &pb.ApiKey{DisplayName: role.String(), Role: role}})
	if err != nil {
		t.Fatalf("key %s %s: %v", org, role, err)
	}
	return r.GetSecret()
}

// Every read a band, batch, stream, offer, comparison or statistic needs is in the
// published state: 1,000 calls of each reach the store zero times, with an hris key
// whose organisation's stored default policy ages at a rate of its own.
func TestReadsMakeNoStoreCalls(t *testing.T) {
	var calls atomic.Int64
	s := start(t, func(st store.Store) store.Store { return countingStore{inner: st, calls: &calls} }).ready(t)
	ctx := context.Background()
	root := keyFor(t, s, "", server.PlatformOrg, pb.Role_ROLE_PLATFORM_ADMIN)
	if _, err := pb.NewAdminServiceClient(s.conn).CreateOrganization(withKey(ctx, root),
		&pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	admin := keyFor(t, s, root, "acme", pb.Role_ROLE_ADMIN)
	policies := pb.NewPolicyServiceClient(s.conn)
	def, err := policies.GetPolicy(withKey(ctx, admin), &pb.GetPolicyRequest{Name: "organizations/acme/policies/default"})
	if err != nil {
		t.Fatal(err)
	}
	p := def.GetPolicy()
	p.AgingRatePercent = proto.Float64(5)
	p.TokenPolicy = &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_PERCENT_OF_BASE, PercentOfBase: proto.Float64(50), CapUsd: proto.Float64(250000)}
	if _, err := policies.UpdatePolicy(withKey(ctx, admin), &pb.UpdatePolicyRequest{Policy: p,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"aging_rate_percent", "token_policy"}}}); err != nil {
		t.Fatal(err)
	}
	hris := withKey(ctx, keyFor(t, s, admin, "acme", pb.Role_ROLE_HRIS))
	analyst := withKey(ctx, keyFor(t, s, admin, "acme", pb.Role_ROLE_ANALYST))
	platform := withKey(ctx, root)

	bands := pb.NewBandServiceClient(s.conn)
	offers := pb.NewOfferServiceClient(s.conn)
	marketClient := pb.NewMarketServiceClient(s.conn)
	req := &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA"}
	// The stored policy is the one bands follow.
	first, err := bands.RecommendBand(hris, req)
	if err != nil {
		t.Fatal(err)
	}
	if prov := first.GetBand().GetProvenance(); prov.GetPolicy() != "organizations/acme/policies/default" || prov.GetAgingRatePercent() != 5 ||
		prov.GetPolicyRevision() != 2 || prov.GetStateVersion() == 0 {
		t.Fatalf("provenance %v", prov)
	}
	offer := &pb.Offer{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", Base: 200000,
		Tokens: &pb.OfferTokens{UsdPerYear: proto.Float64(50000)}}
	other := proto.Clone(offer).(*pb.Offer)
	other.Base, other.Tokens = 240000, nil

	calls.Store(0)
	const n = 1000
	for range n {
		if _, err := bands.RecommendBand(hris, req); err != nil {
			t.Fatal(err)
		}
		if _, err := bands.BatchRecommendBands(analyst, &pb.BatchRecommendBandsRequest{Requests: []*pb.RecommendBandRequest{req, req}}); err != nil {
			t.Fatal(err)
		}
		stream, err := bands.StreamBands(analyst, &pb.StreamBandsRequest{JobFamilies: []string{"software-engineer"},
			Levels: []string{"IC2", "IC3"}, Locations: []string{"Seattle, WA"}})
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := stream.Recv(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := offers.EvaluateOffer(hris, &pb.EvaluateOfferRequest{Offer: offer}); err != nil {
			t.Fatal(err)
		}
		if _, err := offers.CompareOffers(hris, &pb.CompareOffersRequest{Offers: []*pb.Offer{offer, other}}); err != nil {
			t.Fatal(err)
		}
		if _, err := marketClient.GetMarketStats(analyst, &pb.GetMarketStatsRequest{JobFamily: "software-engineer", Level: "IC3",
			Location: "Seattle, WA"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != 0 {
		t.Errorf("%d calls each of six read methods made %d store calls, want 0", n, got)
	}
	// A change is a store call, and the next read sees it.
	if _, err := pb.NewDatasetServiceClient(s.conn).ActivateDataset(platform, &pb.ActivateDatasetRequest{Name: "datasets/demo-synthetic",
		Weight: proto.Float64(2)}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() == 0 {
		t.Error("an activation made no store call")
	}
}

// failingStore fails the next n tenancy loads: a rebuild after a committed change.
type failingStore struct {
	store.Store
	fail *atomic.Int32
}

func (f failingStore) LoadTenancy(ctx context.Context) (store.TenancyData, error) {
	if f.fail.Add(-1) >= 0 {
		return store.TenancyData{}, errors.New("injected: the state cannot be read")
	}
	return f.Store.LoadTenancy(ctx)
}

// A change that commits but whose rebuild fails succeeds for the caller, /healthz says
// the state is stale, and the retry serves the change.
func TestFailedRebuildIsRetried(t *testing.T) {
	var fail atomic.Int32
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Store: failingStore{Store: st, fail: &fail},
		Now: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-srv.Loaded()
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := &testServer{srv: srv, conn: conn, base: "http://" + srv.HTTPAddr()}

	fail.Store(1)
	r, err := pb.NewAdminServiceClient(conn).CreateOrganization(context.Background(), &pb.CreateOrganizationRequest{OrganizationId: "acme"})
	if err != nil || r.GetOrganization().GetName() != "organizations/acme" {
		t.Fatalf("the committed change failed for its caller: %v %v", r, err)
	}
	_, body := s.get(t, "/healthz")
	var h struct{ State string }
	if err := json.Unmarshal(body, &h); err != nil || !strings.HasPrefix(h.State, "stale: ") || !strings.Contains(h.State, "injected") {
		t.Errorf("/healthz while stale: %s", body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := pb.NewAdminServiceClient(conn).GetOrganization(context.Background(), &pb.GetOrganizationRequest{Name: "organizations/acme"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the change is not served after the retry: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, body = s.get(t, "/healthz")
	if err := json.Unmarshal(body, &h); err != nil || h.State != "fresh" {
		t.Errorf("/healthz after the retry: %s", body)
	}
}

// A database written by the first release holds policies as the wire's protojson
// (version-less documents); they read back unchanged. A document of a version this
// release does not know refuses the start, naming the policy.
func TestFirstReleasePoliciesReadBack(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	content := &pb.Policy{
		TargetPercentile: proto.Float64(60), RangeSpreadPercentByLevel: map[string]float64{"IC3": 45}, MinSampleSize: proto.Int32(20),
		AgingRatePercent: proto.Float64(4), RoundingUsd: proto.Float64(1000),
		TokenPolicy: &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_PERCENT_OF_BASE, PercentOfBase: proto.Float64(50), CapUsd: proto.Float64(250000),
			Funding: pb.Funding_FUNDING_CARVE_OUT_EQUITY, FixedUsdByLevel: map[string]float64{"IC4": 1000},
			UsageMix: &pb.UsageMix{InputPercent: 30, CachedInputPercent: 60, OutputPercent: 10},
			Prices: []*pb.ModelPrice{{Model: "in-house", Vendor: "Acme", InputUsdPerMillion: 1, CachedInputUsdPerMillion: 0.1,
				OutputUsdPerMillion: 5, EffectiveDate: "2026-01-01", Source: "contract"}}},
	}
	legacy, err := protojsonMarshal(content) // what the first release stored
	if err != nil {
		t.Fatal(err)
	}
	now := clock().UTC()
	if err := st.CreateOrganization(ctx, store.Organization{ID: "acme", DisplayName: "Acme", CreateTime: now},
		[]store.Policy{{ID: "default", DisplayName: "Default policy", Spec: "{}", CreateTime: now}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreatePolicy(ctx, store.Policy{Org: "acme", ID: "legacy", DisplayName: "Legacy", Preset: "tokens-half-of-base", Spec: legacy, CreateTime: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	s := startOn(t, dir)
	got, err := pb.NewPolicyServiceClient(s.conn).GetPolicy(ctx, &pb.GetPolicyRequest{Name: "organizations/acme/policies/legacy"})
	if err != nil {
		t.Fatal(err)
	}
	p := got.GetPolicy()
	if p.GetDisplayName() != "Legacy" || p.GetPreset() != "tokens-half-of-base" || p.GetRevision() != 1 {
		t.Errorf("metadata %v", p)
	}
	p.Name, p.DisplayName, p.Revision, p.Etag, p.Preset = "", "", 0, "", ""
	if !proto.Equal(p, content) {
		t.Errorf("read back\n%v\nwant\n%v", p, content)
	}
	def, err := pb.NewPolicyServiceClient(s.conn).GetPolicy(ctx, &pb.GetPolicyRequest{Name: "organizations/acme/policies/default"})
	if err != nil || !proto.Equal(def.GetPolicy(), &pb.Policy{Name: "organizations/acme/policies/default", DisplayName: "Default policy",
		Revision: 1, Etag: def.GetPolicy().GetEtag()}) {
		t.Errorf("default policy %v %v", def, err)
	}
	s.stop(t)

	st, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreatePolicy(ctx, store.Policy{Org: "acme", ID: "future", Spec: `{"version":9,"targetPercentile":50}`, CreateTime: now}); err != nil {
		t.Fatal(err)
	}
	_, err = server.New(server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Store: st, Now: clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	st.Close()
	if err == nil || !strings.Contains(err.Error(), "organizations/acme/policies/future") || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("an unknown document version: %v", err)
	}
}

func protojsonMarshal(m proto.Message) (string, error) {
	b, err := protojson.Marshal(m)
	return string(b), err
}
