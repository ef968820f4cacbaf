package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/state"
	"github.com/paymix/paymix/store/postgres"
	"github.com/paymix/paymix/store/postgres/pgtest"
)

// sample is one line of the Prometheus text format: a name, its labels and value.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

func scrape(t *testing.T, s *testServer) []sample {
	t.Helper()
	code, body, err := getHTTP("http://"+s.srv.MetricsAddr()+"/metrics", nil)
	if err != nil || code != 200 {
		t.Fatalf("scrape: %d %v", code, err)
	}
	var out []sample
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample: %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		labels := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			labels[p[1]] = p[2]
		}
		out = append(out, sample{m[1], labels, v})
	}
	return out
}

// value is the sum of the samples named name whose labels include want.
func value(samples []sample, name string, want ...string) float64 {
	total := 0.0
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(want); i += 2 {
			if s.labels[want[i]] != want[i+1] {
				continue next
			}
		}
		total += s.value
	}
	return total
}

// The metrics move by exactly what happened: a band, a refused band, an import, two
// refused keys; and no label takes a value outside its fixed set (no key, organisation,
// location or amount).
func TestMetricsCountWhatHappened(t *testing.T) {
	s := startWith(t, func(c *server.Config) { c.MetricsAddr = "127.0.0.1:0" }).ready(t)
	ctx := context.Background()
	bands := pb.NewBandServiceClient(s.conn)
	before := scrape(t, s)

	if _, err := bands.RecommendBand(ctx, &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "San Francisco, CA"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bands.RecommendBand(ctx, &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC99", Location: "San Francisco, CA"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a band at IC99: %v", err)
	}
	res, err := importData(t, s, csvHeader(), paymixCSV("IC3", "", "Austin, TX", 30))
	if err != nil {
		t.Fatal(err)
	}
	accepted := float64(res.GetSummary().GetRowsAccepted())
	after := scrape(t, s)

	moved := func(name string, want float64, labels ...string) {
		t.Helper()
		if got := value(after, name, labels...) - value(before, name, labels...); got != want {
			t.Errorf("%s%v moved by %v, want %v", name, labels, got, want)
		}
	}
	band := []string{"grpc_service", "paymix.v1.BandService", "grpc_method", "RecommendBand"}
	moved("grpc_server_started_total", 2, band...)
	moved("grpc_server_handled_total", 1, append(band, "grpc_code", "OK")...)
	moved("grpc_server_handled_total", 1, append(band, "grpc_code", "InvalidArgument")...)
	moved("grpc_server_handling_seconds_count", 2, band...)
	moved("grpc_server_handled_total", 1, "grpc_method", "ImportBenchmarks", "grpc_code", "OK")
	moved("grpc_server_handled_total", 3) // nothing else was called
	moved("paymix_imports_total", 1, "outcome", "stored", "format", "paymix-csv")
	moved("paymix_imports_total", 1)
	moved("paymix_import_duration_seconds_count", 1, "outcome", "stored")
	moved("paymix_import_rows_total", accepted, "kind", "accepted")
	if accepted != 30 {
		t.Errorf("%v rows accepted, want 30", accepted)
	}
	moved("paymix_auth_failures_total", 0)
	if value(after, "paymix_state_version") <= value(before, "paymix_state_version") {
		t.Errorf("the state version did not move: %v then %v", value(before, "paymix_state_version"), value(after, "paymix_state_version"))
	}
	// The first real dataset replaces the demo: one dataset served, of the rows stored.
	if value(before, "paymix_market_datasets") != 1 || value(after, "paymix_market_datasets") != 1 {
		t.Errorf("datasets served: %v then %v, want 1 then 1", value(before, "paymix_market_datasets"), value(after, "paymix_market_datasets"))
	}
	if got := value(after, "paymix_market_rows"); got != accepted {
		t.Errorf("rows served: %v, want %v", got, accepted)
	}

	// Keys now: one missing, one with a wrong secret.
	admin := pb.NewAdminServiceClient(s.conn)
	k, err := admin.CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}})
	if err != nil {
		t.Fatal(err)
	}
	before = scrape(t, s)
	if _, err := bands.RecommendBand(ctx, &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Austin, TX"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no key: %v", err)
	}
	wrong := k.GetSecret()[:len(k.GetSecret())-4] + "aaaa"
	if _, err := bands.RecommendBand(withKey(ctx, wrong), &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Austin, TX"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a wrong secret: %v", err)
	}
	after = scrape(t, s)
	moved("paymix_auth_failures_total", 1, "reason", "missing")
	moved("paymix_auth_failures_total", 1, "reason", "wrong_secret")
	moved("paymix_auth_failures_total", 2)
	moved("grpc_server_handled_total", 2, append(band, "grpc_code", "Unauthenticated")...)

	// Every label value comes from a fixed set.
	var methods, services []string
	for _, m := range s.srv.Methods() {
		svc, name, _ := strings.Cut(strings.TrimPrefix(m, "/"), "/")
		services, methods = append(services, svc), append(methods, name)
	}
	var codeNames []string
	for c := range codes.Code(17) {
		codeNames = append(codeNames, c.String())
	}
	fixed := map[string][]string{
		"grpc_service": services, "grpc_method": methods, "grpc_code": codeNames,
		"grpc_type": {"unary", "client_stream", "server_stream", "bidi_stream"},
		"reason":    append(slices.Clone(state.FailureReasons), "role"),
		"outcome":   {"stored", "duplicate", "refused", "failed"},
		"format":    {"levels-fyi", "levelsfyi", "paymix-csv", "paymix-jsonl", "unspecified"},
		"store":     {"sqlite", "postgres"},
		"kind":      {"accepted", "rejected", "unavailable", "full", "other"},
	}
	numeric := regexp.MustCompile(`^([-+]?[0-9.e+-]+|\+Inf)$`)
	for _, smp := range after {
		for name, v := range smp.labels {
			switch {
			case name == "le" || name == "quantile":
				if !numeric.MatchString(v) {
					t.Errorf("%s{%s=%q}: not a number", smp.name, name, v)
				}
			case name == "version" && smp.name == "go_info":
			case fixed[name] == nil:
				t.Errorf("%s has label %s, which has no fixed set", smp.name, name)
			case !slices.Contains(fixed[name], v):
				t.Errorf("%s{%s=%q}: not in the fixed set %v", smp.name, name, v, fixed[name])
			}
		}
	}
}

