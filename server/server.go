// Package server is paymix's transport: the gRPC server with its interceptors,
// health and reflection, and the grpc-gateway JSON front, which reaches the same
// gRPC server over an in-memory listener so that every interceptor covers JSON
// callers too. Handlers are thin: proto in, domain call (the planner, or the state
// application), proto out; one translator turns errors into status codes.
package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/state"
	"github.com/paymix/paymix/store"
)

// Config is everything the server needs, read from flags and environment by cmd/paymixd.
type Config struct {
	GRPCAddr string // default 127.0.0.1:50051; port 0 picks a free port
	HTTPAddr string // default 127.0.0.1:8080
	// ShutdownTimeout bounds how long in-flight calls may take to finish on shutdown.
	ShutdownTimeout time.Duration
	// Store keeps everything; the server builds the application (package state) on it
	// and answers NOT_SERVING until the market is loaded. The server does not close it.
	Store store.Store
	// RequireAuth requires an API key on every call even before the first key exists
	// (with no key at all, only public methods answer).
	RequireAuth bool
	// Now is the clock behind default effective dates (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
	// RetryMin and RetryMax bound the back-off of a failed state rebuild (defaults 2 s
	// and 30 s).
	RetryMin, RetryMax time.Duration
	// PurgeRetry is how often a purge of unfinished imports that failed at start is
	// retried (30 s when zero; see state.Config.PurgeRetry).
	PurgeRetry time.Duration
	// Watch, for a store shared by replicas, announces changes other replicas commit
	// (see state.Config.Watch); PollInterval is how often the store's versions are
	// polled besides (default 500 ms).
	Watch        func(ctx context.Context) <-chan struct{}
	PollInterval time.Duration
	// MaxStreamsPerConnection bounds the concurrent calls of one connection (HTTP/2
	// SETTINGS_MAX_CONCURRENT_STREAMS, default 100); MaxStreamsPerKey the open
	// streams of one key (default 200, ResourceExhausted beyond); StreamStallTimeout
	// ends a stream whose client has read nothing that long (default 30 s).
	MaxStreamsPerConnection, MaxStreamsPerKey int
	StreamStallTimeout                        time.Duration
	// HTTPReadTimeout bounds reading an HTTP request, body included (default 30 s).
	HTTPReadTimeout time.Duration
	// ImportLimits bound one import's file (see ingest.Limits); ImportIdleTimeout ends
	// an import that sends nothing for that long (default 60 s).
	ImportLimits      ingest.Limits
	ImportIdleTimeout time.Duration
	// PartsDir, when set, keeps each dataset's built market part on disk so that a
	// restart reads it back (see state.Config.PartsDir).
	PartsDir string

	// TLS, when set (a server configuration, internal/tlsfiles), serves gRPC, HTTP and
	// metrics over TLS only. Without it, a listener beyond loopback is refused unless
	// InsecurePlaintext (a mesh that terminates TLS in front).
	TLS               *tls.Config
	InsecurePlaintext bool
	// MetricsAddr is where Prometheus metrics are served (/metrics); empty: nowhere.
	MetricsAddr string
	// StoreEngine names the store in metrics: sqlite or postgres.
	StoreEngine string
	// TracerProvider, when set, traces every call (the JSON front, the gateway's hop
	// and the gRPC server); nil: no tracing at all.
	TracerProvider trace.TracerProvider
}

// Server is a running paymix server.
type Server struct {
	cfg         Config
	log         *slog.Logger
	app         *state.Service
	health      *health.Server
	grpc        *grpc.Server
	http        *http.Server
	grpcLis     net.Listener
	httpLis     net.Listener
	memLis      *bufconn.Listener // the gateway's way in
	loaded      chan struct{}
	metrics     *metrics
	metricsHTTP *http.Server // nil without Config.MetricsAddr
	metricsLis  net.Listener
}

// streamWorkers is the pool of goroutines that run calls. A call runs on a worker
// whose stack has already grown to what a band needs; beyond the pool a call gets a
// new goroutine (and pays for growing its stack), so the pool is sized for the
// concurrency of a busy server rather than for its cores.
const streamWorkers = 256

// memBuffer is the in-memory listener's buffer per direction of a connection.
const memBuffer = 1 << 20

// maxHTTPBody bounds a JSON request body (imports stream over gRPC, not HTTP).
const maxHTTPBody = 1 << 20

// storeService is the health service name that reports whether the store is
// reachable: a replica that loses a shared store keeps serving from its last state, so
// "" and the paymix.v1 services stay SERVING while it says NOT_SERVING.
const storeService = "paymix.store"

// services are the names the health service reports on, besides "" (the whole server).
var services = []string{pb.BandService_ServiceDesc.ServiceName, pb.CatalogService_ServiceDesc.ServiceName,
	pb.DatasetService_ServiceDesc.ServiceName, pb.MarketService_ServiceDesc.ServiceName,
	pb.PolicyService_ServiceDesc.ServiceName, pb.AdminService_ServiceDesc.ServiceName, pb.OfferService_ServiceDesc.ServiceName,
	pb.PriceBookService_ServiceDesc.ServiceName}

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
	s.setServing(healthpb.HealthCheckResponse_NOT_SERVING)

	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	s.health.SetServingStatus(storeService, healthpb.HealthCheckResponse_SERVING)
	engine := cmp.Or(cfg.StoreEngine, "sqlite")
	s.metrics = newMetrics(engine)
	s.app = state.New(state.Config{Store: observedStore{inner: cfg.Store, m: s.metrics, engine: engine}, Now: cfg.Now, Log: cfg.Log, RequireAuth: cfg.RequireAuth,
		RetryMin: cfg.RetryMin, RetryMax: cfg.RetryMax, PurgeRetry: cfg.PurgeRetry, Watch: cfg.Watch, PollInterval: cfg.PollInterval, PartsDir: cfg.PartsDir,
		ImportLimits: cfg.ImportLimits,
		OnStore: func(reason string) {
			st := healthpb.HealthCheckResponse_SERVING
			if reason != "" {
				st = healthpb.HealthCheckResponse_NOT_SERVING
			}
			s.health.SetServingStatus(storeService, st)
		}})
	s.metrics.watchState(s.app, cfg.Watch != nil)
	if err := s.app.Open(context.Background()); err != nil {
		return nil, err
	}
	addrs := []string{cfg.GRPCAddr, cfg.HTTPAddr}
	if cfg.MetricsAddr != "" {
		addrs = append(addrs, cfg.MetricsAddr)
	}
	open, err := decide(s.app.Current(), cfg.RequireAuth, addrs...)
	if err != nil {
		return nil, err
	}
	if err := plaintextRule(cfg.TLS != nil, cfg.InsecurePlaintext, s.log, addrs...); err != nil {
		return nil, err
	}
	if open {
		s.log.Warn("open development mode: no API key exists and every listener is on loopback, so calls need no key; " +
			"create a key (paymix keys create) to require keys from then on")
	}
	a := &auth{app: s.app, now: cfg.Now, streams: &keyStreams{n: map[string]int{}, max: cmp.Or(cfg.MaxStreamsPerKey, defaultStreamsPerKey)},
		failed: func(reason string) { s.metrics.authFailures.WithLabelValues(reason).Inc() }}
	// The call metrics, outermost, see every call's final code; without a metrics
	// listener nobody reads them, so they are not kept.
	var unaryMetrics []grpc.UnaryServerInterceptor
	var streamMetrics []grpc.StreamServerInterceptor
	if cfg.MetricsAddr != "" {
		unaryMetrics = append(unaryMetrics, s.metrics.grpc.UnaryServerInterceptor())
		streamMetrics = append(streamMetrics, s.metrics.grpc.StreamServerInterceptor())
	}
	opts := append(serverStats(cfg.TracerProvider),
		grpc.ChainUnaryInterceptor(unaryChain(s.log, validator, a, unaryMetrics...)...),
		grpc.ChainStreamInterceptor(streamChain(s.log, validator, a, streamMetrics...)...),
		grpc.NumStreamWorkers(streamWorkers),
		grpc.MaxConcurrentStreams(uint32(cmp.Or(cfg.MaxStreamsPerConnection, defaultStreamsPerConnection))),
	)
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(serverCreds(cfg.TLS)))
	}
	s.grpc = grpc.NewServer(opts...)
	pb.RegisterBandServiceServer(s.grpc, &bandService{app: s.app, now: cfg.Now, validator: validator, log: s.log,
		stall: cmp.Or(cfg.StreamStallTimeout, defaultStreamStall)})
	pb.RegisterPolicyServiceServer(s.grpc, &policyService{app: s.app})
	pb.RegisterOfferServiceServer(s.grpc, &offerService{app: s.app, now: cfg.Now})
	pb.RegisterAdminServiceServer(s.grpc, &adminService{app: s.app})
	pb.RegisterCatalogServiceServer(s.grpc, newCatalogService())
	pb.RegisterPriceBookServiceServer(s.grpc, &priceBookService{app: s.app})
	pb.RegisterDatasetServiceServer(s.grpc, &datasetService{app: s.app})
	pb.RegisterMarketServiceServer(s.grpc, &marketService{app: s.app, now: cfg.Now, log: cfg.Log, idle: cmp.Or(cfg.ImportIdleTimeout, defaultImportIdle),
		imported: s.metrics.importDone})
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.metrics.grpc.InitializeMetrics(s.grpc)

	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, &ListenError{Listener: "gRPC", Addr: cfg.GRPCAddr, Err: err}
	}
	if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		s.grpcLis.Close()
		return nil, &ListenError{Listener: "HTTP", Addr: cfg.HTTPAddr, Err: err}
	}
	if cfg.MetricsAddr != "" {
		if s.metricsLis, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			s.grpcLis.Close()
			s.httpLis.Close()
			return nil, &ListenError{Listener: "metrics", Addr: cfg.MetricsAddr, Err: err}
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
		s.metricsHTTP = &http.Server{Handler: mux, ReadHeaderTimeout: httpHeaderTimeout, ReadTimeout: httpReadTimeout, IdleTimeout: httpIdleTimeout, TLSConfig: cfg.TLS.Clone(),
			ErrorLog: connLog(s.log)}
	}
	s.memLis = bufconn.Listen(memBuffer)
	handler, err := s.httpHandler()
	if err != nil {
		s.closeListeners()
		return nil, err
	}
	// JSON requests are small; httpGuard refuses a bigger body before it is read. Each
	// HTTP server has a clone of the TLS configuration: serving adds its ALPN protocols.
	s.http = &http.Server{Handler: traceHTTP(cfg.TracerProvider, handler), ReadHeaderTimeout: httpHeaderTimeout,
		ReadTimeout: cmp.Or(cfg.HTTPReadTimeout, httpReadTimeout), IdleTimeout: httpIdleTimeout, TLSConfig: cfg.TLS.Clone(),
		ErrorLog: connLog(s.log)}
	return s, nil
}

