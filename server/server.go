// Package server is paymix's transport: the gRPC server with its interceptors,
// health and reflection, and the grpc-gateway JSON front that dials the gRPC port so
// that every interceptor covers JSON callers too. Handlers are thin: proto in,
// planner call, proto out.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"buf.build/go/protovalidate"
	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/store"
)

// Config is everything the server needs, read from flags and environment by cmd/paymixd.
type Config struct {
	GRPCAddr string // default 127.0.0.1:50051; port 0 picks a free port
	HTTPAddr string // default 127.0.0.1:8080
	// ShutdownTimeout bounds how long in-flight calls may take to finish on shutdown.
	ShutdownTimeout time.Duration
	// Store keeps datasets and maps; the server answers NOT_SERVING until it has
	// loaded the market from it. The server does not close it.
	Store store.Store
	// RequireAuth requires an API key on every call even before the first key exists
	// (with no key at all, only public methods answer).
	RequireAuth bool
	// Now is the clock behind default effective dates (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
}

// Server is a running paymix server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	market  market.Current
	data    *marketData
	auth    *auth
	health  *health.Server
	grpc    *grpc.Server
	http    *http.Server
	grpcLis net.Listener
	httpLis net.Listener
	loaded  chan struct{}
}

// maxHTTPBody bounds a JSON request body (imports stream over gRPC, not HTTP).
const maxHTTPBody = 1 << 20

// services are the names the health service reports on, besides "" (the whole server).
var services = []string{pb.BandService_ServiceDesc.ServiceName, pb.CatalogService_ServiceDesc.ServiceName,
	pb.DatasetService_ServiceDesc.ServiceName, pb.MarketService_ServiceDesc.ServiceName,
	pb.PolicyService_ServiceDesc.ServiceName, pb.AdminService_ServiceDesc.ServiceName, pb.OfferService_ServiceDesc.ServiceName}

// ensurePlatformOrg creates the platform's own organisation on the first start.
func ensurePlatformOrg(ctx context.Context, st store.Store, now time.Time) error {
	err := st.CreateOrganization(ctx, store.Organization{ID: PlatformOrg, DisplayName: "Platform administrators", CreateTime: now.UTC()},
		newOrgPolicies(now.UTC()))
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// New listens on the configured addresses and wires the server; Run serves.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Log, health: health.NewServer(), loaded: make(chan struct{})}
	s.data = &marketData{store: cfg.Store, current: &s.market, now: cfg.Now, log: cfg.Log}
	s.setServing(healthpb.HealthCheckResponse_NOT_SERVING)

	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	ctx := context.Background()
	s.auth = &auth{store: cfg.Store, now: cfg.Now}
	open, err := s.auth.decide(ctx, cfg.RequireAuth, cfg.GRPCAddr, cfg.HTTPAddr)
	if err != nil {
		return nil, err
	}
	if open {
		s.log.Warn("open development mode: no API key exists and every listener is on loopback, so calls need no key; " +
			"create a key (paymix keys create) to require keys from then on")
	}
	if err := ensurePlatformOrg(ctx, cfg.Store, cfg.Now()); err != nil {
		return nil, err
	}
	s.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(unaryChain(s.log, validator, s.auth)...),
		grpc.ChainStreamInterceptor(streamChain(s.log, validator, s.auth)...),
	)
	pb.RegisterBandServiceServer(s.grpc, &bandService{market: &s.market, store: cfg.Store, now: cfg.Now, validator: validator, log: s.log})
	pb.RegisterPolicyServiceServer(s.grpc, &policyService{store: cfg.Store, now: cfg.Now})
	pb.RegisterOfferServiceServer(s.grpc, &offerService{market: &s.market, store: cfg.Store, now: cfg.Now})
	pb.RegisterAdminServiceServer(s.grpc, &adminService{store: cfg.Store, auth: s.auth, now: cfg.Now})
	pb.RegisterCatalogServiceServer(s.grpc, newCatalogService())
	pb.RegisterDatasetServiceServer(s.grpc, &datasetService{data: s.data})
	pb.RegisterMarketServiceServer(s.grpc, &marketService{data: s.data, now: cfg.Now, log: cfg.Log,
		slots: semaphore.NewWeighted(maxConcurrentImports)})
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)

	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("gRPC listener on %s: %w", cfg.GRPCAddr, err)
	}
	if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		s.grpcLis.Close()
		return nil, fmt.Errorf("HTTP listener on %s: %w", cfg.HTTPAddr, err)
	}
	handler, err := s.httpHandler(s.grpcLis.Addr().String())
	if err != nil {
		s.grpcLis.Close()
		s.httpLis.Close()
		return nil, err
	}
	// JSON requests are small; a bigger body is refused before it is read.
	s.http = &http.Server{Handler: http.MaxBytesHandler(handler, maxHTTPBody), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// GRPCAddr and HTTPAddr are the addresses actually bound (useful with port 0).
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// Loaded is closed once the first snapshot load has finished, well or not.
func (s *Server) Loaded() <-chan struct{} { return s.loaded }

func (s *Server) setServing(st healthpb.HealthCheckResponse_ServingStatus) {
	s.health.SetServingStatus("", st)
	for _, name := range services {
		s.health.SetServingStatus(name, st)
	}
}

// Run serves until ctx ends, then shuts down in order: health to NOT_SERVING so that
// balancers stop sending, the HTTP front (its calls need gRPC to finish), then gRPC
// gracefully; calls still running after ShutdownTimeout are cut. A failed first load
// ends Run with its error.
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("listening", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr())
	errc := make(chan error, 3)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() {
		if err := s.http.Serve(s.httpLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	go func() {
		defer close(s.loaded)
		if err := s.data.open(ctx); err != nil {
			errc <- fmt.Errorf("loading market data: %w", err)
			return
		}
		s.setServing(healthpb.HealthCheckResponse_SERVING)
	}()

	var err error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "reason", context.Cause(ctx))
	case err = <-errc:
		s.log.Error("server failed", "err", err)
	}
	s.stop()
	return err
}

func (s *Server) stop() {
	s.health.Shutdown() // every service NOT_SERVING, for good
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		s.log.Warn("HTTP shutdown cut short", "err", err)
		s.http.Close()
	}
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("gRPC graceful stop timed out; closing remaining calls")
		s.grpc.Stop()
	}
	s.log.Info("stopped")
}
