package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/paymix/paymix/internal/tlsfiles"
)

// runHealth is `paymixd health`: one gRPC health check of a running paymixd, for a
// container HEALTHCHECK or an exec probe. It exits 0 only when the server answers
// SERVING; it prints the status it got (or why it got none) either way.
func runHealth(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("paymixd health", flag.ContinueOnError)
	addr := fs.String("grpc-addr", "127.0.0.1:50051", "the gRPC address of the paymixd to check")
	useTLS := fs.Bool("tls", false, "connect over TLS (implied by --tls-ca and --tls-cert)")
	ca := fs.String("tls-ca", "", "PEM CA certificate that signs the server's certificate (default: the system's roots)")
	cert := fs.String("tls-cert", "", "PEM client certificate, for a server started with --tls-client-ca")
	key := fs.String("tls-key", "", "PEM private key of --tls-cert")
	serverName := fs.String("tls-server-name", "", "the name the server's certificate must carry (default: the host of --grpc-addr)")
	service := fs.String("service", "", `the health service to check: "" (the whole server), paymix.store, or a paymix.v1 service`)
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: paymixd health [flags]\n\nChecks a running paymixd over gRPC; exits 0 only when it is SERVING, 1 otherwise.\n"+
				"Flags have environment variables like the server's (PAYMIX_GRPC_ADDR, PAYMIX_TLS_CERT, ...),\n"+
				"so a container that configures paymixd by environment can probe it with `paymixd health`.\n\nFlags:")
			fs.PrintDefaults()
			return nil
		}
		return usageError{fmt.Errorf("%w (see paymixd health -h)", err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (see paymixd health -h)", fs.Arg(0))}
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	creds := insecure.NewCredentials()
	if *useTLS || *ca != "" || *cert != "" {
		cfg, err := (tlsfiles.Client{CAFile: *ca, CertFile: *cert, KeyFile: *key, ServerName: *serverName}).Config()
		if err != nil {
			return err
		}
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: *service}, grpc.WaitForReady(false))
	if err != nil {
		return fmt.Errorf("health check of %s: %w", *addr, err)
	}
	fmt.Fprintln(stdout, resp.GetStatus())
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%s is %s", *addr, resp.GetStatus())
	}
	return nil
}
