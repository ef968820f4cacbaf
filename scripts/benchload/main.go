// Command benchload measures paymixd under load on loopback: it builds two commits (a
// base, by default the parent of HEAD, and the working tree), runs each as its own
// process on a fresh data directory, and measures, in one run and interleaved, the
// server's CPU per call (from /proc/<pid>/stat) and its throughput for
//
//	health       the gRPC health check (the baseline every ratio is taken against)
//	health-h2load the same check driven by h2load, a client of another make
//	band-open    RecommendBand over gRPC in open development mode
//	band-hris    RecommendBand over gRPC with an hris key whose organisation has a
//	             stored default policy
//	band-json    RecommendBand over JSON (wrk with a Lua script), the same key
//	stream-all   StreamBands over every cohort of the shared Levels.fyi export, per band
//	replicas     with -pg: band-hris on each of three replicas of the working tree
//	             sharing one PostgreSQL database, beside the SQLite figure
//
// Band requests cycle through at least 500 cohorts from ListCohorts with target
// percentiles from 25 to 90. Every load is bounded in count and in time.
//
//	go run ./scripts/benchload -base a8fde7e -duration 5s -rounds 3
//
// With -observe it builds the working tree once and runs it twice, "off" (plaintext,
// no metrics listener, no tracing) and "on" (TLS on every listener, metrics served,
// every call traced with the spans dropped in the process), and compares the two the
// same way: what TLS, metrics and tracing cost.
//
//	go run ./scripts/benchload -observe -duration 5s -rounds 3
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

