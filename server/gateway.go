package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/paymix/paymix/gen/openapi"
	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// gatewayConns is how many in-memory connections the JSON gateway spreads its calls
// over (each with two memBuffer pipes).
const gatewayConns = 4

// httpHandler is the HTTP front: the JSON gateway, a client of the same gRPC server
// over the in-memory listener (no loopback TCP hop, and every interceptor and
// streaming still apply), plus /healthz and /openapi.json.
func (s *Server) httpHandler() (http.Handler, error) {
	// Several in-memory connections, balanced round robin: each carries at most
	// --max-streams-per-connection calls at once, like any other connection, and the
	// HTTP front serves many callers.
	r := manual.NewBuilderWithScheme("paymix-gateway")
	addrs := make([]resolver.Address, gatewayConns)
	for i := range addrs {
		addrs[i] = resolver.Address{Addr: fmt.Sprintf("memory-%d", i)}
	}
	r.InitialState(resolver.State{Addresses: addrs})
	conn, err := grpc.NewClient(r.Scheme()+":///gateway", append(gatewayStats(s.cfg.TracerProvider), grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"round_robin":{}}]}`),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.memLis.DialContext(ctx) }),
		// Fixed windows: with grpc-go's window estimation the gateway would buffer
		// megabytes of a stream whose HTTP client has stopped reading.
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(1<<20),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		return nil, err
	}
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, fastJSON{&runtime.JSONPb{
			// Zeros are shown (a token budget of 0 is an answer); withheld figures,
			// which are optional fields, stay absent.
			MarshalOptions: protojson.MarshalOptions{EmitDefaultValues: true},
			// A misspelt field is an error, not silently ignored.
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.SetQueryParameterParser(strictQueryParser{}),
		runtime.WithIncomingHeaderMatcher(headerMatcher),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			return "X-Request-Id", key == requestIDHeader
		}),
	)
	ctx := context.Background()
	if err := pb.RegisterBandServiceHandler(ctx, gw, conn); err != nil {
		return nil, err
	}
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		pb.RegisterCatalogServiceHandler, pb.RegisterDatasetServiceHandler, pb.RegisterMarketServiceHandler,
		pb.RegisterPolicyServiceHandler, pb.RegisterAdminServiceHandler, pb.RegisterOfferServiceHandler, pb.RegisterPriceBookServiceHandler,
	} {
		if err := register(ctx, gw, conn); err != nil {
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/", s.openModeGuard(s.httpGuard(gw)))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
	})
	return mux, nil
}

// openModeGuard protects open development mode, where calls need no key, from web
// pages: a browser may send a cross-site request to a loopback port, or reach it under
// another host name (DNS rebinding). Until keys are required, only requests addressed
// to a loopback host and not sent from another origin pass.
func (s *Server) openModeGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pub := s.app.Current(); !pub.KeysRequired && (!loopbackHost(r.Host) || (r.Header.Get("Origin") != "" && !loopbackOrigin(r.Header.Get("Origin")))) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 7,
				"message": "open development mode serves loopback clients only; create an API key to serve others"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && loopbackHost(u.Host)
}

// strictQueryParser refuses query parameters that name no field of the request, as
// unknown JSON fields are refused: "targetPercentil=75" must not quietly give p50.
type strictQueryParser struct{ runtime.DefaultQueryParser }

func (p strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	for key := range values {
		if !hasField(msg.ProtoReflect().Descriptor(), key) {
			return fmt.Errorf("unknown query parameter %q", key)
		}
	}
	return p.DefaultQueryParser.Parse(msg, values, filter)
}

// hasField reports whether a dotted path (by proto or JSON names, with an optional
// map key "field[key]") names a field of a message.
func hasField(md protoreflect.MessageDescriptor, path string) bool {
	if i := strings.IndexByte(path, '['); i >= 0 && strings.HasSuffix(path, "]") {
		path = path[:i]
	}
	parts := strings.Split(path, ".")
	for i, name := range parts {
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return false
		}
		if i < len(parts)-1 {
			if md = fd.Message(); md == nil {
				return false
			}
		}
	}
	return true
}

// headerMatcher forwards the request id and, besides the gateway's defaults, nothing
// else a browser might send.
func headerMatcher(key string) (string, bool) {
	if textproto.CanonicalMIMEHeaderKey(key) == "X-Request-Id" {
		return requestIDHeader, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// healthz answers 200 with {"status":"SERVING"} once market data is loaded, and 503
// before that and while draining. "state" says "fresh", or "stale: <reason>" while a
// committed change waits for its rebuild; stateVersion counts committed changes.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	resp, err := s.health.Check(r.Context(), &healthpb.HealthCheckRequest{})
	st := "UNKNOWN"
	if err == nil {
		st = resp.GetStatus().String()
	}
	body := map[string]any{"status": st, "state": "fresh", "store": "ok"}
	if reason := s.app.Stale(); reason != "" {
		body["state"] = reason
	}
	if reason := s.app.StoreDown(); reason != "" {
		body["store"] = "unavailable: " + reason
	} else if reason := s.app.ReadOnly(); reason != "" {
		body["store"] = "read-only: " + reason
	}
	pub := s.app.Current()
	if !pub.KeysRequired {
		body["auth"] = "open development mode: calls need no API key (loopback only; create a key to require keys)"
	}
	if len(pub.Quarantined) > 0 {
		q := map[string]any{}
		for id, x := range pub.Quarantined {
			q["datasets/"+id] = x.Reason + ": " + x.Detail
		}
		body["quarantined"] = q
	}
	body["stateVersion"] = pub.Version
	body["stateAgeSeconds"] = math.Round(time.Since(pub.Built).Seconds()*10) / 10
	if snap := pub.Market; snap != nil {
		body["snapshotVersion"] = snap.Version
		body["synthetic"] = snap.Synthetic()
	}
	w.Header().Set("Content-Type", "application/json")
	if !strings.EqualFold(st, "SERVING") {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(body)
}
