package state_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/paymix/paymix"

// deps lists the packages a package depends on (itself included), from go list.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// The dependency direction of ARCHITECTURE.md, checked on the import graph of the
// non-test packages: cmd -> server -> state -> planner, state -> store -> planner;
// the planner imports neither the state nor a store, the state no wire, and only
// cmd/paymixd names a store engine.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", module+"/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := func(pkg string, prefixes ...string) {
		for _, d := range deps(t, pkg) {
			for _, p := range prefixes {
				if d == p || strings.HasPrefix(d, p+"/") {
					t.Errorf("%s imports %s", pkg, d)
				}
			}
		}
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(pkg, module+"/planner"):
			forbidden(pkg, module+"/state", module+"/store", module+"/server", module+"/gen", "google.golang.org/grpc", "google.golang.org/protobuf", "database/sql")
		case pkg == module+"/state":
			forbidden(pkg, module+"/gen", module+"/server", "google.golang.org/grpc", "google.golang.org/protobuf", "github.com/grpc-ecosystem")
		}
		if pkg != module+"/cmd/paymixd" && !strings.HasPrefix(pkg, module+"/store/") {
			forbidden(pkg, module+"/store/sqlite", module+"/store/postgres")
		}
	}
	// The checks above would pass on an empty list: make sure they saw the packages.
	if !strings.Contains(string(out), module+"/state\n") || !strings.Contains(string(out), module+"/planner/market\n") {
		t.Fatalf("go list saw no packages: %s", out)
	}
}