var (
	base     = flag.String("base", "HEAD~1", "the commit to compare the working tree with")
	duration = flag.Duration("duration", 4*time.Second, "how long each load runs (after a warm-up of a quarter of it)")
	maxCalls = flag.Int("max-calls", 2_000_000, "the most calls one load makes")
	rounds   = flag.Int("rounds", 2, "rounds of every scenario on both builds, interleaved; the median is reported")
	conns    = flag.Int("conns", 4, "connections of a load")
	streams  = flag.Int("streams", 16, "concurrent calls per connection")
	shared   = flag.String("shared", "../shared/data/levels_fyi_salary_data_2017_2021.csv.gz", "the shared export, for stream-all (skipped when absent)")
	pgURL    = flag.String("pg", "", "a PostgreSQL server (postgres://...) for band-hris on three replicas of the working tree sharing one database")
	observe  = flag.Bool("observe", false, "compare the working tree with TLS, metrics and tracing off and on, instead of two commits")
	only     = flag.String("only", "", "run only these scenarios (comma-separated, e.g. band-open,band-json); health always runs, as every ratio's baseline")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	work, err := os.MkdirTemp("", "paymix-benchload-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	builds := []*build{{name: "base " + *base}, {name: "working tree"}}
	if *observe {
		// Each part alone, then all three: off first and all last, so that the
		// report's last ratio is all / off.
		bin := buildTree(work, ".")
		c := newCerts(work)
		tlsArgs := []string{"--tls-cert", c.cert, "--tls-key", c.key}
		builds = []*build{
			{name: "off", bin: bin, args: []string{"--metrics-addr=", "--tracing=off"}},
			{name: "TLS only", bin: bin, tls: c, args: append([]string{"--metrics-addr=", "--tracing=off"}, tlsArgs...)},
			{name: "metrics only", bin: bin, args: []string{"--metrics-addr=127.0.0.1:0", "--tracing=off"}},
			{name: "tracing only", bin: bin, args: []string{"--metrics-addr=", "--tracing=discard"}},
			{name: "all on", bin: bin, tls: c, args: append([]string{"--metrics-addr=127.0.0.1:0", "--tracing=discard"}, tlsArgs...)},
		}
	} else {
		builds[0].bin = buildCommit(work, *base)
		builds[1].bin = buildTree(work, ".")
	}
	for _, b := range builds {
		b.start(work)
		defer b.stop()
		b.prepare()
	}
	scenarios := []string{"health", "health-h2load", "band-open", "band-hris", "band-json"}
	if *observe {
		scenarios = []string{"health", "band-open", "band-hris", "band-json"}
	} else if _, err := os.Stat(*shared); err == nil {
		scenarios = append(scenarios, "stream-all")
	} else {
		log.Printf("stream-all skipped: %s is absent", *shared)
	}
	results := map[string]map[string][]result{} // scenario -> build -> rounds
	for _, sc := range scenarios {
		results[sc] = map[string][]result{}
	}
	// Open-mode scenarios run before the first key exists, keyed ones after; the
	// stream of the shared export last, since its import replaces the demo data.
	var phases [][]string
	if *observe {
		phases = [][]string{scenarios[:2], scenarios[2:]}
	} else {
		phases = [][]string{scenarios[:3], scenarios[3:5], scenarios[5:]}
	}
	if *only != "" {
		keep := map[string]bool{"health": true}
		for _, sc := range strings.Split(*only, ",") {
			keep[strings.TrimSpace(sc)] = true
		}
		for i, phase := range phases {
			var kept []string
			for _, sc := range phase {
				if keep[sc] {
					kept = append(kept, sc)
				}
			}
			phases[i] = kept
		}
		scenarios = nil
		for _, phase := range phases {
			scenarios = append(scenarios, phase...)
		}
	}
	for _, phase := range phases {
		for round := range *rounds {
			for _, sc := range phase {
				for i := range builds {
					b := builds[(i+round)%len(builds)] // alternate which build goes first
					r := b.run(sc)
					results[sc][b.name] = append(results[sc][b.name], r)
					log.Printf("round %d %-13s %-18s %9.0f calls/s %8.1f us CPU/call (%d calls)", round+1, sc, b.name, r.perSecond, r.cpuPerCall, r.calls)
				}
			}
		}
	}
	report(builds, scenarios, results)
	if *pgURL != "" && !*observe {
		replicas(work, builds[1], median(results["band-hris"][builds[1].name]))
	}
}

// replicas measures band-hris on three replicas of the working tree on one fresh
// PostgreSQL database, one after the other, against the single SQLite replica's.
func replicas(work string, tree *build, sqlite result) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, *pgURL)
	if err != nil {
		log.Fatal(err)
	}
	name := fmt.Sprintf("paymix_bench_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		log.Fatal(err)
	}
	defer func() {
		admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(ctx)
	}()
	u, err := url.Parse(*pgURL)
	if err != nil {
		log.Fatal(err)
	}
	u.Path = "/" + name
	var reps []*build
	for i := range 3 {
		r := &build{name: fmt.Sprintf("replica %d", i+1), bin: tree.bin, storeURL: u.String()}
		r.start(work)
		defer r.stop()
		reps = append(reps, r)
	}
	reps[0].prepare()
	reps[0].keys()
	for _, r := range reps[1:] {
		r.requests, r.hrisKey = reps[0].requests, reps[0].hrisKey
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := pb.NewBandServiceClient(r.conn).RecommendBand(withKey(ctx, r.hrisKey), r.requests[0]); err == nil {
				break
			} else if time.Now().After(deadline) {
				log.Fatalf("%s never learned the key: %v", r.name, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	fmt.Printf("\nband-hris on three replicas sharing PostgreSQL (SQLite, one replica: %.1f us CPU/call):\n", sqlite.cpuPerCall)
	for _, r := range reps {
		var rs []result
		for range *rounds {
			rs = append(rs, r.bands(withKey(ctx, r.hrisKey)))
		}
		m := median(rs)
		fmt.Printf("  %s: %9.0f calls/s %8.1f us CPU/call, %.2f of SQLite's\n", r.name, m.perSecond, m.cpuPerCall, m.cpuPerCall/sqlite.cpuPerCall)
	}
}

type build struct {
	name, bin string
	storeURL  string // a PostgreSQL URL, or "" for SQLite in a fresh data directory
	cmd       *exec.Cmd
	grpcAddr  string
	httpAddr  string
	conn      *grpc.ClientConn
	hrisKey   string
	analyst   string
	root      string
	requests  []*pb.RecommendBandRequest
	imported  bool
	args      []string // paymixd's own flags
	tls       *certs   // the server's pair and the CA that signed it; nil: plaintext
}

type result struct {
	calls      int64
	perSecond  float64
	cpuPerCall float64 // microseconds of server CPU (user + system)
}

func buildCommit(work, rev string) string {
	tree := filepath.Join(work, "base-tree")
	run("git", "worktree", "add", "--detach", tree, rev)
	defer run("git", "worktree", "remove", "--force", tree)
	return buildTree(work, tree)
}

func buildTree(work, dir string) string {
	out := filepath.Join(work, fmt.Sprintf("paymixd-%d", time.Now().UnixNano()))
	cmd := exec.Command("go", "build", "-o", out, "./cmd/paymixd")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("building %s: %v", dir, err)
	}
	return out
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %v: %v", name, args, err)
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (b *build) start(work string) {
	b.grpcAddr, b.httpAddr = freeAddr(), freeAddr()
	dir, _ := os.MkdirTemp(work, "data-")
	// The default log level: one line a call, as in production (written to a pipe
	// that is drained and dropped).
	b.cmd = exec.Command(b.bin, append([]string{"--grpc-addr", b.grpcAddr, "--http-addr", b.httpAddr, "--data-dir", dir}, b.args...)...)
	b.cmd.Env = append(os.Environ(), "PAYMIX_METRICS_ADDR=127.0.0.1:0") // an older build ignores it
	if b.storeURL != "" {
		b.cmd.Args = append(b.cmd.Args, "--store", b.storeURL)
	}
	b.cmd.Stderr = io.Discard
	// The server dies with this program, even when it stops on log.Fatal.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := b.httpClient().Get(b.scheme() + "://" + b.httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			log.Fatalf("%s did not serve within a minute", b.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	creds := insecure.NewCredentials()
	if b.tls != nil {
		creds = credentials.NewTLS(b.tls.client)
	}
	conn, err := grpc.NewClient(b.grpcAddr, grpc.WithTransportCredentials(creds))
	if err != nil {
		log.Fatal(err)
	}
	b.conn = conn
}

func (b *build) scheme() string {
	if b.tls != nil {
		return "https"
	}
	return "http"
}

func (b *build) httpClient() *http.Client {
	if b.tls == nil {
		return http.DefaultClient
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: b.tls.client}}
}

func (b *build) stop() {
	b.conn.Close()
	b.cmd.Process.Kill()
	b.cmd.Wait()
}

// prepare lists the cohorts band requests cycle through: every cohort of ListCohorts
// (metro, zone or country, named by its id) that answers a band (thin metros fall back, which is part of
// the work), with target percentiles 25-90.
func (b *build) prepare() {
	ctx := context.Background()
	resp, err := pb.NewMarketServiceClient(b.conn).ListCohorts(ctx, &pb.ListCohortsRequest{PageSize: 1000})
	if err != nil {
		log.Fatal(err)
	}
	targets := []float64{25, 40, 50, 60, 75, 90}
	bands := pb.NewBandServiceClient(b.conn)
	for _, c := range resp.GetCohorts() {
		r := &pb.RecommendBandRequest{JobFamily: c.GetJobFamily(), Level: c.GetLevel(), Location: c.GetLocationId(),
			TargetPercentile: proto.Float64(targets[len(b.requests)%len(targets)])}
		if _, err := bands.RecommendBand(ctx, r); err == nil {
			b.requests = append(b.requests, r)
		}
	}
	if len(b.requests) < 500 {
		log.Fatalf("%s answers bands for %d cohorts; the benchmark cycles through at least 500", b.name, len(b.requests))
	}
	log.Printf("%s: band requests cycle through %d cohorts", b.name, len(b.requests))
}

// keys makes the first platform-admin key, an organisation with a stored default
// policy (tokens at half of base, capped), and an hris key; from then on the server
// requires keys.
func (b *build) keys() {
	if b.hrisKey != "" {
		return
	}
	ctx := context.Background()
	admin := pb.NewAdminServiceClient(b.conn)
	mk := func(ctx context.Context, org string, role pb.Role) string {
		r, err := admin.CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/" + org, ApiKey: &pb.ApiKey{DisplayName: "bench", Role: role}})
		if err != nil {
			log.Fatalf("%s: key %s: %v", b.name, role, err)
		}
		return r.GetSecret()
	}
	b.root = mk(ctx, "platform", pb.Role_ROLE_PLATFORM_ADMIN)
	rootCtx := withKey(ctx, b.root)
	if _, err := admin.CreateOrganization(rootCtx, &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		log.Fatal(err)
	}
	orgAdmin := withKey(ctx, mk(rootCtx, "acme", pb.Role_ROLE_ADMIN))
	policies := pb.NewPolicyServiceClient(b.conn)
	def, err := policies.GetPolicy(orgAdmin, &pb.GetPolicyRequest{Name: "organizations/acme/policies/default"})
	if err != nil {
		log.Fatal(err)
	}
	p := def.GetPolicy()
	p.TokenPolicy = &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_PERCENT_OF_BASE, PercentOfBase: proto.Float64(50), CapUsd: proto.Float64(250000)}
	if _, err := policies.UpdatePolicy(orgAdmin, &pb.UpdatePolicyRequest{Policy: p, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"token_policy"}}}); err != nil {
		log.Fatal(err)
	}
	b.hrisKey = mk(orgAdmin, "acme", pb.Role_ROLE_HRIS)
	b.analyst = mk(orgAdmin, "acme", pb.Role_ROLE_ANALYST)
}

