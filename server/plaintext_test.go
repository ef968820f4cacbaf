package server

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// The rule for listeners beyond loopback, without binding any: TLS passes; plaintext
// is refused, naming the flags, unless --insecure-plaintext, which is logged.
func TestPlaintextBeyondLoopback(t *testing.T) {
	var log bytes.Buffer
	l := slog.New(slog.NewTextHandler(&log, nil))
	for _, addr := range []string{"0.0.0.0:50051", ":8080", "[::]:9090", "10.1.2.3:50051", "paymix.internal:50051"} {
		if err := plaintextRule(false, false, l, "127.0.0.1:1", addr); err == nil ||
			!strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "--tls-cert") || !strings.Contains(err.Error(), "--insecure-plaintext") {
			t.Errorf("%s in plaintext: %v", addr, err)
		}
		if err := plaintextRule(true, false, l, addr); err != nil {
			t.Errorf("%s over TLS: %v", addr, err)
		}
		log.Reset()
		if err := plaintextRule(false, true, l, addr); err != nil || !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), addr) {
			t.Errorf("%s with --insecure-plaintext: %v, log %q", addr, err, log.String())
		}
	}
	for _, addr := range []string{"127.0.0.1:50051", "localhost:8080", "[::1]:9090", "127.0.0.2:1"} {
		log.Reset()
		if err := plaintextRule(false, false, l, addr); err != nil || log.Len() != 0 {
			t.Errorf("%s is loopback: %v %q", addr, err, log.String())
		}
	}
}
