// Command paymixd is the paymix server: gRPC and its JSON gateway in one process.
//
// Every flag has an environment variable: --grpc-addr is PAYMIX_GRPC_ADDR, and so on
// (upper case, dashes to underscores). A flag on the command line wins over the
// environment, which wins over the default.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/paymix/paymix/internal/tlsfiles"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/state"
	"github.com/paymix/paymix/store"
	"github.com/paymix/paymix/store/postgres"
	"github.com/paymix/paymix/store/sqlite"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "paymixd:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a wrong flag or argument: exit code 2, as the Go tools do.
type usageError struct{ error }

func run(args []string) error {
	return runTo(args, os.Stdout)
}

// runTo runs paymixd; what a subcommand prints for the user (a bootstrap key) goes
// to stdout, the log to stderr.
func runTo(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "health" {
		return runHealth(args[1:], stdout)
	}
	migrateOnly := len(args) > 0 && args[0] == "migrate"
	if migrateOnly {
		args = args[1:]
	}
	bootstrap := len(args) > 1 && args[0] == "keys" && args[1] == "bootstrap"
	if bootstrap {
		args = args[2:]
	}
	fs := flag.NewFlagSet("paymixd", flag.ContinueOnError)
	grpcAddr := fs.String("grpc-addr", "127.0.0.1:50051", "gRPC listen address (port 0 picks a free port)")
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "HTTP (JSON gateway, /healthz, /openapi.json) listen address")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	logFormat := fs.String("log-format", "json", "log format: json or text")
	shutdownTimeout := fs.Duration("shutdown-timeout", 15*time.Second, "how long in-flight calls may take to finish on SIGTERM or SIGINT")
	dataDir := fs.String("data-dir", defaultDataDir(), "directory of the embedded SQLite database (paymix.db) and of the built market\n"+
		"(parts/, rebuilt from the store whenever it is missing or stale; replicas on PostgreSQL keep their own)")
	storeSpec := fs.String("store", "sqlite", "where state is kept: sqlite (one process, in --data-dir) or a PostgreSQL URL\n"+
		"postgres://user@host:port/db?sslmode=... shared by any number of replicas (PGPASSWORD and PGPASSFILE work)")
	importMaxRows := fs.Int("import-max-rows", ingest.DefaultMaxRows, "the most rows one import may hold (files stream: memory does not grow with this)")
	importMaxBytes := byteSize(ingest.DefaultMaxBytes)
	fs.Var(&importMaxBytes, "import-max-decompressed", "the largest file one import may hold after decompression (bytes, or with KiB, MiB, GiB)")
	importMaxLine := byteSize(ingest.DefaultMaxLine)
	fs.Var(&importMaxLine, "import-max-line", "the longest line (CSV record, quoted newlines included) of an import; a longer one ends it")
	streamsPerConn := fs.Int("max-streams-per-connection", 100, "the most calls one connection may have open at once (HTTP/2 max concurrent streams)")
	streamsPerKey := fs.Int("max-streams-per-key", 200, "the most streams one API key may have open at once; beyond it a stream is refused (ResourceExhausted)")
	streamStall := fs.Duration("stream-stall-timeout", 30*time.Second, "end a stream whose client has read nothing for this long (ResourceExhausted)")
	importIdle := fs.Duration("import-idle-timeout", 60*time.Second, "end an import whose client sends nothing for this long, freeing its slot")
	importMaxField := byteSize(ingest.DefaultMaxField)
	fs.Var(&importMaxField, "import-max-field", "the longest cell of an import; a row with a longer one is rejected")
	requireAuth := fs.Bool("require-auth", false, "require an API key on every call, even before the first key exists")
	tlsCert := fs.String("tls-cert", "", "PEM certificate (chain) to serve gRPC, HTTP and metrics over TLS only; a replaced file is\nused from the next handshake a second later, without a restart")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	tlsClientCA := fs.String("tls-client-ca", "", "PEM CA certificate(s): require client certificates it signed, on every listener (API keys are still required)")
	insecurePlaintext := fs.Bool("insecure-plaintext", false, "allow listening beyond loopback without TLS, for a proxy or mesh that terminates TLS in front (logged as a warning)")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9090", "Prometheus metrics (/metrics) listen address; empty: no metrics. Beyond loopback it follows the TLS rule")
	tracingMode := fs.String("tracing", "auto", "auto: export traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none;\noff; or discard (trace every call and drop the spans, to measure tracing's cost)")
	fs.SetOutput(io.Discard) // a parse error is one line; -h prints to stdout
	fs.Usage = func() {}
	printUsage := func() {
		fs.SetOutput(stdout)
		defer fs.SetOutput(io.Discard)
		fmt.Fprintln(fs.Output(), "Usage: paymixd [flags]\n       paymixd migrate [--store URL | --data-dir DIR]   apply schema migrations and exit\n"+
			"       paymixd keys bootstrap [--store URL | --data-dir DIR]   make a platform-admin key, print it once, and exit\n"+
			"                     (beside a stopped paymixd on SQLite; at any time on PostgreSQL)\n"+
			"       paymixd health [flags]   check a running paymixd over gRPC: exit 0 only when it is SERVING (see paymixd health -h)\n\n"+
			"Every flag can also be set by its environment variable, PAYMIX_ and the flag name\nin upper case with underscores (--grpc-addr is PAYMIX_GRPC_ADDR).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage()
			return nil
		}
		return usageError{fmt.Errorf("%w (see paymixd -h)", err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (see paymixd -h)", fs.Arg(0))}
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	log, err := newLogger(*logLevel, *logFormat)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, watch, err := openStore(ctx, *storeSpec, *dataDir, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if migrateOnly {
		log.Info("migrations applied")
		return nil
	}
	if bootstrap {
		k, secret, err := state.Bootstrap(ctx, st, time.Now())
		if err != nil {
			return err
		}
		log.Warn("bootstrap: a platform-admin key was made outside the API", "key", "organizations/"+k.Org+"/apiKeys/"+k.Prefix)
		fmt.Fprintf(os.Stderr, "created organizations/%s/apiKeys/%s (platform-admin); the key is shown only now:\n", k.Org, k.Prefix)
		fmt.Fprintln(stdout, secret)
		return nil
	}
	var tlsConfig *tls.Config
	if *tlsCert != "" || *tlsKey != "" || *tlsClientCA != "" {
		if tlsConfig, err = (tlsfiles.Server{CertFile: *tlsCert, KeyFile: *tlsKey, ClientCAFile: *tlsClientCA}).Config(log); err != nil {
			return err
		}
	}
	tp, shutdownTracing, err := tracing(ctx, *tracingMode)
	if err != nil {
		return err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(c); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}()
	engine := "sqlite"
	if watch != nil {
		engine = "postgres"
	}
	srv, err := server.New(server.Config{
		TLS:               tlsConfig,
		InsecurePlaintext: *insecurePlaintext,
		MetricsAddr:       *metricsAddr,
		StoreEngine:       engine,
		GRPCAddr:          *grpcAddr,
		HTTPAddr:          *httpAddr,
		ShutdownTimeout:   *shutdownTimeout,
		Store:             st,
		Watch:             watch,
		RequireAuth:       *requireAuth,
		Log:               log,
		PartsDir:          filepath.Join(*dataDir, "parts"),
		ImportLimits: ingest.Limits{MaxRows: *importMaxRows, MaxBytes: int64(importMaxBytes),
			MaxLine: int(importMaxLine), MaxField: int(importMaxField)},
		ImportIdleTimeout:       *importIdle,
		MaxStreamsPerConnection: *streamsPerConn,
		MaxStreamsPerKey:        *streamsPerKey,
		StreamStallTimeout:      *streamStall,
		TracerProvider:          tp,
	})
	var le *server.ListenError
	if errors.As(err, &le) {
		flagName := map[string]string{"gRPC": "--grpc-addr (PAYMIX_GRPC_ADDR)", "HTTP": "--http-addr (PAYMIX_HTTP_ADDR)",
			"metrics": "--metrics-addr (PAYMIX_METRICS_ADDR; empty for none)"}[le.Listener]
		return fmt.Errorf("%w; choose another address with %s (port 0 picks a free one), or stop what holds it", err, flagName)
	}
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

// openStore opens (and migrates) the store --store names; watch is the change feed of
// a store shared by replicas (nil for SQLite, which one process owns).
func openStore(ctx context.Context, spec, dataDir string, log *slog.Logger) (store.Store, func(context.Context) <-chan struct{}, error) {
	switch {
	case spec == "" || spec == "sqlite":
		st, err := sqlite.Open(ctx, dataDir)
		if err != nil {
			return nil, nil, err
		}
		log.Info("store open", "store", "sqlite", "data_dir", dataDir)
		return st, nil, nil
	case strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://"):
		st, err := postgres.Open(ctx, spec)
		if err != nil {
			return nil, nil, err
		}
		log.Info("store open", "store", postgres.Redact(spec))
		return st, st.Watch, nil
	}
	return nil, nil, fmt.Errorf("--store must be sqlite or a postgres:// URL, not %q", postgres.Redact(spec))
}

// defaultDataDir is $XDG_DATA_HOME/paymix, or ~/.local/share/paymix, or ./paymix-data
// when there is no home directory.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "paymix")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "paymix")
	}
	return "paymix-data"
}

// applyEnv sets every flag not given on the command line from its environment
// variable, PAYMIX_ and the flag name in upper case with underscores.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "PAYMIX_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && !given[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

func newLogger(level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be json or text, not %q", format)
}
