// Command benchscale measures how paymixd's costs grow with the market it holds. For
// each size it starts a fresh paymixd (SQLite in a new data directory), imports one
// dataset of that many rows (the shared Levels.fyi export itself for "62k", otherwise
// synthetic rows resampled from it, streamed as they are generated), and reports
//
//	steady RSS, and per observation held
//	peak RSS during the import, and import rows per second
//	a 10,000-row import into that market: its wall time, its rebuild and peak RSS
//	restart: SIGTERM, start again, time until the market is served; RSS after it
//	RecommendBand: median latency of sequential calls over every cohort
//	StreamBands over every cohort: time per band
//
// each beside the same figure of the first size, measured in the same run. With -pg
// the largest size is then loaded into two replicas sharing one PostgreSQL database:
// both must serve it, and a 10,000-row import must reach both (beside the same import
// into a market of the first size on PostgreSQL, in the same run).
//
//	go run ./scripts/benchscale -sizes 62k,1M,10M -pg postgres://...
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/normalize"
)

var (
	sizesFlag = flag.String("sizes", "62k,1M,10M", "market sizes, in rows (62k is the shared export itself)")
	shared    = flag.String("shared", "../shared/data/levels_fyi_salary_data_2017_2021.csv.gz", "the shared Levels.fyi export")
	pgURL     = flag.String("pg", "", "a PostgreSQL server (postgres://...): the largest size on two replicas sharing it")
	queryTime = flag.Duration("query-time", 3*time.Second, "how long each query measurement runs")
	timeout   = flag.Duration("timeout", 40*time.Minute, "the whole run's bound")
	keep      = flag.Bool("keep", false, "keep the work directory")
	noSQLite  = flag.Bool("skip-sqlite", false, "measure only the PostgreSQL replicas")
)

const smallImport = 10_000

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime)
	time.AfterFunc(*timeout, func() { log.Fatalf("the run took longer than %v", *timeout) })
	sizes := parseSizes(*sizesFlag)
	source := readShared()
	work, err := os.MkdirTemp("", "paymix-benchscale-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "paymixd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/paymixd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatal(err)
	}
	if !*noSQLite {
		var results []result
		for _, n := range sizes {
			results = append(results, measure(work, bin, source, n))
		}
		report(results)
	}
	if *pgURL != "" {
		replicas(work, bin, source, sizes[0], sizes[len(sizes)-1])
	}
}

// size is a market size; 0 stands for the shared export as it is.
type size struct {
	label string
	rows  int
}

func parseSizes(s string) []size {
	var out []size
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1.0
		switch {
		case strings.HasSuffix(f, "k"):
			mult = 1e3
		case strings.HasSuffix(f, "M"):
			mult = 1e6
		}
		v, err := strconv.ParseFloat(strings.TrimRight(f, "kM"), 64)
		if err != nil {
			log.Fatalf("size %q: %v", f, err)
		}
		rows := int(v * mult)
		if f == "62k" {
			rows = 0
		}
		out = append(out, size{label: f, rows: rows})
	}
	return out
}

