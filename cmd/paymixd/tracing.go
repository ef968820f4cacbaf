package main

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// tracing sets up the tracer provider --tracing names: "auto" exports over OTLP/gRPC
// when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, and
// traces nothing otherwise; "off" never traces; "discard" records and samples every
// span and drops it in the process, to measure what tracing costs. The exporter,
// sampler and resource follow the other standard OTEL_ variables. shutdown flushes.
func tracing(ctx context.Context, mode string) (tp trace.TracerProvider, shutdown func(context.Context) error, err error) {
	none := func(context.Context) error { return nil }
	var exp sdktrace.SpanExporter
	switch mode {
	case "off":
		return nil, none, nil
	case "auto":
		if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return nil, none, nil
		}
		if p := os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "grpc" {
			return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: paymixd exports traces over grpc only", p)
		}
		if exp, err = otlptracegrpc.New(ctx); err != nil {
			return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
		}
	case "discard":
		exp = discard{}
	default:
		return nil, nil, usageError{fmt.Errorf("--tracing must be auto, off or discard, not %q", mode)}
	}
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "paymixd")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, nil, err
	}
	p := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return p, p.Shutdown, nil
}

// discard is an exporter that drops every span.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }
