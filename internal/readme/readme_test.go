package readme

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paymix/paymix/internal/shareddata"
)

// block is one ```sh block of the README; skip is the reason its line before gave.
type block struct {
	line int
	code string
	skip string
	// json is the ```json excerpt that follows the block, if any: the answer's keys
	// must include the excerpt's; text a ```text excerpt, whose lines' first words
	// must begin lines of the output, in order.
	json, text string
}

var (
	fence = regexp.MustCompile("(?s)(?:<!-- readme-test: skip: ([^>]*?) -->\\n)?```sh\\n(.*?)```(?:\\n+```(json|text)\\n(.*?)```)?")
	ports = []string{"127.0.0.1:50051", "127.0.0.1:8080", "127.0.0.1:50061", "127.0.0.1:50062", "127.0.0.1:8081", "127.0.0.1:8082",
		"127.0.0.1:9090", "127.0.0.1:9091", "127.0.0.1:9092"}
	marker = "::readme-block "
)

func blocks(t *testing.T, readme string) []block {
	var out []block
	for _, m := range fence.FindAllStringSubmatchIndex(readme, -1) {
		b := block{line: strings.Count(readme[:m[0]], "\n") + 1, code: readme[m[4]:m[5]]}
		if m[2] >= 0 {
			b.skip = readme[m[2]:m[3]]
		}
		if m[6] >= 0 {
			if readme[m[6]:m[7]] == "json" {
				b.json = readme[m[8]:m[9]]
			} else {
				b.text = readme[m[8]:m[9]]
			}
		}
		out = append(out, b)
	}
	if len(out) < 10 {
		t.Fatalf("the README has %d sh blocks", len(out))
	}
	return out
}

// Every sh block of the README, in order, in one shell (exports carry over), from the
// repository's root, against `go run ./cmd/paymixd` on its default ports with a fresh
// data directory: each must exit 0, and an answer the README shows an excerpt of must
// have at least the excerpt's keys. Only benchmarks are skipped, each by a marker that
// says why. The test command runs too: nested here it builds every test and runs none
// (scripts/test.sh), since this test is part of what it runs.
func TestREADMERunsAsWritten(t *testing.T) {
	if os.Getenv("CI") == "" && os.Getenv("PAYMIX_README_TEST") == "" {
		t.Skip("runs the README against the default ports; set PAYMIX_README_TEST=1 (CI runs it)")
	}
	if _, err := os.Stat(shareddata.File()); err != nil {
		shareddata.Need(t)
	}
	for _, addr := range ports {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the README uses %s, which is taken (%v): stop what listens there", addr, err)
		}
		l.Close()
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	bs := blocks(t, string(readme))
	if strings.TrimSpace(bs[0].code) != "go run ./cmd/paymixd" {
		t.Fatalf("the README's first block is %q, not the service", bs[0].code)
	}
	// The tools the README installs, where it says.
	gobin := t.TempDir()
	var script strings.Builder
	fmt.Fprintf(&script, "set -eo pipefail\nexport PATH=%s:$PATH\n", gobin)
	fmt.Fprintf(&script, "GOBIN=%s go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4\n", gobin)
	// The first block runs in the background until the end.
	script.WriteString("go run ./cmd/paymixd > \"$PAYMIXD_LOG\" 2>&1 & disown\n") // not a job: the README's own jobs are %1, %2
	script.WriteString("for i in $(seq 1 300); do curl -sf localhost:8080/healthz >/dev/null && break; sleep 1; done\n")
	ran := 0
	for i, b := range bs[1:] {
		if b.skip != "" {
			if !strings.Contains(b.skip, "benchmark") {
				t.Errorf("README line %d is skipped (%s): only benchmarks may be", b.line, b.skip)
			}
			t.Logf("README line %d: skipped (%s)", b.line, b.skip)
			continue
		}
		fmt.Fprintf(&script, "echo '%s%d'\n%s\n", marker, i+1, b.code)
		ran++
	}
	fmt.Fprintf(&script, "echo '%send'\n", marker)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = root
	logFile := filepath.Join(t.TempDir(), "paymixd.log")
	cmd.Env = append(os.Environ(), "PAYMIX_DATA_DIR="+t.TempDir(), "PAYMIXD_LOG="+logFile, "PAYMIX_API_KEY=", "PAYMIX_STORE=", "PAYMIX_README_NESTED=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its background servers go with it
	// Files, not pipes: servers the README starts in the background hold their
	// output open after the shell is done.
	dir := t.TempDir()
	stdoutFile, _ := os.Create(filepath.Join(dir, "stdout"))
	stderrFile, _ := os.Create(filepath.Join(dir, "stderr"))
	cmd.Stdout, cmd.Stderr = stdoutFile, stderrFile
	err = cmd.Run()
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	stdoutFile.Close()
	stderrFile.Close()
	out, _ := os.ReadFile(stdoutFile.Name())
	stderrBytes, _ := os.ReadFile(stderrFile.Name())
	stderr := string(stderrBytes)
	outputs := split(string(out))
	last := 0
	for k := range outputs {
		last = max(last, k)
	}
	if err != nil || outputs[-1] != "end" {
		b := bs[min(last, len(bs)-1)]
		log, _ := os.ReadFile(logFile)
		t.Fatalf("README block at line %d failed (%v):\n%s\n--- its output:\n%.3000s\n--- stderr:\n%.3000s\n--- paymixd:\n%.2000s",
			b.line, err, b.code, outputs[last], lastLines(stderr, 40), log)
	}
	excerpts := 0
	for i, b := range bs {
		switch {
		case b.skip != "":
		case b.json != "":
			checkKeys(t, b, outputs[i])
			excerpts++
		case b.text != "":
			checkLines(t, b, outputs[i])
			excerpts++
		}
	}
	if excerpts < 4 {
		t.Errorf("the README shows %d answer excerpts; the band, import, keys-list and offers commands each need one", excerpts)
	}
	t.Logf("%d README blocks ran, %d skipped", ran, len(bs)-1-ran)
}

// split cuts the script's output at the block markers: block index -> its output
// (-1 holds the end marker's presence).
func split(out string) map[int]string {
	res := map[int]string{}
	cur := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, marker); ok {
			if rest == "end" {
				res[-1] = "end"
				continue
			}
			fmt.Sscanf(rest, "%d", &cur)
			res[cur] += ""
			continue
		}
		res[cur] += line + "\n"
	}
	return res
}

