package main

import (
	"context"
	"testing"
)

// --tracing auto exports only when the standard endpoint variable is set; off never
// traces; discard always does; anything else is a usage error.
func TestTracingModes(t *testing.T) {
	ctx := context.Background()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if tp, _, err := tracing(ctx, "auto"); err != nil || tp != nil {
		t.Errorf("auto without an endpoint: %v %v", tp, err)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
	tp, shutdown, err := tracing(ctx, "auto")
	if err != nil || tp == nil {
		t.Fatalf("auto with an endpoint: %v %v", tp, err)
	}
	shutdown(ctx)
	if tp, _, err := tracing(ctx, "off"); err != nil || tp != nil {
		t.Errorf("off: %v %v", tp, err)
	}
	if tp, shutdown, err := tracing(ctx, "discard"); err != nil || tp == nil {
		t.Errorf("discard: %v %v", tp, err)
	} else {
		shutdown(ctx)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	if _, _, err := tracing(ctx, "auto"); err == nil {
		t.Error("auto over http/protobuf should say that only grpc is exported")
	}
	if _, _, err := tracing(ctx, "sometimes"); err == nil {
		t.Error("an unknown mode was accepted")
	}
}
