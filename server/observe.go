package server

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// Tracing: a span for each call on the gRPC server, on the gateway's in-memory hop
// and on the JSON front, one trace from the HTTP request to the handler (W3C trace
// context, taken from callers that send it). Metrics are Prometheus's (metrics.go),
// so the instrumentation's own meters are off.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

func otelOptions(tp trace.TracerProvider) []otelgrpc.Option {
	return []otelgrpc.Option{otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(propagator),
		otelgrpc.WithMeterProvider(noop.NewMeterProvider())}
}

func serverStats(tp trace.TracerProvider) []grpc.ServerOption {
	if tp == nil {
		return nil
	}
	// Health checks are probes, made every few seconds by every balancer: no traces.
	opts := append(otelOptions(tp), otelgrpc.WithFilter(filters.Not(filters.HealthCheck())))
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(opts...))}
}

func gatewayStats(tp trace.TracerProvider) []grpc.DialOption {
	if tp == nil {
		return nil
	}
	var h stats.Handler = otelgrpc.NewClientHandler(otelOptions(tp)...)
	return []grpc.DialOption{grpc.WithStatsHandler(h)}
}

// traceHTTP wraps the JSON front; span names are the HTTP method only, as the
// conventions say where no route template is known (paths carry organisation ids).
func traceHTTP(tp trace.TracerProvider, h http.Handler) http.Handler {
	if tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, "paymix.http", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagator),
		otelhttp.WithMeterProvider(noop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
}
