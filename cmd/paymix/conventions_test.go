package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every command follows one set of conventions: -h / --help print the usage and every
// flag, shared ones included, to standard output and exit 0; a usage error exits 2 with
// one line; a file that cannot be read exits 1 with the file's error, not a gRPC code;
// flags may follow the arguments.
func TestCLIConventions(t *testing.T) {
	leaves := [][]string{{"import"}, {"keys", "create"}, {"keys", "list"}, {"keys", "revoke"},
		{"offers", "evaluate"}, {"offers", "compare"}, {"bands"}}
	groups := [][]string{{}, {"keys"}, {"offers"}}
	for _, c := range append(leaves, groups...) {
		for _, h := range []string{"-h", "--help"} {
			code, out, errs := cli(t, append(append([]string{}, c...), h)...)
			if len(c) == 0 {
				code, out, errs = cli(t, h)
			}
			if code != 0 || out == "" || errs != "" || !strings.Contains(out, "Usage") {
				t.Errorf("paymix %v %s: exit %d, stdout %d bytes, stderr %q", c, h, code, len(out), errs)
			}
		}
	}
	for _, c := range leaves {
		_, out, _ := cli(t, append(append([]string{}, c...), "-h")...)
		if !strings.Contains(out, "-server") || !strings.Contains(out, "-key") || strings.Contains(out, "(default -1)") {
			t.Errorf("paymix %v -h does not list the shared flags (or prints a sentinel default): %s", c, out)
		}
		code, out, errs := cli(t, append(append([]string{}, c...), "--nope")...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "paymix "+strings.Join(c, " ")+": ") {
			t.Errorf("paymix %v --nope: exit %d, stdout %q, stderr %q", c, code, out, errs)
		}
	}
	// Usage errors: one line, exit 2.
	for _, args := range [][]string{{"import"}, {"offers", "evaluate"}, {"bands"}, {"bands", "--all", "--grid", "g.yaml"},
		{"keys", "create", "--org", "acme"}, {"keys", "revoke"}, {"keys"}, {"offers"}, {"keys", "nope"}, {"nope"}} {
		code, _, errs := cli(t, args...)
		if code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("paymix %v: exit %d, stderr %q", args, code, errs)
		}
	}
	// A missing file is the file's error: exit 1, no gRPC code.
	missing := filepath.Join(t.TempDir(), "missing.csv")
	for _, args := range [][]string{{"import", missing}, {"offers", "evaluate", missing}, {"bands", "--queries", missing}, {"bands", "--grid", missing}} {
		code, _, errs := cli(t, append(args, "--server", "127.0.0.1:1")...)
		if code != 1 || !strings.Contains(errs, "no such file") || strings.Contains(errs, "Unknown") || strings.Contains(errs, "Unavailable") {
			t.Errorf("paymix %v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// Flags after the file work: `paymix offers evaluate FILE --json` prints JSON.
func TestFlagsAfterArguments(t *testing.T) {
	addr, _ := startServer(t)
	offer := filepath.Join(t.TempDir(), "offer.yaml")
	os.WriteFile(offer, []byte("jobFamily: software-engineer\nlevel: IC3\nlocation: Seattle, WA\nbase: 200000\n"), 0o644)
	code, out, errs := cli(t, "offers", "evaluate", offer, "--json", "--server", addr)
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "{") {
		t.Errorf("exit %d, %q %s", code, out, errs)
	}
}
