package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/tlsfiles"
	"github.com/paymix/paymix/internal/tlsfiles/tlstest"
	"github.com/paymix/paymix/server"
)

// discardSpans drops every span (the cost of tracing without an exporter's).
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkObservability: RecommendBand with TLS, metrics and tracing (every call
// sampled, spans dropped in the process) off and on, in one run; the client's cost is
// in the figure too (scripts/benchload -observe measures the server alone).
func BenchmarkObservability(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			var creds credentials.TransportCredentials
			s := startWith(b, func(c *server.Config) {
				if !on {
					return
				}
				ca := tlstest.NewCA(b, "bench")
				cert, key := ca.Issue(b, "paymixd")
				cfg, err := (tlsfiles.Server{CertFile: cert, KeyFile: key}).Config(slog.New(slog.NewTextHandler(io.Discard, nil)))
				if err != nil {
					b.Fatal(err)
				}
				client, _ := (tlsfiles.Client{CAFile: ca.File}).Config()
				creds = credentials.NewTLS(client)
				c.TLS, c.MetricsAddr = cfg, "127.0.0.1:0"
				tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardSpans{}))
				b.Cleanup(func() { tp.Shutdown(context.Background()) })
				c.TracerProvider = tp
			}).ready(b)
			conn := s.conn
			if on {
				var err error
				if conn, err = grpc.NewClient(s.srv.GRPCAddr(), grpc.WithTransportCredentials(creds)); err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
			}
			client := pb.NewBandServiceClient(conn)
			ctx := context.Background()
			reqs := []*pb.RecommendBandRequest{
				{JobFamily: "software-engineer", Level: "IC3", Location: "San Francisco, CA", TargetPercentile: proto.Float64(50)},
				{JobFamily: "software-engineer", Level: "IC4", Location: "Seattle, WA", TargetPercentile: proto.Float64(75)},
			}
			b.ResetTimer()
			b.RunParallel(func(p *testing.PB) {
				i := 0
				for p.Next() {
					i++
					if _, err := client.RecommendBand(ctx, reqs[i%len(reqs)]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSpan: what one span costs through the SDK as paymixd traces (every span
// sampled, batched, dropped in the process), the floor of tracing's cost per call.
func BenchmarkSpan(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardSpans{}))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("bench")
	b.ReportAllocs()
	b.RunParallel(func(p *testing.PB) {
		ctx := context.Background()
		for p.Next() {
			_, span := tracer.Start(ctx, "paymix.v1.BandService/RecommendBand")
			span.End()
		}
	})
}