func withKey(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

// cpu is the server process's user + system CPU so far.
func (b *build) cpu() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", b.cmd.Process.Pid))
	if err != nil {
		log.Fatal(err)
	}
	// Fields after the command name (which is in parentheses): utime is the 14th field
	// of the line, stime the 15th, in clock ticks (100 a second on Linux).
	rest := string(raw[bytes.LastIndexByte(raw, ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func (b *build) run(scenario string) result {
	switch scenario {
	case "health":
		health := healthpb.NewHealthClient(b.conn)
		return b.measure(func(ctx context.Context, _ int) error {
			_, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		})
	case "health-h2load":
		return b.h2load()
	case "band-open":
		if b.hrisKey != "" {
			log.Fatal("band-open must run before keys exist")
		}
		return b.bands(context.Background())
	case "band-hris":
		b.keys()
		return b.bands(withKey(context.Background(), b.hrisKey))
	case "band-json":
		b.keys()
		return b.wrk()
	case "stream-all":
		b.keys()
		return b.streamAll()
	}
	log.Fatalf("unknown scenario %s", scenario)
	return result{}
}

func (b *build) bands(ctx context.Context) result {
	client := pb.NewBandServiceClient(b.conn)
	return b.measure(func(c context.Context, i int) error {
		_, err := client.RecommendBand(ctx, b.requests[i%len(b.requests)], grpc.ForceCodec(skipReplies{}))
		return err
	})
}

// skipReplies sends requests as usual and does not decode the answers, as h2load and
// wrk do not: decoding a band costs the client more than the server spends sending it,
// and on two cores the client's CPU is taken from the server's.
type skipReplies struct{}

func (skipReplies) Marshal(v any) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }
func (skipReplies) Unmarshal([]byte, any) error   { return nil }
func (skipReplies) Name() string                  { return "proto" }

// measure runs call from conns x streams workers, warming up first, then for the
// duration or the call limit, whichever ends first.
func (b *build) measure(call func(ctx context.Context, i int) error) result {
	workers := *conns * *streams
	var next atomic.Int64
	var failed atomic.Value
	load := func(d time.Duration, limit int64) int64 {
		stop := time.Now().Add(d)
		var done atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					i := next.Add(1)
					if done.Load() >= limit {
						return
					}
					if err := call(context.Background(), int(i)); err != nil {
						failed.Store(err)
						return
					}
					done.Add(1)
				}
			}()
		}
		wg.Wait()
		return done.Load()
	}
	load(*duration/4, int64(*maxCalls))
	cpu0, t0 := b.cpu(), time.Now()
	n := load(*duration, int64(*maxCalls))
	cpu, wall := b.cpu()-cpu0, time.Since(t0)
	if err, _ := failed.Load().(error); err != nil {
		log.Fatalf("%s: a call failed: %v", b.name, err)
	}
	return result{calls: n, perSecond: float64(n) / wall.Seconds(), cpuPerCall: float64(cpu.Microseconds()) / float64(n)}
}

