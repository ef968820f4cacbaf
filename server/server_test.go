package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/store"
	"github.com/paymix/paymix/store/postgres"
	"github.com/paymix/paymix/store/postgres/pgtest"
	"github.com/paymix/paymix/store/sqlite"
)

var today = time.Date(2026, 11, 26, 15, 4, 5, 0, time.UTC)

// logSink receives the test servers' logs; a test may swap in a buffer.
var logSink io.Writer = io.Discard

// skew moves the test servers' clock forward (to expire keys).
var skew atomic.Int64

func clock() time.Time { return today.Add(time.Duration(skew.Load())) }

// testServer runs a server on loopback ports picked by the kernel, with the demo
// data, and returns a gRPC connection and the HTTP base URL.
type testServer struct {
	dir     string // the data directory
	srv     *server.Server
	conn    *grpc.ClientConn
	base    string
	stopped chan struct{}
	cancel  context.CancelFunc
}

// start runs a server on a fresh SQLite store in a temporary directory; wrap, when
// given, wraps the store (to block or fail it).
func start(t testing.TB, wrap func(store.Store) store.Store) *testServer {
	t.Helper()
	return startIn(t, t.TempDir(), wrap)
}

// startOn runs a server on the database of an existing data directory.
func startOn(t testing.TB, dir string) *testServer {
	t.Helper()
	return startIn(t, dir, nil).ready(t)
}

func startIn(t testing.TB, dir string, wrap func(store.Store) store.Store) *testServer {
	t.Helper()
	var st store.Store
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		st = wrap(st)
	}
	return serve(t, dir, st)
}