// ListenError is a listener that could not be opened (a port in use, say); Listener
// is "gRPC" or "HTTP", so that the caller can name its own setting.
type ListenError struct {
	Listener, Addr string
	Err            error
}

func (e *ListenError) Error() string {
	return e.Listener + " listener on " + e.Addr + ": " + e.Err.Error()
}
func (e *ListenError) Unwrap() error { return e.Err }

// connLog takes the HTTP servers' own messages, which are about one client's
// connection (a failed TLS handshake, a malformed request): debug level, since any
// scanner on the network makes them.
func connLog(log *slog.Logger) *stdlog.Logger {
	return slog.NewLogLogger(log.Handler(), slog.LevelDebug)
}

func (s *Server) closeListeners() {
	for _, l := range []net.Listener{s.grpcLis, s.httpLis, s.metricsLis} {
		if l != nil {
			l.Close()
		}
	}
}

// GRPCAddr, HTTPAddr and MetricsAddr are the addresses actually bound (useful with
// port 0); MetricsAddr is empty without metrics.
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }
func (s *Server) MetricsAddr() string {
	if s.metricsLis == nil {
		return ""
	}
	return s.metricsLis.Addr().String()
}

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
	s.log.Info("listening", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr(), "metrics_addr", s.MetricsAddr(), "tls", s.cfg.TLS != nil)
	errc := make(chan error, 5)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() { errc <- s.grpc.Serve(s.memLis) }()
	serveHTTP := func(srv *http.Server, lis net.Listener) {
		var err error
		if s.cfg.TLS != nil {
			err = srv.ServeTLS(lis, "", "") // the certificate comes from TLSConfig
		} else {
			err = srv.Serve(lis)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}
	go serveHTTP(s.http, s.httpLis)
	if s.metricsHTTP != nil {
		go serveHTTP(s.metricsHTTP, s.metricsLis)
	}
	go func() {
		err := s.app.LoadMarket(ctx)
		if err == nil {
			s.setServing(healthpb.HealthCheckResponse_SERVING)
		}
		close(s.loaded)
		if err != nil {
			errc <- fmt.Errorf("loading market data: %w", err)
			return
		}
		s.app.Watch(ctx) // until ctx ends: other replicas' changes
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
	defer s.app.Close()
	s.health.Shutdown() // every service NOT_SERVING, for good
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		s.log.Warn("HTTP shutdown cut short", "err", err)
		s.http.Close()
	}
	if s.metricsHTTP != nil {
		s.metricsHTTP.Close() // a scrape is not worth waiting for
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