// h2load drives the gRPC health check: an empty request is a 5-byte gRPC frame.
func (b *build) h2load() result {
	body := filepath.Join(os.TempDir(), fmt.Sprintf("paymix-bench-%d.grpc", os.Getpid()))
	if err := os.WriteFile(body, make([]byte, 5), 0o600); err != nil {
		log.Fatal(err)
	}
	defer os.Remove(body)
	h2 := func(d time.Duration) (int64, time.Duration) {
		out, err := exec.Command("h2load", "-c", strconv.Itoa(*conns), "-m", strconv.Itoa(*streams), "-D", fmt.Sprintf("%d", int(d.Seconds()+0.5)),
			"-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers",
			b.scheme()+"://"+b.grpcAddr+"/grpc.health.v1.Health/Check").CombinedOutput()
		if err != nil {
			log.Fatalf("h2load: %v\n%s", err, out)
		}
		var n int64
		var took float64
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			switch {
			case strings.HasPrefix(line, "finished in ") && len(f) > 2:
				took, _ = strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(f[2], ","), "s"), 64)
			case strings.HasPrefix(line, "requests: ") && len(f) > 9:
				n, _ = strconv.ParseInt(f[7], 10, 64) // "... N succeeded"
			}
		}
		return n, time.Duration(took * float64(time.Second))
	}
	h2(time.Second)
	cpu0 := b.cpu()
	n, wall := h2(max(*duration, time.Second))
	cpu := b.cpu() - cpu0
	if n == 0 {
		log.Fatal("h2load made no successful request")
	}
	return result{calls: n, perSecond: float64(n) / wall.Seconds(), cpuPerCall: float64(cpu.Microseconds()) / float64(n)}
}