// startPostgres runs a server on a fresh PostgreSQL database (see pgtest).
func startPostgres(t testing.TB) *testServer {
	t.Helper()
	st, err := postgres.Open(context.Background(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, "", st)
}

// startWith runs a server on a fresh SQLite store with its configuration adjusted.
func startWith(t testing.TB, adjust func(*server.Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, dir, st, adjust)
}

// serve runs a server on a store, which it closes when the server stops.
func serve(t testing.TB, dir string, st store.Store, adjust ...func(*server.Config)) *testServer {
	t.Helper()
	cfg := server.Config{
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Store: st,
		Now: clock,
		Log: slog.New(slog.NewTextHandler(logSink, nil)),
	}
	for _, f := range adjust {
		f(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{dir: dir, srv: srv, base: "http://" + srv.HTTPAddr(), stopped: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.stopped)
		if err := srv.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
		st.Close()
	}()
	t.Cleanup(func() { s.stop(t) })
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s.conn = conn
	return s
}

// stop shuts the server down and closes its store (once; cleanup calls it too).
func (s *testServer) stop(t testing.TB) {
	s.cancel()
	<-s.stopped
}

func (s *testServer) ready(t testing.TB) *testServer {
	t.Helper()
	<-s.srv.Loaded()
	return s
}

func (s *testServer) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func (s *testServer) post(t *testing.T, path, body string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Post(s.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

func TestHealthReflectionAndOpenAPI(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	for _, svc := range []string{"", "paymix.v1.BandService"} {
		resp, err := healthpb.NewHealthClient(s.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q: %v %v", svc, resp, err)
		}
	}
	code, body := s.get(t, "/healthz")
	if code != 200 || !strings.Contains(string(body), `"status":"SERVING"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}

	stream, err := reflectionpb.NewServerReflectionClient(s.conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	for _, want := range []string{"paymix.v1.BandService", "paymix.v1.CatalogService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}

	code, body = s.get(t, "/openapi.json")
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if code != 200 || json.Unmarshal(body, &doc) != nil {
		t.Fatalf("/openapi.json: %d", code)
	}
	if op := doc.Paths["/v1/bands:recommend"]; op["post"] == nil || op["get"] == nil {
		t.Errorf("OpenAPI lacks POST and GET /v1/bands:recommend: %v", doc.Paths)
	}
}

// blockingStore holds the server's market load until released.
type blockingStore struct {
	store.Store
	release chan struct{}
}

func (b blockingStore) LevelMaps(ctx context.Context) ([]normalize.LevelEntry, error) {
	<-b.release
	return b.Store.LevelMaps(ctx)
}

func TestNotServingUntilLoaded(t *testing.T) {
	release := make(chan struct{})
	s := start(t, func(st store.Store) store.Store { return blockingStore{Store: st, release: release} })
	ctx := context.Background()
	resp, err := healthpb.NewHealthClient(s.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("before load: %v %v", resp, err)
	}
	if code, _ := s.get(t, "/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz before load: %d", code)
	}
	_, err = pb.NewBandServiceClient(s.conn).RecommendBand(ctx, &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle"})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("band before load: %v", err)
	}
	close(release)
	s.ready(t)
	resp, err = healthpb.NewHealthClient(s.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("after load: %v %v", resp, err)
	}
}

// The acceptance band: a senior (IC3) software engineer in San Francisco, over JSON,
// read by the JSON names of the contract.
func TestRecommendBandOverJSON(t *testing.T) {
	s := start(t, nil).ready(t)
	code, body, hdr := s.post(t, "/v1/bands:recommend", `{"jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA"}`)
	if code != 200 {
		t.Fatalf("HTTP %d: %s", code, body)
	}
	if hdr.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id in the response")
	}
	var r struct {
		Band struct {
			Currency   string
			Components []struct {
				Component               string
				Min, Mid, Max           float64
				P10, P25, P50, P75, P90 *float64
				Count                   int
			}
			Total  struct{ Min, Mid, Max float64 }
			Tokens struct {
				UsdPerYear, UsdPerMonth float64
				Models                  []struct {
					Model, Family                 string
					TokensPerYear, TokensPerMonth float64
				}
			}
			Provenance struct {
				Synthetic                  bool
				Count                      int
				SnapshotVersion            string
				Datasets                   []struct{ Name string }
				DataStartDate, DataEndDate string
				EffectiveDate              string
				Fallback                   struct{ UsedScope string }
			}
			Warnings []struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	b := r.Band
	if b.Currency != "USD" || len(b.Components) != 4 {
		t.Fatalf("band %s", body)
	}
	var sumMin, sumMid, sumMax float64
	for i, want := range []string{"COMPONENT_BASE", "COMPONENT_EQUITY", "COMPONENT_BONUS", "COMPONENT_TOKENS"} {
		c := b.Components[i]
		if c.Component != want || c.Min > c.Mid || c.Mid > c.Max || c.Count < 10 || c.P10 == nil || c.P50 == nil || c.P90 == nil {
			t.Errorf("component %d: %+v", i, c)
		}
		sumMin, sumMid, sumMax = sumMin+c.Min, sumMid+c.Mid, sumMax+c.Max
	}
	if sumMin != b.Total.Min || sumMid != b.Total.Mid || sumMax != b.Total.Max {
		t.Errorf("components sum to %v/%v/%v, total %+v", sumMin, sumMid, sumMax, b.Total)
	}
	if b.Tokens.UsdPerYear <= 0 || b.Tokens.UsdPerYear != b.Components[3].Mid || b.Tokens.UsdPerMonth == 0 {
		t.Errorf("tokens %+v", b.Tokens)
	}
	families := map[string]bool{}
	for _, m := range b.Tokens.Models {
		if m.TokensPerYear > 0 && m.TokensPerMonth > 0 {
			families[m.Family] = true
		}
	}
	if !families["claude"] || !families["gpt"] || !families["gemini"] {
		t.Errorf("token counts for %v", families)
	}
	p := b.Provenance
	if !p.Synthetic || p.Count < 100 || p.SnapshotVersion == "" || len(p.Datasets) != 1 || p.Datasets[0].Name != "datasets/"+demo.Name ||
		p.DataStartDate != "2023-11-01" || !strings.HasPrefix(p.DataEndDate, "2026-10") || p.EffectiveDate != "2026-11-26" ||
		p.Fallback.UsedScope != "GEO_SCOPE_METRO" {
		t.Errorf("provenance %+v", p)
	}
	if !slices.ContainsFunc(b.Warnings, func(w struct{ Code, Message string }) bool { return w.Code == "SYNTHETIC_DATA" }) {
		t.Errorf("warnings %+v", b.Warnings)
	}
}

// POST, GET with query parameters and gRPC give the same band.
func TestBindingsAgree(t *testing.T) {
	s := start(t, nil).ready(t)
	grpcResp, err := pb.NewBandServiceClient(s.conn).RecommendBand(context.Background(), &pb.RecommendBandRequest{
		JobFamily: "data-scientist", Level: "IC2", Location: "London, United Kingdom", TargetPercentile: proto.Float64(60),
		TokenPolicy: &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_PERCENT_OF_BASE, PercentOfBase: proto.Float64(50), CapUsd: proto.Float64(250000)},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{
		"jobFamily": {"data-scientist"}, "level": {"IC2"}, "location": {"London, United Kingdom"}, "targetPercentile": {"60"},
		"tokenPolicy.mode": {"TOKEN_MODE_PERCENT_OF_BASE"}, "tokenPolicy.percentOfBase": {"50"}, "tokenPolicy.capUsd": {"250000"},
	}
	_, getBody := s.get(t, "/v1/bands:recommend?"+q.Encode())
	_, postBody, _ := s.post(t, "/v1/bands:recommend", `{"jobFamily":"data-scientist","level":"IC2","location":"London, United Kingdom",
		"targetPercentile":60,"tokenPolicy":{"mode":"TOKEN_MODE_PERCENT_OF_BASE","percentOfBase":50,"capUsd":250000}}`)
	for name, body := range map[string][]byte{"GET": getBody, "POST": postBody} {
		var got pb.RecommendBandResponse
		if err := protojson.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v: %s", name, err, body)
		}
		if !proto.Equal(&got, grpcResp) {
			t.Errorf("%s band differs from gRPC:\n%s\n%s", name, body, protojson.Format(grpcResp))
		}
	}
	base, tok := grpcResp.GetBand().GetComponents()[0], grpcResp.GetBand().GetComponents()[3]
	if math.Abs(tok.GetMid()-base.GetMid()/2) > 0.5 || tok.GetMid() >= 250000 {
		t.Errorf("tokens %v are not 50%% of base %v", tok.GetMid(), base.GetMid())
	}
}

// Each bad request gets InvalidArgument over gRPC and 400 over JSON, naming the field.
func TestInvalidRequests(t *testing.T) {
	s := start(t, nil).ready(t)
	const ok = `"jobFamily":"software-engineer","level":"IC3","location":"Seattle"`
	cases := []struct {
		name, json string
		field      string
	}{
		{"target percentile 0", `{` + ok + `,"targetPercentile":0}`, "target_percentile"},
		{"target percentile 100", `{` + ok + `,"targetPercentile":100}`, "target_percentile"},
		{"target percentile -5", `{` + ok + `,"targetPercentile":-5}`, "target_percentile"},
		{"unknown level", `{"jobFamily":"software-engineer","level":"L5","location":"Seattle"}`, "level"},
		{"unknown family", `{"jobFamily":"astronaut","level":"IC3","location":"Seattle"}`, "job_family"},
		{"unknown location", `{"jobFamily":"software-engineer","level":"IC3","location":"Atlantis"}`, "location"},
		{"missing location", `{"jobFamily":"software-engineer","level":"IC3"}`, "location"},
		{"bad date", `{` + ok + `,"effectiveDate":"2026-02-30"}`, "effective_date"},
		{"percent of base above 100", `{` + ok + `,"tokenPolicy":{"mode":"TOKEN_MODE_PERCENT_OF_BASE","percentOfBase":150}}`, "token_policy.percent_of_base"},
		{"negative cap", `{` + ok + `,"tokenPolicy":{"capUsd":-1}}`, "token_policy.cap_usd"},
		{"usage mix not 100", `{` + ok + `,"tokenPolicy":{"usageMix":{"inputPercent":50,"outputPercent":10}}}`, "token_policy.usage_mix"},
		{"fixed without amount", `{` + ok + `,"tokenPolicy":{"mode":"TOKEN_MODE_FIXED"}}`, "token_policy.fixed_usd"},
		{"min sample below 5", `{` + ok + `,"policy":{"minSampleSize":3}}`, "policy.min_sample_size"},
	}
	client := pb.NewBandServiceClient(s.conn)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var req pb.RecommendBandRequest
			if err := protojson.Unmarshal([]byte(c.json), &req); err != nil {
				t.Fatal(err)
			}
			_, err := client.RecommendBand(context.Background(), &req)
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), c.field) {
				t.Errorf("gRPC: %v", err)
			}
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				}
			}
			if !slices.Contains(fields, c.field) {
				t.Errorf("BadRequest fields %v, want %s", fields, c.field)
			}
			code, body, _ := s.post(t, "/v1/bands:recommend", c.json)
			var e struct {
				Code    int
				Message string
			}
			if code != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Code != int(codes.InvalidArgument) || !strings.Contains(e.Message, c.field) {
				t.Errorf("HTTP %d %s", code, body)
			}
		})
	}
	// Unknown levels list what is accepted.
	_, err := client.RecommendBand(context.Background(), &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "E5", Location: "Seattle"})
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "IC1, IC2, IC3, IC4, IC5, IC6, IC7, M1, M2, M3, M4, M5") {
		t.Errorf("unknown level message does not list the ladder: %s", msg)
	}
	// A misspelt query parameter is refused too.
	if code, body := s.get(t, "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location=Seattle&targetPercentil=75"); code != http.StatusBadRequest || !strings.Contains(string(body), "targetPercentil") {
		t.Errorf("misspelt query parameter: HTTP %d %s", code, body)
	}
	// A misspelt JSON field is refused, not ignored.
	if code, body, _ := s.post(t, "/v1/bands:recommend", `{"jobFamly":"software-engineer"}`); code != http.StatusBadRequest {
		t.Errorf("misspelt field: HTTP %d %s", code, body)
	}
}

func TestThinCohortIsRefusedNotFilledAcrossCountries(t *testing.T) {
	s := start(t, nil).ready(t)
	_, err := pb.NewBandServiceClient(s.conn).RecommendBand(context.Background(), &pb.RecommendBandRequest{
		JobFamily: "software-engineer", Level: "IC6", Location: "Dublin, Ireland"})
	st := status.Convert(err)
	if st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "Ireland") {
		t.Fatalf("want FailedPrecondition for a thin Irish cohort, got %v", err)
	}
	if code, _, _ := s.post(t, "/v1/bands:recommend", `{"jobFamily":"software-engineer","level":"IC6","location":"Dublin, Ireland"}`); code != http.StatusBadRequest {
		t.Errorf("HTTP %d", code)
	}
}

func TestCatalog(t *testing.T) {
	s := start(t, nil).ready(t)
	code, body := s.get(t, "/v1/catalog")
	var c pb.GetCatalogResponse
	if code != 200 || protojson.Unmarshal(body, &c) != nil {
		t.Fatalf("HTTP %d %s", code, body)
	}
	if len(c.GetLevels()) != 12 || len(c.GetJobFamilies()) != 15 || len(c.GetPrices()) < 9 || c.GetDefaultUsageMix().GetCachedInputPercent() != 75 {
		t.Errorf("catalog: %d levels, %d families, %d prices", len(c.GetLevels()), len(c.GetJobFamilies()), len(c.GetPrices()))
	}
}