// readShared reads the export's good rows, the population synthetic rows resample.
func readShared() []normalize.Row {
	f, err := os.Open(*shared)
	if err != nil {
		log.Fatalf("the shared export: %v", err)
	}
	defer f.Close()
	res, err := ingest.Read(f, ingest.LevelsFyi, ingest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	return res.Rows
}

// server is one paymixd process.
type server struct {
	cmd      *exec.Cmd
	grpcAddr string
	httpAddr string
	conn     *grpc.ClientConn
	mu       sync.Mutex
	rebuilds []int64 // duration_ms of every "market snapshot built"
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs paymixd and returns once its market is served.
func start(bin, dataDir, storeURL string) (*server, time.Duration) {
	s := &server{grpcAddr: freeAddr(), httpAddr: freeAddr()}
	s.cmd = exec.Command(bin, "--grpc-addr", s.grpcAddr, "--http-addr", s.httpAddr, "--data-dir", dataDir, "--log-level", "info")
	if storeURL != "" {
		s.cmd.Args = append(s.cmd.Args, "--store", storeURL)
	}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		log.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec struct {
				Msg        string `json:"msg"`
				DurationMS int64  `json:"duration_ms"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "market snapshot built" {
				s.mu.Lock()
				s.rebuilds = append(s.rebuilds, rec.DurationMS)
				s.mu.Unlock()
			}
		}
	}()
	// Retry the connection every 10 ms (gRPC's default backoff waits a second), so
	// that the time to serve is measured, not the client's backoff.
	conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1, MaxDelay: 10 * time.Millisecond}}))
	if err != nil {
		log.Fatal(err)
	}
	s.conn = conn
	health := healthpb.NewHealthClient(conn)
	for deadline := time.Now().Add(5 * time.Minute); ; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		r, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return s, time.Since(t0)
		}
		if time.Now().After(deadline) {
			log.Fatal("paymixd did not serve within 5 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *server) stop() {
	s.conn.Close()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

func (s *server) lastRebuild() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rebuilds) == 0 {
		return -1
	}
	return s.rebuilds[len(s.rebuilds)-1]
}

// rss reads VmRSS or VmHWM (the peak since the last resetPeak) in MB.
func (s *server) rss(field string) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	log.Fatalf("no %s", field)
	return 0
}

// resetPeak starts a new peak-RSS window (Linux: 5 > clear_refs resets VmHWM).
func (s *server) resetPeak() {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0); err != nil {
		log.Fatalf("resetting the peak RSS: %v", err)
	}
}

// importRows streams a dataset into the server: the shared export as it is (rows 0),
// or n synthetic rows resampled from it with seed.
func (s *server) importRows(source []normalize.Row, n int, seed uint64) (time.Duration, *pb.Dataset) {
	ctx := context.Background()
	stream, err := pb.NewMarketServiceClient(s.conn).ImportBenchmarks(ctx)
	if err != nil {
		log.Fatal(err)
	}
	format := pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV
	if n == 0 {
		format = pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI
	}
	t0 := time.Now()
	if err := stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{
		Format: format, DisplayName: fmt.Sprintf("benchscale %d rows seed %d", n, seed)}}}); err != nil {
		log.Fatal(err)
	}
	w := &chunker{stream: stream}
	if n == 0 {
		f, err := os.Open(*shared)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(w, f)
		f.Close()
	} else {
		generate(w, source, n, seed)
	}
	w.flush()
	resp, err := stream.CloseAndRecv()
	if err != nil {
		log.Fatalf("import of %d rows: %v", n, err)
	}
	return time.Since(t0), resp.GetDataset()
}

// chunker sends what is written to it as 1 MiB import chunks.
type chunker struct {
	stream pb.MarketService_ImportBenchmarksClient
	buf    []byte
}

func (c *chunker) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for len(c.buf) >= 1<<20 {
		c.send(c.buf[:1<<20])
		c.buf = c.buf[1<<20:]
	}
	return len(p), nil
}

func (c *chunker) send(b []byte) {
	if err := c.stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: slices.Clone(b)}}); err != nil {
		log.Printf("send: %v (the server ended the stream; its answer says why)", err)
	}
}

func (c *chunker) flush() {
	if len(c.buf) > 0 {
		c.send(c.buf)
	}
	c.buf = nil
}

// generate writes n rows resampled from source as gzipped paymix CSV: a row drawn at
// random keeps its text and place, its amounts move by a few percent (whole dollars,
// parts still summing to the total) and its date by up to 45 days.
func generate(w io.Writer, source []normalize.Row, n int, seed uint64) {
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	bw := bufio.NewWriterSize(gz, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 0x5ca1e))
	bw.WriteString("report_date,company,company_level,title,location,years_experience,years_at_company,base,equity,bonus,total,tokens_usd\n")
	var line []byte
	for range n {
		r := &source[rng.IntN(len(source))]
		j := math.Exp(0.05 * rng.NormFloat64())
		base, equity, bonus := math.Round(r.Base*j), math.Round(r.Equity*j), math.Round(r.Bonus*j)
		total := base + equity + bonus
		if base == 0 {
			total = math.Round(r.Total * j)
		}
		day := r.Reported.AddDate(0, 0, rng.IntN(91)-45)
		line = line[:0]
		line = day.AppendFormat(line, time.DateOnly)
		for _, text := range []string{r.Company, r.CompanyLevel, r.Title, r.Location} {
			line = append(line, ',')
			line = appendCSV(line, text)
		}
		for _, v := range []float64{r.YearsExperience, r.YearsAtCompany, base, equity, bonus, total, math.Round(r.Tokens * j)} {
			line = append(line, ',')
			line = strconv.AppendFloat(line, v, 'f', -1, 64)
		}
		line = append(line, '\n')
		bw.Write(line)
	}
	bw.Flush()
	gz.Close()
}

func appendCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return append(b, s...)
	}
	return append(append(append(b, '"'), strings.ReplaceAll(s, `"`, `""`)...), '"')
}

type result struct {
	size                           size
	rows                           int     // rows held
	emptyRSS, steadyRSS, importRSS float64 // MB
	importRate                     float64 // rows/s
	smallWall                      time.Duration
	smallRebuildMS                 int64
	smallPeakRSS                   float64
	restart                        time.Duration
	restartRSS                     float64
	bandMedian                     time.Duration
	healthMedian                   time.Duration
	streamPerBand                  time.Duration
	cohorts                        int
}

func measure(work, bin string, source []normalize.Row, sz size) result {
	r := result{size: sz}
	dir, err := os.MkdirTemp(work, "data-"+sz.label+"-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, _ := start(bin, dir, "")
	time.Sleep(time.Second)
	r.emptyRSS = s.rss("VmRSS")
	log.Printf("%s: importing", sz.label)
	s.resetPeak()
	wall, ds := s.importRows(source, sz.rows, 1)
	r.rows = int(ds.GetRowsAccepted())
	r.importRSS = s.rss("VmHWM")
	r.importRate = float64(r.rows) / wall.Seconds()
	log.Printf("%s: %d rows in %v", sz.label, r.rows, wall.Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	r.steadyRSS = s.rss("VmRSS")

	s.resetPeak()
	r.smallWall, _ = s.importRows(source, smallImport, 2)
	r.smallRebuildMS = s.lastRebuild()
	r.smallPeakRSS = s.rss("VmHWM")
	r.rows += smallImport
	log.Printf("%s: a %d-row import took %v (rebuild %d ms)", sz.label, smallImport, r.smallWall.Round(time.Millisecond), r.smallRebuildMS)

	time.Sleep(3 * time.Second) // the import's part is being stored in the background
	r.bandMedian, r.healthMedian = queries(s)
	r.streamPerBand, r.cohorts = streamAll(s)

	s.stop()
	s, r.restart = start(bin, dir, "")
	time.Sleep(2 * time.Second)
	r.restartRSS = s.rss("VmRSS")
	log.Printf("%s: restarted in %v", sz.label, r.restart.Round(time.Millisecond))
	s.stop()
	return r
}

// queries times sequential RecommendBand calls over every cohort that answers, and
// the health check on the same connection (the noise floor).
func queries(s *server) (band, health time.Duration) {
	ctx := context.Background()
	cohorts, err := pb.NewMarketServiceClient(s.conn).ListCohorts(ctx, &pb.ListCohortsRequest{PageSize: 1000})
	if err != nil {
		log.Fatal(err)
	}
	client := pb.NewBandServiceClient(s.conn)
	var reqs []*pb.RecommendBandRequest
	for _, c := range cohorts.GetCohorts() {
		reqs = append(reqs, &pb.RecommendBandRequest{JobFamily: c.GetJobFamily(), Level: c.GetLevel(), Location: c.GetLocationId()})
	}
	hc := healthpb.NewHealthClient(s.conn)
	var bands, checks []time.Duration
	for i, t0 := 0, time.Now(); time.Since(t0) < *queryTime && i < 200_000; i++ {
		c0 := time.Now()
		client.RecommendBand(ctx, reqs[i%len(reqs)]) // thin cohorts are refused: also work
		bands = append(bands, time.Since(c0))
		c0 = time.Now()
		if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			log.Fatal(err)
		}
		checks = append(checks, time.Since(c0))
	}
	return median(bands), median(checks)
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// streamAll times StreamBands over every cohort, the fastest of three passes.
func streamAll(s *server) (time.Duration, int) {
	client := pb.NewBandServiceClient(s.conn)
	best, n := time.Duration(math.MaxInt64), 0
	for range 3 {
		t0 := time.Now()
		st, err := client.StreamBands(context.Background(), &pb.StreamBandsRequest{AllCohorts: true})
		if err != nil {
			log.Fatal(err)
		}
		n = 0
		for {
			m, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				log.Fatal(err)
			}
			if m.GetItem() != nil {
				n++
			}
		}
		best = min(best, time.Since(t0)/time.Duration(max(n, 1)))
	}
	return best, n
}

func report(rs []result) {
	b := rs[0]
	ratio := func(x, y float64) string { return fmt.Sprintf("%.2fx", x/y) }
	fmt.Printf("\nScale on SQLite (each figure beside the first size's, same run)\n\n")
	fmt.Printf("| rows held | steady RSS | per row | peak RSS, import | import rows/s | %dk import | its rebuild | peak RSS, %dk import | restart | RSS after restart | RecommendBand p50 | health p50 | band / health | StreamBands per band | stream per band / health |\n", smallImport/1000, smallImport/1000)
	fmt.Printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		perRow := (r.steadyRSS - r.emptyRSS) * 1e6 / float64(r.rows)
		bh, sh := float64(r.bandMedian)/float64(r.healthMedian), float64(r.streamPerBand)/float64(r.healthMedian)
		bh0, sh0 := float64(b.bandMedian)/float64(b.healthMedian), float64(b.streamPerBand)/float64(b.healthMedian)
		fmt.Printf("| %d (%s) | %.0f MB | %.0f B | %.0f MB | %.0f | %v (%s) | %d ms | %.0f MB | %v | %.0f MB | %v (%s) | %v | %.2f (%s) | %v (%s) | %.3f (%s) |\n",
			r.rows, r.size.label, r.steadyRSS, perRow, r.importRSS, r.importRate,
			r.smallWall.Round(time.Millisecond), ratio(float64(r.smallWall), float64(b.smallWall)), r.smallRebuildMS, r.smallPeakRSS,
			r.restart.Round(time.Millisecond), r.restartRSS,
			r.bandMedian.Round(time.Microsecond), ratio(float64(r.bandMedian), float64(b.bandMedian)), r.healthMedian.Round(time.Microsecond),
			bh, ratio(bh, bh0), r.streamPerBand.Round(100*time.Nanosecond), ratio(float64(r.streamPerBand), float64(b.streamPerBand)), sh, ratio(sh, sh0))
	}
	fmt.Printf("\n(per row: steady RSS above the empty server's, divided by the rows held. Latencies are medians of sequential\n"+
		"calls on one connection; \"/ health\" divides by the health check's median on the same connection in the same\n"+
		"phase, which takes the machine's noise out. Cohorts streamed: %d at the first size, %d at the last.)\n", rs[0].cohorts, rs[len(rs)-1].cohorts)
}

// replicas loads the largest size into two replicas sharing a fresh PostgreSQL
// database and times a small import reaching both, beside the same on the first size.
func replicas(work, bin string, source []normalize.Row, small, large size) {
	fmt.Printf("\nTwo replicas on one PostgreSQL database\n\n")
	fmt.Printf("| rows held | both serve it | %dk import reaches both |\n|---|---|---|\n", smallImport/1000)
	var first time.Duration
	for _, sz := range []size{small, large} {
		reach, rows, wall := replicaRun(work, bin, source, sz)
		if first == 0 {
			first = reach
		}
		fmt.Printf("| %d (%s) | after a %v import | %v (%.2fx) |\n", rows, sz.label, wall.Round(time.Second), reach.Round(time.Millisecond), float64(reach)/float64(first))
	}
}

func replicaRun(work, bin string, source []normalize.Row, sz size) (time.Duration, int, time.Duration) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, *pgURL)
	if err != nil {
		log.Fatal(err)
	}
	name := fmt.Sprintf("paymix_scale_%d", time.Now().UnixNano())
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
	var reps []*server
	for i := range 2 {
		dir, _ := os.MkdirTemp(work, fmt.Sprintf("replica-%d-", i))
		defer os.RemoveAll(dir)
		s, _ := start(bin, dir, u.String())
		defer s.stop()
		reps = append(reps, s)
	}
	log.Printf("postgres %s: importing", sz.label)
	wall, ds := reps[0].importRows(source, sz.rows, 1)
	waitFor(reps, ds.GetName())
	t0 := time.Now()
	_, small := reps[0].importRows(source, smallImport, 2)
	waitFor(reps, small.GetName())
	return time.Since(t0), int(ds.GetRowsAccepted()) + smallImport, wall
}

// waitFor returns once every replica's market includes a dataset: a band's provenance
// names it.
func waitFor(reps []*server, dataset string) {
	id := strings.TrimPrefix(dataset, "datasets/")
	req := &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "US"}
	for _, s := range reps {
		client := pb.NewBandServiceClient(s.conn)
		for deadline := time.Now().Add(10 * time.Minute); ; {
			b, err := client.RecommendBand(context.Background(), req)
			if err == nil && slices.ContainsFunc(b.GetBand().GetProvenance().GetDatasets(), func(d *pb.DatasetRef) bool {
				return strings.HasSuffix(d.GetName(), id)
			}) {
				break
			}
			if time.Now().After(deadline) {
				log.Fatalf("a replica never served %s: %v", dataset, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

var _ = http.Get
