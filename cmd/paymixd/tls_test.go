package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/paymix/paymix/internal/tlsfiles/tlstest"
)

// started runs paymixd and returns it with the addresses of its "listening" line.
func started(t *testing.T, env []string, args ...string) (*exec.Cmd, map[string]string) {
	t.Helper()
	cmd := paymixd(t, env, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrs := make(chan map[string]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "listening" {
				a := map[string]string{}
				for _, k := range []string{"grpc_addr", "http_addr", "metrics_addr"} {
					a[k], _ = rec[k].(string)
				}
				addrs <- a
			}
		}
	}()
	select {
	case a := <-addrs:
		return cmd, a
	case <-time.After(20 * time.Second):
		t.Fatal("no listening line in the log")
	}
	return nil, nil
}

// health runs `paymixd health` with args: its exit code and output.
func health(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := paymixd(t, nil, append([]string{"health", "--timeout", "3s"}, args...)...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// `paymixd health` passes against a running TLS server that trusts it, and fails
// without TLS, with the wrong CA, and once the server is stopped.
func TestHealthCommand(t *testing.T) {
	ca := tlstest.NewCA(t, "ops")
	cert, key := ca.Issue(t, "paymixd")
	srv, addrs := started(t, nil, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
	grpcAddr := addrs["grpc_addr"]
	var code int
	var out string
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
		if code, out = health(t, "--grpc-addr", grpcAddr, "--tls-ca", ca.File); code == 0 {
			break
		}
	}
	if code != 0 || strings.TrimSpace(out) != "SERVING" {
		t.Fatalf("health of a TLS server: exit %d, %q", code, out)
	}
	// The environment works as for the server: PAYMIX_GRPC_ADDR, PAYMIX_TLS_CA.
	envOut, err := paymixd(t, []string{"PAYMIX_GRPC_ADDR=" + grpcAddr, "PAYMIX_TLS_CA=" + ca.File}, "health").CombinedOutput()
	if err != nil || strings.TrimSpace(string(envOut)) != "SERVING" {
		t.Errorf("health from the environment: %v %q", err, envOut)
	}
	if code, out = health(t, "--grpc-addr", grpcAddr); code != 1 || !strings.Contains(out, "health check of "+grpcAddr) {
		t.Errorf("health in plaintext of a TLS server: exit %d, %q", code, out)
	}
	other := tlstest.NewCA(t, "other")
	if code, out = health(t, "--grpc-addr", grpcAddr, "--tls-ca", other.File); code != 1 {
		t.Errorf("health trusting another CA: exit %d, %q", code, out)
	}
	srv.Process.Kill()
	srv.Wait()
	if code, out = health(t, "--grpc-addr", grpcAddr, "--tls-ca", ca.File); code != 1 || !strings.Contains(out, "health check of "+grpcAddr) {
		t.Errorf("health of a stopped server: exit %d, %q", code, out)
	}
	if code, out = health(t, "--no-such-flag"); code != 2 {
		t.Errorf("health with a wrong flag: exit %d, %q", code, out)
	}
}

// Once a key exists, a listener beyond loopback needs TLS (or --insecure-plaintext):
// paymixd refuses before binding anything, naming the flags.
func TestRefusesPlaintextBeyondLoopback(t *testing.T) {
	dir := t.TempDir()
	if out, err := paymixd(t, []string{"PAYMIX_DATA_DIR=" + dir}, "keys", "bootstrap").CombinedOutput(); err != nil {
		t.Fatalf("bootstrap: %v %s", err, out)
	}
	for _, args := range [][]string{
		{"--grpc-addr", "0.0.0.0:0", "--http-addr", "127.0.0.1:0"},
		{"--grpc-addr", "127.0.0.1:0", "--http-addr", "0.0.0.0:0"},
		{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--metrics-addr", "0.0.0.0:0"},
	} {
		out, err := paymixd(t, []string{"PAYMIX_DATA_DIR=" + dir}, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "refusing to listen on 0.0.0.0:0 in plaintext") ||
			!strings.Contains(string(out), "--tls-cert and --tls-key") || !strings.Contains(string(out), "--insecure-plaintext") {
			t.Errorf("%v: want a refusal naming the TLS flags, got %v: %s", args, err, out)
		}
	}
	// A pair that does not load refuses the start, naming the files.
	out, err := paymixd(t, []string{"PAYMIX_DATA_DIR=" + dir}, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--tls-cert", dir+"/none.pem", "--tls-key", dir+"/none-key.pem").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "none.pem") {
		t.Errorf("a missing certificate: %v: %s", err, out)
	}
	out, err = paymixd(t, []string{"PAYMIX_DATA_DIR=" + dir}, "--tls-cert", dir+"/none.pem").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--tls-key") {
		t.Errorf("a certificate without its key: %v: %s", err, out)
	}
}
