package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/paymix/paymix/internal/tlsfiles"
	"github.com/paymix/paymix/internal/tlsfiles/tlstest"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/store/sqlite"
)

// The CLI speaks TLS and mutual TLS: --ca trusts the server's CA, --cert and
// --cert-key present a client certificate; without them the server refuses it.
func TestCLIOverMutualTLS(t *testing.T) {
	serverCA, clientCA := tlstest.NewCA(t, "servers"), tlstest.NewCA(t, "clients")
	cert, key := serverCA.Issue(t, "paymixd")
	clientCert, clientKey := clientCA.Issue(t, "cli")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := (tlsfiles.Server{CertFile: cert, KeyFile: key, ClientCAFile: clientCA.File}).Config(log)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Store: st, Log: log, TLS: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	<-srv.Loaded()

	band := []string{"bands", "--server", srv.GRPCAddr(), "--queries", "../../docs/examples/queries.csv"}
	code, out, errs := cli(t, append(band, "--ca", serverCA.File, "--cert", clientCert, "--cert-key", clientKey)...)
	if code != 0 || !strings.Contains(out, "software-engineer") {
		t.Fatalf("a band over mutual TLS: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs = cli(t, append(band, "--ca", serverCA.File)...); code == 0 {
		t.Error("a band without a client certificate was answered")
	}
	if code, _, errs = cli(t, band...); code == 0 {
		t.Error("a band in plaintext was answered")
	}
	if code, _, errs = cli(t, append(band, "--ca", serverCA.File, "--cert", clientCert)...); code == 0 || !strings.Contains(errs, "both the certificate and its key") {
		t.Errorf("--cert without --cert-key: exit %d, %s", code, errs)
	}
}
