package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run this binary as paymixd itself: a subprocess started
// with PAYMIXD_RUN_MAIN=1 is the server, so signals and exit codes are real.
func TestMain(m *testing.M) {
	if os.Getenv("PAYMIXD_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin)) // the replicas' binary
	}
	os.Exit(code)
}

func paymixd(t testing.TB, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	// Metrics on a port of their own: tests run side by side.
	cmd.Env = append(append(os.Environ(), "PAYMIXD_RUN_MAIN=1", "PAYMIX_DATA_DIR="+t.TempDir(), "PAYMIX_METRICS_ADDR=127.0.0.1:0"), env...)
	return cmd
}

// A new user's run: ports picked by the kernel (one through the environment, one by
// flag), the chosen ports in the log, bands served, then SIGTERM stops it cleanly.
func TestServeAndStopOnSIGTERM(t *testing.T) {
	cmd := paymixd(t, []string{"PAYMIX_GRPC_ADDR=127.0.0.1:0"}, "--http-addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan map[string]any, 100)
	var logText strings.Builder
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logText.WriteString(sc.Text() + "\n")
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				lines <- rec
			}
		}
	}()
	var httpAddr string
	deadline := time.After(10 * time.Second)
	for httpAddr == "" {
		select {
		case rec := <-lines:
			if rec["msg"] == "listening" {
				httpAddr, _ = rec["http_addr"].(string)
				if g, _ := rec["grpc_addr"].(string); strings.HasSuffix(g, ":0") || !strings.HasPrefix(g, "127.0.0.1:") {
					t.Errorf("gRPC address in the log: %q", g)
				}
			}
		case <-deadline:
			t.Fatal("no listening line in the log")
		}
	}
	base := "http://" + httpAddr
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				// Start-up on the demo data takes well under a second.
				if d := time.Since(start); d > time.Second {
					t.Errorf("serving after %v", d)
				}
				break
			}
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("never SERVING")
		}
	}
	resp, err := http.Post(base+"/v1/bands:recommend", "application/json",
		strings.NewReader(`{"jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("band: HTTP %d %s", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		for range lines {
		}
		waited <- cmd.Wait()
	}()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10s after SIGTERM")
	}
	log := logText.String()
	if !strings.Contains(log, `"msg":"stopped"`) {
		t.Errorf("no orderly stop in the log:\n%s", log)
	}
	// Logs never carry pay: no figure of the band, no location of the request.
	var band struct {
		Band struct{ Total struct{ Mid float64 } }
	}
	_ = json.Unmarshal(body, &band)
	if band.Band.Total.Mid == 0 {
		t.Fatalf("no total midpoint in %s", body)
	}
	for _, secret := range []string{"San Francisco", strconv.FormatFloat(band.Band.Total.Mid, 'f', -1, 64)} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains %q:\n%s", secret, log)
		}
	}
}

func TestRefusesBadConfiguration(t *testing.T) {
	out, err := paymixd(t, []string{"PAYMIX_LOG_FORMAT=xml"}).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--log-format must be json or text") {
		t.Errorf("want a clear refusal, got %v: %s", err, out)
	}
	// Beyond loopback with no key to require, it refuses before binding anything.
	out, err = paymixd(t, nil, "--grpc-addr", "0.0.0.0:0", "--http-addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing to listen on 0.0.0.0:0 without authentication") ||
		!strings.Contains(string(out), "paymix keys create --org platform --role platform-admin") {
		t.Errorf("want a refusal to serve beyond loopback, got %v: %s", err, out)
	}
	// --require-auth with no key yet would lock everyone out.
	out, err = paymixd(t, nil, "--require-auth", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "would lock everyone out") {
		t.Errorf("--require-auth with no key: %v: %s", err, out)
	}
	out, err = paymixd(t, nil, "--grpc-addr", "not-an-address").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "gRPC listener on not-an-address") {
		t.Errorf("want a clear refusal, got %v: %s", err, out)
	}
}
