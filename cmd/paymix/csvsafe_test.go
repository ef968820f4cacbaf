package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Cells a spreadsheet would run as formulas come out of `paymix bands` with a leading
// ' (OWASP's rule): the caller's own text is echoed in the job family and location.
func TestBandsCSVDefusesFormulas(t *testing.T) {
	addr, _ := startServer(t)
	dir := t.TempDir()
	queries := filepath.Join(dir, "queries.csv")
	os.WriteFile(queries, []byte("job_family,level,location\n"+
		"software-engineer,IC3,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n"+
		"+SUM(1+1),IC3,Seattle\n"+
		"software-engineer,IC3,@SUM(A1:A9)\n"+
		"software-engineer,IC3,\"\tTAB\"\n"+
		"software-engineer,IC3,-1\n"), 0o644)
	out := filepath.Join(dir, "bands.csv")
	if code, _, errs := cli(t, "bands", "--server", addr, "--queries", queries, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, _ := os.Open(out)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 6 {
		t.Fatalf("%d rows: %v", len(rows), err)
	}
	want := [][2]string{{"software-engineer", `'=HYPERLINK("http://x","y")`}, {"'+SUM(1+1)", "Seattle"},
		{"software-engineer", "'@SUM(A1:A9)"}, {"software-engineer", "'\tTAB"}, {"software-engineer", "'-1"}}
	for i, w := range want {
		if got := [2]string{rows[i+1][0], rows[i+1][2]}; got != w {
			t.Errorf("row %d: %q, want %q", i+1, got, w)
		}
		for _, cell := range rows[i+1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d: cell %q would run as a formula", i+1, cell)
			}
		}
	}
	if _, o, e := cli(t, "bands", "-h"); !strings.Contains(o+e, "OWASP") {
		t.Errorf("bands -h does not say so: %s%s", o, e)
	}
}
