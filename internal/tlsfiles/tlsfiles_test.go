package tlsfiles_test

import (
	"crypto/x509"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paymix/paymix/internal/tlsfiles"
	"github.com/paymix/paymix/internal/tlsfiles/tlstest"
)

// The server configuration serves the pair it loaded, a replacement from the next
// check on, and keeps the pair in use when a replacement does not load.
func TestServerPairReloads(t *testing.T) {
	ca := tlstest.NewCA(t, "one")
	certFile, keyFile := ca.Issue(t, "paymixd")
	cfg, err := (tlsfiles.Server{CertFile: certFile, KeyFile: keyFile}).Config(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	served := func() string {
		t.Helper()
		c, err := cfg.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.Issuer.CommonName
	}
	if got := served(); got != "one" {
		t.Fatalf("serving a certificate of %q", got)
	}
	two := tlstest.NewCA(t, "two")
	two.IssueTo(t, "paymixd", certFile, keyFile)
	time.Sleep(600 * time.Millisecond)
	if got := served(); got != "two" {
		t.Errorf("after the replacement: a certificate of %q", got)
	}
	os.WriteFile(keyFile, []byte("not a key"), 0o600)
	time.Sleep(600 * time.Millisecond)
	if got := served(); got != "two" {
		t.Errorf("after a broken key: a certificate of %q, want the pair in use", got)
	}
	if cfg.ClientCAs != nil {
		t.Error("client certificates required without a client CA")
	}
}

// Missing or half-given files are refused with the file or flag named.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		s    tlsfiles.Server
		want string
	}{
		{tlsfiles.Server{CertFile: "a.pem"}, "--tls-key"},
		{tlsfiles.Server{CertFile: filepath.Join(dir, "none.pem"), KeyFile: filepath.Join(dir, "none-key.pem")}, "none.pem"},
	} {
		if _, err := c.s.Config(log); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want it to name %s", c.s, err, c.want)
		}
	}
	ca := tlstest.NewCA(t, "one")
	certFile, keyFile := ca.Issue(t, "paymixd")
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("nothing"), 0o600)
	if _, err := (tlsfiles.Server{CertFile: certFile, KeyFile: keyFile, ClientCAFile: notPEM}).Config(log); err == nil || !strings.Contains(err.Error(), "--tls-client-ca") {
		t.Errorf("a client CA that is no PEM: %v", err)
	}
	if _, err := (tlsfiles.Client{CertFile: certFile}).Config(); err == nil {
		t.Error("a client certificate without its key was accepted")
	}
	cfg, err := (tlsfiles.Client{CAFile: ca.File, CertFile: certFile, KeyFile: keyFile, ServerName: "paymix.internal"}).Config()
	if err != nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "paymix.internal" {
		t.Errorf("client config: %+v %v", cfg, err)
	}
}
