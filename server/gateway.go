package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/paymix/paymix/gen/openapi"
	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// httpHandler is the HTTP front: the JSON gateway, which dials the gRPC address so
// every call passes the same interceptors, plus /healthz and /openapi.json.
func (s *Server) httpHandler(grpcAddr string) (http.Handler, error) {
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			// Zeros are shown (a token budget of 0 is an answer); withheld figures,
			// which are optional fields, stay absent.
			MarshalOptions: protojson.MarshalOptions{EmitDefaultValues: true},
			// A misspelt field is an error, not silently ignored.
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
		runtime.WithIncomingHeaderMatcher(headerMatcher),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			return "X-Request-Id", key == requestIDHeader
		}),
	)
	ctx := context.Background()
	if err := pb.RegisterBandServiceHandler(ctx, gw, conn); err != nil {
		return nil, err
	}
	if err := pb.RegisterCatalogServiceHandler(ctx, gw, conn); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", gw)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
	})
	return mux, nil
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
// before that and while draining.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	resp, err := s.health.Check(r.Context(), &healthpb.HealthCheckRequest{})
	st := "UNKNOWN"
	if err == nil {
		st = resp.GetStatus().String()
	}
	body := map[string]any{"status": st}
	if snap := s.market.Load(); snap != nil {
		body["snapshotVersion"] = snap.Version
		body["synthetic"] = snap.Synthetic()
	}
	w.Header().Set("Content-Type", "application/json")
	if !strings.EqualFold(st, "SERVING") {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(body)
}