// wrk drives RecommendBand over JSON with the same requests, from a Lua script.
func (b *build) wrk() result {
	var lua strings.Builder
	lua.WriteString("local bodies = {\n")
	for _, r := range b.requests {
		body, _ := protojson.Marshal(r)
		fmt.Fprintf(&lua, "  %q,\n", body)
	}
	fmt.Fprintf(&lua, `}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  i = i + 1
  return wrk.format(nil, "/v1/bands:recommend", nil, bodies[(i %% #bodies) + 1])
end
`, b.hrisKey)
	script := filepath.Join(os.TempDir(), fmt.Sprintf("paymix-bench-%d.lua", os.Getpid()))
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		log.Fatal(err)
	}
	defer os.Remove(script)
	wrkRun := func(d time.Duration) (int64, time.Duration) {
		args := []string{"-t", "2", "-c", strconv.Itoa(*conns * *streams), "-d", fmt.Sprintf("%ds", max(1, int(d.Seconds()+0.5))), "-s", script, b.scheme() + "://" + b.httpAddr}
		out, err := exec.Command("wrk", args...).CombinedOutput()
		if err != nil {
			log.Fatalf("wrk: %v\n%s", err, out)
		}
		if bytes.Contains(out, []byte("Non-2xx")) {
			log.Fatalf("wrk saw failed requests:\n%s", out)
		}
		var n int64
		var took float64
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if strings.Contains(line, " requests in ") {
				fields := strings.Fields(line)
				n, _ = strconv.ParseInt(fields[0], 10, 64)
				took, _ = strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(fields[3], ","), "s"), 64)
			}
		}
		return n, time.Duration(took * float64(time.Second))
	}
	wrkRun(*duration / 4)
	cpu0 := b.cpu()
	n, wall := wrkRun(*duration)
	cpu := b.cpu() - cpu0
	if n == 0 {
		log.Fatal("wrk made no request")
	}
	return result{calls: n, perSecond: float64(n) / wall.Seconds(), cpuPerCall: float64(cpu.Microseconds()) / float64(n)}
}

