package server_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/tlsfiles"
	"github.com/paymix/paymix/internal/tlsfiles/tlstest"
	"github.com/paymix/paymix/server"
)

// startTLS runs a server with TLS from files (and a client CA, when given).
func startTLS(t *testing.T, certFile, keyFile, clientCA string) (*testServer, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	cfg, err := (tlsfiles.Server{CertFile: certFile, KeyFile: keyFile, ClientCAFile: clientCA}).Config(logger)
	if err != nil {
		t.Fatal(err)
	}
	s := startWith(t, func(c *server.Config) {
		c.TLS = cfg
		c.Log = logger
		c.MetricsAddr = "127.0.0.1:0"
	}).ready(t)
	return s, log
}

// checkGRPC is the health check's answer over a new connection with creds.
func checkGRPC(t *testing.T, addr string, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %s", resp.GetStatus())
	}
	return err
}

// getHTTP is a GET of url with the client TLS config (nil: plaintext): the status,
// or the error.
func getHTTP(url string, cfg *tls.Config) (int, string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

func clientTLS(t *testing.T, c tlsfiles.Client) *tls.Config {
	t.Helper()
	cfg, err := c.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// With TLS, every listener speaks TLS only: a plaintext client gets nothing, a client
// that trusts the CA gets answers over gRPC, JSON and metrics; a renewed pair is used
// without a restart, and a broken one is refused while the old one keeps serving.
func TestTLSOnEveryListener(t *testing.T) {
	ca := tlstest.NewCA(t, "one")
	certFile, keyFile := ca.Issue(t, "paymixd")
	s, log := startTLS(t, certFile, keyFile, "")
	trustOne := clientTLS(t, tlsfiles.Client{CAFile: ca.File})

	if err := checkGRPC(t, s.srv.GRPCAddr(), insecure.NewCredentials()); err == nil {
		t.Error("a plaintext gRPC client was served")
	}
	if code, _, err := getHTTP("http://"+s.srv.HTTPAddr()+"/healthz", nil); err == nil && code == 200 {
		t.Error("a plaintext HTTP client was served")
	}
	if code, _, err := getHTTP("http://"+s.srv.MetricsAddr()+"/metrics", nil); err == nil && code == 200 {
		t.Error("a plaintext metrics scrape was served")
	}
	if err := checkGRPC(t, s.srv.GRPCAddr(), credentials.NewTLS(trustOne)); err != nil {
		t.Fatalf("gRPC over TLS: %v", err)
	}
	conn, err := grpc.NewClient(s.srv.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(trustOne)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	band, err := pb.NewBandServiceClient(conn).RecommendBand(context.Background(),
		&pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "San Francisco, CA"})
	if err != nil || band.GetBand().GetTotal().GetMid() == 0 {
		t.Fatalf("a band over TLS: %v", err)
	}
	code, body, err := getHTTP("https://"+s.srv.HTTPAddr()+"/healthz", trustOne)
	if err != nil || code != 200 {
		t.Fatalf("HTTPS /healthz: %d %v", code, err)
	}
	if code, body, err = getHTTP("https://"+s.srv.MetricsAddr()+"/metrics", trustOne); err != nil || code != 200 || !strings.Contains(body, "grpc_server_handled_total") {
		t.Fatalf("HTTPS /metrics: %d %v", code, err)
	}

	// A renewal from another CA, written over the files: a handshake a second later
	// uses it (a client trusting only the old CA is refused, one trusting the new is
	// served), with no restart.
	ca2 := tlstest.NewCA(t, "two")
	ca2.IssueTo(t, "paymixd", certFile, keyFile)
	time.Sleep(1100 * time.Millisecond)
	trustTwo := clientTLS(t, tlsfiles.Client{CAFile: ca2.File})
	if err := checkGRPC(t, s.srv.GRPCAddr(), credentials.NewTLS(trustTwo)); err != nil {
		t.Fatalf("after the renewal, gRPC with the new CA: %v", err)
	}
	if err := checkGRPC(t, s.srv.GRPCAddr(), credentials.NewTLS(trustOne)); err == nil {
		t.Error("after the renewal, the old certificate is still served")
	}
	if code, _, err := getHTTP("https://"+s.srv.HTTPAddr()+"/healthz", trustTwo); err != nil || code != 200 {
		t.Fatalf("after the renewal, HTTPS: %d %v", code, err)
	}

	// A broken replacement is logged and the pair in use stays.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if err := checkGRPC(t, s.srv.GRPCAddr(), credentials.NewTLS(trustTwo)); err != nil {
		t.Fatalf("after a broken replacement, the previous pair should serve: %v", err)
	}
	if !strings.Contains(log.String(), "the replaced TLS certificate does not load") {
		t.Errorf("the broken replacement was not logged:\n%s", log.String())
	}
}

// With a client CA, a client must present a certificate it signed, over gRPC and
// HTTP alike; the API key rule is unchanged (open mode here: no key yet).
func TestMutualTLS(t *testing.T) {
	serverCA := tlstest.NewCA(t, "servers")
	certFile, keyFile := serverCA.Issue(t, "paymixd")
	clientCA := tlstest.NewCA(t, "clients")
	clientCert, clientKey := clientCA.Issue(t, "hris")
	strangerCA := tlstest.NewCA(t, "strangers")
	strangerCert, strangerKey := strangerCA.Issue(t, "stranger")
	s, _ := startTLS(t, certFile, keyFile, clientCA.File)

	noCert := clientTLS(t, tlsfiles.Client{CAFile: serverCA.File})
	withCert := clientTLS(t, tlsfiles.Client{CAFile: serverCA.File, CertFile: clientCert, KeyFile: clientKey})
	stranger := clientTLS(t, tlsfiles.Client{CAFile: serverCA.File, CertFile: strangerCert, KeyFile: strangerKey})

	if err := checkGRPC(t, s.srv.GRPCAddr(), credentials.NewTLS(noCert)); err == nil {
		t.Error("gRPC: a client without a certificate was served")
	}
	if err := checkGRPC(t, s.srv.GRPCAddr(), credentials.NewTLS(stranger)); err == nil {
		t.Error("gRPC: a client with a certificate of another CA was served")
	}
	if err := checkGRPC(t, s.srv.GRPCAddr(), credentials.NewTLS(withCert)); err != nil {
		t.Errorf("gRPC: a client with a certificate the CA signed: %v", err)
	}
	if _, _, err := getHTTP("https://"+s.srv.HTTPAddr()+"/healthz", noCert); err == nil {
		t.Error("HTTP: a client without a certificate was served")
	}
	if _, _, err := getHTTP("https://"+s.srv.HTTPAddr()+"/healthz", stranger); err == nil {
		t.Error("HTTP: a client with a certificate of another CA was served")
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: withCert}}
	resp, err := c.Post("https://"+s.srv.HTTPAddr()+"/v1/bands:recommend", "application/json",
		strings.NewReader(`{"jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA"}`))
	if err != nil {
		t.Fatalf("HTTP: a client with a certificate the CA signed: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"totalWithoutTokens"`) {
		t.Errorf("HTTP band with a client certificate: %d %.200s", resp.StatusCode, body)
	}
}
