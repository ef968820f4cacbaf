// Package shareddata finds the public Levels.fyi export that tests and benchmarks read
// in place (it is never copied into the repository): PAYMIX_SHARED_DATA names it (the
// file or its directory), else it is shared/data/ beside the repository, found by
// walking up from the test's directory.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

const name = "levels_fyi_salary_data_2017_2021.csv.gz"

// File is the export's path; a path that does not exist when it cannot be found.
func File() string {
	if p := os.Getenv("PAYMIX_SHARED_DATA"); p != "" {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return filepath.Join(p, name)
		}
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("shared", "data", name)
	}
	for {
		p := filepath.Join(dir, "shared", "data", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", "shared", "data", name)
		}
		dir = parent
	}
}

// Need skips a test when the export is absent, and fails it under CI (CI=true), where
// a test on real data must run.
func Need(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(File()); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("the shared Levels.fyi export is absent (%s): under CI the tests on real data must run; set PAYMIX_SHARED_DATA", File())
	}
	tb.Skipf("skipping a test on real data: the Levels.fyi export it reads (62,642 rows, not shipped with the repository) is not at %s; "+
		"set PAYMIX_SHARED_DATA to a copy of levels_fyi_salary_data_2017_2021.csv.gz to run it", File())
}