// One trace from the JSON front through the gateway's hop to the gRPC handler, and
// the call's log line carries its trace id.
func TestOneTraceFromJSONToHandler(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())
	log := &syncBuffer{}
	s := startWith(t, func(c *server.Config) {
		c.TracerProvider = tp
		c.Log = slog.New(slog.NewJSONHandler(log, nil))
	}).ready(t)
	spans.Reset()
	code, _, _ := s.post(t, "/v1/bands:recommend", `{"jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA"}`)
	if code != http.StatusOK {
		t.Fatalf("band over JSON: %d", code)
	}
	// The handler's span ends when the call's last frame is written, which may be
	// after the HTTP answer reached the client: wait for it.
	var got tracetest.SpanStubs
	var httpSpan, srv *tracetest.SpanStub
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = spans.GetSpans()
		httpSpan, srv = nil, nil
		for i := range got {
			sp := &got[i]
			switch {
			case sp.SpanKind == trace.SpanKindServer && sp.Name == "POST":
				httpSpan = sp
			case sp.SpanKind == trace.SpanKindServer && sp.Name == "paymix.v1.BandService/RecommendBand":
				srv = sp
			}
		}
		if httpSpan != nil && srv != nil {
			break
		}
	}
	var names []string
	for _, sp := range got {
		names = append(names, sp.SpanKind.String()+" "+sp.Name)
	}
	// The gateway's in-memory hop carries the trace context and makes no span.
	if httpSpan == nil || srv == nil || len(got) != 2 {
		t.Fatalf("spans %v: want the HTTP request's and the handler's", names)
	}
	id := httpSpan.SpanContext.TraceID()
	if srv.SpanContext.TraceID() != id {
		t.Errorf("two traces, not one: %s %s", id, srv.SpanContext.TraceID())
	}
	if srv.Parent.SpanID() != httpSpan.SpanContext.SpanID() {
		t.Error("the spans do not nest: HTTP request > handler")
	}
	found := false
	for _, line := range strings.Split(log.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["grpc.method"] != "RecommendBand" {
			continue
		}
		found = true
		if rec["trace_id"] != id.String() {
			t.Errorf("the call's log line has trace_id %v, want %s", rec["trace_id"], id)
		}
		for _, k := range []string{"request_id", "grpc.code", "grpc.time_ms"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("the call's log line has no %s: %s", k, line)
			}
		}
		for k := range rec {
			if strings.Contains(k, "content") || strings.Contains(k, "request.") || k == "grpc.error" {
				t.Errorf("the call's log line carries %s: %s", k, line)
			}
		}
	}
	if !found {
		t.Errorf("no log line for the call:\n%s", log.String())
	}

	// A caller's W3C trace context is continued: its trace, under its span.
	spans.Reset()
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest(http.MethodPost, s.base+"/v1/bands:recommend", strings.NewReader(`{"jobFamily":"software-engineer","level":"IC3","location":"Seattle, WA"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for deadline := time.Now().Add(5 * time.Second); len(spans.GetSpans()) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	got = spans.GetSpans()
	if len(got) != 2 {
		t.Fatalf("%d spans for a call with a caller's trace", len(got))
	}
	for _, sp := range got {
		if sp.SpanContext.TraceID().String() != callerTrace {
			t.Errorf("%s is in trace %s, not the caller's", sp.Name, sp.SpanContext.TraceID())
		}
		if sp.Name == "POST" && sp.Parent.SpanID().String() != callerSpan {
			t.Errorf("the HTTP span's parent is %s, not the caller's span", sp.Parent.SpanID())
		}
	}
}

// On PostgreSQL the metrics name the engine and carry the replica's catch-up lag (in
// step here: 0); on SQLite there is no lag to report.
func TestMetricsOfASharedStore(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, "", st, func(c *server.Config) {
		c.MetricsAddr, c.StoreEngine, c.Watch = "127.0.0.1:0", "postgres", st.Watch
	}).ready(t)
	got := scrape(t, s)
	lag := -1.0
	for _, smp := range got {
		if smp.name == "paymix_replica_behind_seconds" {
			lag = smp.value
		}
		if smp.name == "paymix_store_errors_total" && smp.labels["store"] != "postgres" {
			t.Errorf("store errors labelled %q", smp.labels["store"])
		}
	}
	if lag != 0 {
		t.Errorf("paymix_replica_behind_seconds = %v, want 0 (present, in step)", lag)
	}
	sq := startWith(t, func(c *server.Config) { c.MetricsAddr = "127.0.0.1:0" }).ready(t)
	for _, smp := range scrape(t, sq) {
		if smp.name == "paymix_replica_behind_seconds" {
			t.Error("a replica lag on SQLite")
		}
	}
}
