package server_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares JSON with testdata/name, after normalising it (keys sorted, indented:
// protojson varies its spacing on purpose). go test ./server -update rewrites the files.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	norm, _ := json.MarshalIndent(v, "", "  ")
	norm = append(norm, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, norm, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./server -update to create it)", err)
	}
	if !bytes.Equal(norm, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./server -update and review the diff.\ngot:\n%s", name, norm)
	}
}

// The whole answer for the README's first example, pinned: any change to the demo
// data, the maths or the wire shows here as a reviewable diff.
func TestGoldenBands(t *testing.T) {
	s := start(t, nil).ready(t)
	for name, body := range map[string]string{
		"band_sf_ic3_default.json":         `{"jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA"}`,
		"band_london_ic2_pct_of_base.json": `{"jobFamily":"software-engineer","level":"IC2","location":"London, EN, United Kingdom","tokenPolicy":{"mode":"TOKEN_MODE_PERCENT_OF_BASE","percentOfBase":50,"capUsd":250000,"funding":"FUNDING_CARVE_OUT_BASE"}}`,
		"band_montreal_ic5_fallback.json":  `{"jobFamily":"software-engineer","level":"IC5","location":"Montreal, QC, Canada","tokenPolicy":{"mode":"TOKEN_MODE_FIXED","fixedUsd":100000,"funding":"FUNDING_CARVE_OUT_EQUITY"}}`,
	} {
		code, got, _ := s.post(t, "/v1/bands:recommend", body)
		if code != 200 {
			t.Fatalf("%s: HTTP %d %s", name, code, got)
		}
		golden(t, name, got)
	}
}