// checkKeys holds an answer against its README excerpt: every key path of the
// excerpt is in the answer (the answer is the block's first JSON object).
func checkKeys(t *testing.T, b block, output string) {
	t.Helper()
	var want, got any
	if err := json.Unmarshal([]byte(b.json), &want); err != nil {
		t.Errorf("README line %d: its excerpt is not JSON: %v", b.line, err)
		return
	}
	dec := json.NewDecoder(strings.NewReader(output[max(0, strings.IndexByte(output, '{')):]))
	if err := dec.Decode(&got); err != nil {
		t.Errorf("README line %d: the answer is not JSON: %v\n%.500s", b.line, err, output)
		return
	}
	var missing []string
	var walk func(path string, w, g any)
	walk = func(path string, w, g any) {
		wm, ok := w.(map[string]any)
		if !ok {
			return
		}
		gm, ok := g.(map[string]any)
		if !ok {
			missing = append(missing, path+" (not an object)")
			return
		}
		for k, wv := range wm {
			gv, ok := gm[k]
			if !ok {
				missing = append(missing, path+"."+k)
				continue
			}
			if wl, ok := wv.([]any); ok && len(wl) > 0 {
				if gl, ok := gv.([]any); ok && len(gl) > 0 {
					walk(path+"."+k+"[0]", wl[0], gl[0])
				}
				continue
			}
			walk(path+"."+k, wv, gv)
		}
	}
	walk("", want, got)
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("README line %d: the answer lacks %v of the excerpt the README shows", b.line, missing)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// checkLines holds a text answer against its README excerpt: the first word of each
// excerpt line begins a line of the output, in the excerpt's order.
func checkLines(t *testing.T, b block, output string) {
	t.Helper()
	lines := strings.Split(output, "\n")
	at := 0
	for _, want := range strings.Split(strings.TrimSpace(b.text), "\n") {
		f := strings.Fields(want)
		if len(f) == 0 {
			continue
		}
		found := false
		// A key's name varies from run to run: up to its "pmx_" it must match.
		word := f[0]
		if i := strings.Index(word, "pmx_"); i >= 0 {
			word = word[:i+len("pmx_")]
		}
		for ; at < len(lines); at++ {
			if g := strings.Fields(lines[at]); len(g) > 0 && strings.HasPrefix(g[0], word) && (word != f[0] || g[0] == f[0]) {
				found, at = true, at+1
				break
			}
		}
		if !found {
			t.Errorf("README line %d: no output line begins %q as the excerpt shows (in order)\n%.1500s", b.line, f[0], output)
			return
		}
	}
}