// streamAll imports the shared export once, then streams every cohort's band for the
// duration; a call is one streamed band.
func (b *build) streamAll() result {
	ctx := withKey(context.Background(), b.root)
	if !b.imported {
		data, err := os.ReadFile(*shared)
		if err != nil {
			log.Fatal(err)
		}
		stream, err := pb.NewMarketServiceClient(b.conn).ImportBenchmarks(ctx)
		if err != nil {
			log.Fatal(err)
		}
		parts := []*pb.ImportBenchmarksRequest{{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI}}}}
		for off := 0; off < len(data); off += 1 << 20 {
			parts = append(parts, &pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: data[off:min(off+1<<20, len(data))]}})
		}
		for _, p := range parts {
			if err := stream.Send(p); err != nil {
				break
			}
		}
		if _, err := stream.CloseAndRecv(); err != nil {
			log.Fatalf("%s: import: %v", b.name, err)
		}
		b.imported = true
	}
	client := pb.NewBandServiceClient(b.conn)
	analyst := withKey(context.Background(), b.analyst)
	pass := func() int64 {
		s, err := client.StreamBands(analyst, &pb.StreamBandsRequest{AllCohorts: true})
		if err != nil {
			log.Fatal(err)
		}
		n := int64(0)
		for {
			m, err := s.Recv()
			if errors.Is(err, io.EOF) {
				return n
			}
			if err != nil {
				log.Fatal(err)
			}
			if m.GetItem() != nil {
				n++
			}
		}
	}
	pass()
	cpu0, t0 := b.cpu(), time.Now()
	var n int64
	for time.Since(t0) < *duration && n < int64(*maxCalls) {
		n += pass()
	}
	cpu, wall := b.cpu()-cpu0, time.Since(t0)
	return result{calls: n, perSecond: float64(n) / wall.Seconds(), cpuPerCall: float64(cpu.Microseconds()) / float64(n)}
}

func median(rs []result) result {
	rs = slices.Clone(rs) // the rounds stay in order, for paired
	sort.Slice(rs, func(i, j int) bool { return rs[i].cpuPerCall < rs[j].cpuPerCall })
	m := rs[len(rs)/2]
	tp := make([]float64, len(rs))
	for i, r := range rs {
		tp[i] = r.perSecond
	}
	sort.Float64s(tp)
	m.perSecond = tp[len(tp)/2]
	return m
}

// paired is the median over rounds of one round's CPU per call against the other's:
// the two ran next to each other, so a slow spell of the machine moves both.
func paired(a, b []result) float64 {
	var rs []float64
	for i := range min(len(a), len(b)) {
		rs = append(rs, a[i].cpuPerCall/b[i].cpuPerCall)
	}
	if len(rs) == 0 {
		return math.NaN()
	}
	sort.Float64s(rs)
	return rs[len(rs)/2]
}

func report(builds []*build, scenarios []string, results map[string]map[string][]result) {
	fmt.Printf("\n%-12s", "scenario")
	for _, b := range builds {
		fmt.Printf(" | %14s calls/s CPU us/call", b.name)
	}
	fmt.Println()
	med := map[string]map[string]result{}
	for _, sc := range scenarios {
		med[sc] = map[string]result{}
		fmt.Printf("%-12s", sc)
		for _, b := range builds {
			m := median(results[sc][b.name])
			med[sc][b.name] = m
			fmt.Printf(" | %22.0f %11.1f", m.perSecond, m.cpuPerCall)
		}
		fmt.Println()
	}
	fmt.Println("\nratios (median of the rounds, same run):")
	for _, b := range builds {
		fmt.Printf("  %s:\n", b.name)
		ratio := func(what, a, z string, f func(result) float64) {
			if x, y := med[a][b.name], med[z][b.name]; x.calls > 0 && y.calls > 0 {
				fmt.Printf("    %-37s %.2f\n", what, f(x)/f(y))
			}
		}
		perSecond := func(r result) float64 { return r.perSecond }
		cpu := func(r result) float64 { return r.cpuPerCall }
		ratio("band-hris / band-open throughput", "band-hris", "band-open", perSecond)
		ratio("band-open / health CPU per call", "band-open", "health", cpu)
		ratio("band-json / band-hris CPU per call", "band-json", "band-hris", cpu)
	}
	// Every other build against the first (the base, or "off").
	oldB := builds[0].name
	for _, nb := range builds[1:] {
		newB := nb.name
		fmt.Printf("  %s / %s:\n", newB, oldB)
		for _, sc := range scenarios {
			fmt.Printf("    %-10s CPU per call %.2f (paired %.2f), throughput %.2f\n", sc, med[sc][newB].cpuPerCall/med[sc][oldB].cpuPerCall,
				paired(results[sc][newB], results[sc][oldB]), med[sc][newB].perSecond/med[sc][oldB].perSecond)
		}
	}
}
