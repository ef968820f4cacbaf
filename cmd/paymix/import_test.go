package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/shareddata"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/store/sqlite"
)

// sharedFile is the real Levels.fyi export beside the repository (never copied in).
var sharedFile = shareddata.File()

func needShared(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sharedFile); err != nil {
		shareddata.Need(t)
		t.Fatal(err)
	}
}

// startServer runs a real server on loopback with a fresh store.
func startServer(t *testing.T) (addr string, conn *grpc.ClientConn) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Store: st,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	<-srv.Loaded()
	conn, err = grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv.GRPCAddr(), conn
}

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func importJSON(t *testing.T, addr string, extra ...string) *pb.ImportBenchmarksResponse {
	t.Helper()
	args := append([]string{"import", "--server", addr, "--format", "levelsfyi", "--json"}, extra...)
	code, out, errs := cli(t, append(args, sharedFile)...)
	if code != 0 {
		t.Fatalf("paymix import exited %d: %s", code, errs)
	}
	var resp pb.ImportBenchmarksResponse
	if err := protojson.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return &resp
}

func TestImportSharedFile(t *testing.T) {
	needShared(t)
	addr, conn := startServer(t)
	ctx := context.Background()
	datasets := pb.NewDatasetServiceClient(conn)

	// Strict: the file has bad rows, so it is refused whole and nothing is stored.
	code, _, errs := cli(t, "import", "--server", addr, "--format", "levelsfyi", "--mode", "strict", sharedFile)
	if code != 1 || !strings.Contains(errs, "strict import rejected whole, nothing stored") || !strings.Contains(errs, "TOTAL_INCONSISTENT") {
		t.Fatalf("strict import: exit %d\n%s", code, errs)
	}
	// Printed once: the first line is the summary, then 20 rows and how many more.
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 22 || len(lines[0]) > 300 || !strings.HasPrefix(lines[21], "  ... ") || strings.Count(errs, lines[1]) != 1 {
		t.Errorf("strict refusal printed as %d lines, the first %d bytes:\n%.2000s", len(lines), len(lines[0]), errs)
	}
	list, err := datasets.ListDatasets(ctx, &pb.ListDatasetsRequest{})
	if err != nil || len(list.GetDatasets()) != 1 || !list.GetDatasets()[0].GetSynthetic() {
		t.Fatalf("after a strict rejection: %v %v", list, err)
	}

	start := time.Now()
	resp := importJSON(t, addr, "--mode", "lenient")
	t.Logf("lenient import of the shared file: %v", time.Since(start))
	s := resp.GetSummary()
	want := summaryCounts{read: 62642, accepted: 62009, rejected: 633, unmapped: 27894, level: 27893, location: 2, title: 0}
	got := summaryCounts{int(s.GetRowsRead()), int(s.GetRowsAccepted()), int(s.GetRowsRejected()), int(s.GetRowsUnmapped()),
		int(s.GetUnmappedLevel()), int(s.GetUnmappedLocation()), int(s.GetUnmappedTitle())}
	if got != want {
		t.Errorf("summary %+v, want %+v", got, want)
	}
	reasons := map[string]int32{}
	for _, r := range s.GetRejectedByReason() {
		reasons[r.GetReason()] = r.GetCount()
	}
	// Every rejection of the real file is a total more than 10% off base + equity + bonus.
	if len(reasons) != 1 || reasons["TOTAL_INCONSISTENT"] != 633 {
		t.Errorf("rejected by reason: %v", reasons)
	}
	if len(s.GetIssues()) != int(s.GetRowsRejected()) || s.GetIssues()[0].GetRow() == 0 || s.GetIssues()[0].GetColumn() == "" {
		t.Errorf("issues: %d, first %+v", len(s.GetIssues()), s.GetIssues()[0])
	}
	for _, col := range []string{"gender", "Race", "Education"} {
		if !strings.Contains(strings.Join(s.GetDroppedColumns(), ","), col) {
			t.Errorf("demographic column %s not reported dropped: %v", col, s.GetDroppedColumns())
		}
	}
	d := resp.GetDataset()
	if !d.GetActive() || d.GetSynthetic() || d.GetRowsAccepted() != s.GetRowsAccepted() || len(d.GetChecksum()) != 64 {
		t.Errorf("dataset %+v", d)
	}
	// The demo data left the market with the first real import.
	demo, err := datasets.GetDataset(ctx, &pb.GetDatasetRequest{Name: "datasets/demo-synthetic"})
	if err != nil || demo.GetDataset().GetActive() {
		t.Errorf("demo after the first import: %v %v", demo, err)
	}

	// The same file again, or the same request id, makes no second dataset.
	again := importJSON(t, addr)
	if !again.GetSummary().GetDuplicate() || again.GetDataset().GetName() != d.GetName() {
		t.Errorf("re-import: %+v", again)
	}
	list, _ = datasets.ListDatasets(ctx, &pb.ListDatasetsRequest{})
	if len(list.GetDatasets()) != 2 {
		t.Errorf("%d datasets after a re-import", len(list.GetDatasets()))
	}

	// Bands now come from the imported data and name it.
	band, err := pb.NewBandServiceClient(conn).RecommendBand(ctx, &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA"})
	if err != nil {
		t.Fatal(err)
	}
	p := band.GetBand().GetProvenance()
	if p.GetSynthetic() || len(p.GetDatasets()) != 1 || p.GetDatasets()[0].GetName() != d.GetName() || p.GetCount() < 100 {
		t.Errorf("band provenance %+v", p)
	}
}

type summaryCounts struct{ read, accepted, rejected, unmapped, level, location, title int }

func TestImportRefusesBadInput(t *testing.T) {
	addr, _ := startServer(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("report_date,company,title,base,salary_band\n2026-01-01,Acme,Software Engineer,100000,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := cli(t, "import", "--server", addr, "--format", "paymix", bad)
	if code != 1 || !strings.Contains(errs, `unknown column "salary_band"`) {
		t.Errorf("unknown column: exit %d %s", code, errs)
	}
	if code, _, errs := cli(t, "import", "--server", addr, "--format", "xml", bad); code != 2 || !strings.Contains(errs, "--format must be") {
		t.Errorf("bad format flag: exit %d %s", code, errs)
	}
	if code, _, errs := cli(t, "import", "--server", addr, filepath.Join(dir, "missing.csv")); code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: exit %d %s", code, errs)
	}
}

// type7 is Hyndman and Fan's type 7, written out again here so that the test does not
// check the server's percentiles against themselves.
func type7(values []float64, q float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	h := float64(len(s)-1) * q
	i := int(math.Floor(h))
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// capWeights are the rows' weights under a company cap (the README's closed form,
// written again here from its text): companies by rows n_1 >= ... >= n_m, the smallest
// k with n_(k+1) <= c W_k, W_k = (n_(k+1) + ... + n_m) / (1 - k c); the first k
// companies share c W_k each over their rows, every other row weighs 1.
func capWeights(companies []string, c float64) []float64 {
	rows := map[string]int{}
	for _, co := range companies {
		rows[co]++
	}
	names := make([]string, 0, len(rows))
	for co := range rows {
		names = append(names, co)
	}
	slices.SortFunc(names, func(a, b string) int { return rows[b] - rows[a] })
	weight := map[string]float64{}
	rest := float64(len(companies))
	for k := range names {
		w := rest / (1 - float64(k)*c)
		if float64(rows[names[k]]) <= c*w+1e-9 {
			for _, co := range names[:k] {
				weight[co] = c * w / float64(rows[co])
			}
			break
		}
		rest -= float64(rows[names[k]])
	}
	out := make([]float64, len(companies))
	for i, co := range companies {
		out[i] = 1
		if w, ok := weight[co]; ok {
			out[i] = w
		}
	}
	return out
}

// weightedType7 is the README's weighted type 7: sorted ascending, S_k the cumulative
// weights, c_k = S_k - w_k / 2, p_k = (c_k - c_1) / (c_n - c_1), linear in p between.
func weightedType7(values, weights []float64, q float64) float64 {
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(values[a], values[b]) })
	n := len(idx)
	c := make([]float64, n)
	sum := 0.0
	for i, j := range idx {
		sum += weights[j]
		c[i] = sum - weights[j]/2
	}
	if n == 1 || q <= 0 {
		return values[idx[0]]
	}
	if q >= 1 {
		return values[idx[n-1]]
	}
	for i := 0; i+1 < n; i++ {
		pi, pj := (c[i]-c[0])/(c[n-1]-c[0]), (c[i+1]-c[0])/(c[n-1]-c[0])
		if pi <= q && q < pj {
			return values[idx[i]] + (q-pi)/(pj-pi)*(values[idx[i+1]]-values[idx[i]])
		}
	}
	return values[idx[n-1]]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// With aging off, market statistics equal, to the dollar, type-7 percentiles computed
// straight from the accepted rows with the same filter, whatever the spelling of the
// company and its level: plain for one company's own statistics, with the company cap
// (25%) for a cohort.
func TestMarketStatsMatchTheRows(t *testing.T) {
	needShared(t)
	addr, conn := startServer(t)
	importJSON(t, addr)
	f, err := os.Open(sharedFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ingest.Read(f, ingest.LevelsFyi, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	maps := normalize.NewMaps(nil, nil)
	client := pb.NewMarketServiceClient(conn)
	cases := []struct {
		name  string
		req   *pb.GetMarketStatsRequest
		match func(normalize.Row, market.Observation) bool
	}{
		{"Google L5 software engineers", &pb.GetMarketStatsRequest{Company: " google ", CompanyLevel: "l5", JobFamily: "software-engineer"},
			func(r normalize.Row, o market.Observation) bool {
				return o.Company == "Google" && o.CompanyLevel == "L5" && r.Title == "Software Engineer"
			}},
		{"Meta E5 as Facebook IC5, all titles", &pb.GetMarketStatsRequest{Company: "Facebook", CompanyLevel: "IC5"},
			func(r normalize.Row, o market.Observation) bool { return o.Company == "Meta" && o.CompanyLevel == "E5" }},
		{"Amazon SDE II in Seattle", &pb.GetMarketStatsRequest{Company: "amazon", CompanyLevel: "SDE II", Location: "Seattle, WA"},
			func(r normalize.Row, o market.Observation) bool {
				return o.Company == "Amazon" && o.CompanyLevel == "L5" && o.Metro == "seattle"
			}},
		{"Microsoft 62 data scientists", &pb.GetMarketStatsRequest{Company: "Microsoft", CompanyLevel: "62", JobFamily: "data-scientist"},
			func(r normalize.Row, o market.Observation) bool {
				return o.Company == "Microsoft" && o.CompanyLevel == "62" && o.Family == "data-scientist"
			}},
		{"cohort: software engineer IC3 in Seattle", &pb.GetMarketStatsRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA"},
			func(r normalize.Row, o market.Observation) bool {
				return o.Family == "software-engineer" && o.Level == "IC3" && o.Metro == "seattle"
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.DisableAging = true
			got, err := client.GetMarketStats(context.Background(), c.req)
			if err != nil {
				t.Fatal(err)
			}
			var total, base, equity, bonus []float64
			var companies, baseCompanies []string
			for _, r := range res.Rows {
				if o, _ := maps.Observation(r); c.match(r, o) {
					total, equity, bonus = append(total, r.Total), append(equity, r.Equity), append(bonus, r.Bonus)
					companies = append(companies, o.Company)
					if r.Base > 0 {
						base = append(base, r.Base)
						baseCompanies = append(baseCompanies, o.Company)
					}
				}
			}
			share := 1.0 // one company's statistics are unweighted
			if c.req.Company == "" {
				share = 0.25
			}
			if len(total) < 10 || int(got.GetTotal().GetCount()) != len(total) || int(got.GetBase().GetCount()) != len(base) {
				t.Fatalf("counts: server %d / %d, rows %d / %d", got.GetTotal().GetCount(), got.GetBase().GetCount(), len(total), len(base))
			}
			for _, s := range []struct {
				name      string
				stats     *pb.MarketStats
				values    []float64
				companies []string
			}{{"total", got.GetTotal(), total, companies}, {"base", got.GetBase(), base, baseCompanies},
				{"equity", got.GetEquity(), equity, companies}, {"bonus", got.GetBonus(), bonus, companies}} {
				weights := capWeights(s.companies, share)
				sum, wsum := 0.0, 0.0
				for i, v := range s.values {
					sum += weights[i] * v
					wsum += weights[i]
				}
				if want := math.Round(sum / wsum); s.stats.GetMean() != want || int(s.stats.GetCount()) != len(s.values) {
					t.Errorf("%s mean %v count %d, want %v and %d", s.name, s.stats.GetMean(), s.stats.GetCount(), want, len(s.values))
				}
				for q, v := range map[float64]*float64{0.1: s.stats.P10, 0.25: s.stats.P25, 0.5: s.stats.P50, 0.75: s.stats.P75, 0.9: s.stats.P90} {
					want := math.Round(type7(s.values, q))
					if share < 1 {
						want = math.Round(weightedType7(s.values, weights, q))
					}
					if v == nil || *v != want {
						t.Errorf("%s p%g = %v, want %v", s.name, q*100, ptrValue(v), want)
					}
				}
			}
			if got.GetEffectiveDate() != "" || got.GetAgingRatePercent() != 0 {
				t.Errorf("aging was on: %v %v", got.GetEffectiveDate(), got.GetAgingRatePercent())
			}
		})
	}
	// Aging on moves every figure up (the data is years old).
	aged, err := client.GetMarketStats(context.Background(), &pb.GetMarketStatsRequest{Company: "Google", CompanyLevel: "L5"})
	raw, err2 := client.GetMarketStats(context.Background(), &pb.GetMarketStatsRequest{Company: "Google", CompanyLevel: "L5", DisableAging: true})
	if err != nil || err2 != nil || aged.GetTotal().GetP50() <= raw.GetTotal().GetP50() {
		t.Errorf("aged p50 %v, raw %v (%v %v)", aged.GetTotal().GetP50(), raw.GetTotal().GetP50(), err, err2)
	}
}

// The bootstrap path of the README: on a fresh loopback server the first key is made
// without one; from then on keys are required, and the CLI sends them.
func TestKeysBootstrap(t *testing.T) {
	addr, _ := startServer(t)
	code, key, errs := cli(t, "keys", "create", "--server", addr, "--org", "platform", "--role", "platform-admin", "--name", "first")
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "pmx_") || !strings.Contains(errs, "shown only now") {
		t.Fatalf("bootstrap: exit %d, %q, %s", code, key, errs)
	}
	if code, _, errs := cli(t, "keys", "list", "--server", addr, "--org", "platform"); code != 1 || !strings.Contains(errs, "Unauthenticated") {
		t.Errorf("without a key after the first: exit %d %s", code, errs)
	}
	code, out, errs := cli(t, "keys", "list", "--server", addr, "--key", key, "--org", "platform")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "NAME ROLE STATE DISPLAY NAME MADE BY" ||
		strings.Join(strings.Fields(lines[1])[1:], " ") != "platform-admin active first" {
		t.Errorf("list: exit %d %q %s", code, out, errs)
	}
	if code, _, errs := cli(t, "keys", "create", "--server", addr, "--key", key, "--org", "acme", "--role", "admin"); code != 1 || !strings.Contains(errs, "NotFound") {
		t.Errorf("a key for a missing organisation: exit %d %s", code, errs)
	}
	name := strings.Fields(lines[1])[0]
	// The only platform-admin key cannot go: nobody could manage the platform again.
	if code, _, errs := cli(t, "keys", "revoke", "--server", addr, "--key", key, name); code != 1 || !strings.Contains(errs, "LAST_PLATFORM_ADMIN") && !strings.Contains(errs, "no active platform-admin key") {
		t.Errorf("revoking the last platform admin: exit %d %s", code, errs)
	}
	// Rotated: a second key takes the first one's place.
	_, second, _ := cli(t, "keys", "create", "--server", addr, "--key", key, "--org", "platform", "--role", "platform-admin", "--name", "second")
	second = strings.TrimSpace(second)
	_, out, _ = cli(t, "keys", "list", "--server", addr, "--key", second, "--org", "platform")
	var secondName string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if f := strings.Fields(l); f[0] != name {
			secondName = f[0]
		}
	}
	if code, out, errs := cli(t, "keys", "revoke", "--server", addr, "--key", key, "--transfer-to", secondName, name); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("revoke: exit %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, "keys", "list", "--server", addr, "--key", key, "--org", "platform"); code != 1 || !strings.Contains(errs, "Unauthenticated") {
		t.Errorf("a revoked key still works: exit %d %s", code, errs)
	}
	if code, _, errs := cli(t, "keys", "list", "--server", addr, "--key", second, "--org", "platform"); code != 0 {
		t.Errorf("the key that took over: exit %d %s", code, errs)
	}
}

func TestOffersCLI(t *testing.T) {
	addr, _ := startServer(t)
	code, out, errs := cli(t, "offers", "evaluate", "--server", addr, filepath.Join("..", "..", "docs", "examples", "offer.yaml"))
	if code != 0 || !strings.Contains(out, "$475,000") || !strings.Contains(out, "21.05%") || !strings.Contains(out, "$18,363") || !strings.Contains(out, "TOKEN_SHARE_HIGH") {
		t.Errorf("evaluate: exit %d\n%s%s", code, out, errs)
	}
	// The band's warnings are printed: the demo market is synthetic.
	if !strings.Contains(out, "the band behind the positions:") || !strings.Contains(out, "SYNTHETIC_DATA") || strings.Contains(out, "negotiation base") {
		t.Errorf("evaluate does not pass on the band's warnings:\n%s", out)
	}
	// An offer without a bonus has no place in the bonus range; the total is labelled.
	nobonus := filepath.Join(t.TempDir(), "nobonus.yaml")
	os.WriteFile(nobonus, []byte("jobFamily: software-engineer\nlevel: IC3\nlocation: Seattle, WA\nbase: 200000\n"), 0o644)
	_, js, _ := cli(t, "offers", "evaluate", "--server", addr, "--json", nobonus)
	var ev pb.EvaluateOfferResponse
	if err := protojson.Unmarshal([]byte(js), &ev); err != nil {
		t.Fatal(err)
	}
	for _, p := range ev.GetEvaluation().GetPositions() {
		if p.GetComponent() == pb.Component_COMPONENT_UNSPECIFIED {
			t.Errorf("a position without a component: %v", p)
		}
		if p.GetValue() == 0 && (p.RangePenetration != nil || p.CompaRatio != nil) {
			t.Errorf("a component the offer does not have is placed in its range: %v", p)
		}
	}
	if ps := ev.GetEvaluation().GetPositions(); len(ps) == 0 || ps[len(ps)-1].GetComponent() != pb.Component_COMPONENT_TOTAL {
		t.Errorf("the total's position: %v", ps)
	}
	code, out, errs = cli(t, "offers", "compare", "--server", addr, filepath.Join("..", "..", "docs", "examples", "compare.yaml"))
	if code != 0 || !strings.Contains(out, "$300k base, $400k back-loaded grant is worth the most") ||
		!strings.Contains(out, "$440k base is worth more even at 100% utilisation") || !strings.Contains(out, "271.94%") || !strings.Contains(out, "90.65% personal value share") {
		t.Errorf("compare: exit %d\n%s%s", code, out, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"jobFamily":"software-engineer","level":"IC3","location":"Seattle, WA","base":1,"equity":{"grantValue":1,"vestingSchedule":[10]}}`), 0o644)
	if code, _, errs := cli(t, "offers", "evaluate", "--server", addr, bad); code != 1 || !strings.Contains(errs, "offer.equity.vesting_schedule") {
		t.Errorf("bad offer: exit %d %s", code, errs)
	}
}

// The CLI's CSV rows hold the same bands as RecommendBand one by one.
func TestBandsCLIMatchesOneByOne(t *testing.T) {
	addr, conn := startServer(t)
	dir := t.TempDir()
	queries := filepath.Join(dir, "queries.csv")
	var q strings.Builder
	q.WriteString("job_family,level,location,target_percentile\n")
	places := []string{"San Francisco, CA", "Seattle, WA", "London, United Kingdom", "Omaha, NE", "Atlantis"}
	for i, p := range places {
		for _, l := range []string{"IC1", "IC3", "M2"} {
			fmt.Fprintf(&q, "software-engineer,%s,%q,%d\n", l, p, 40+i*5)
		}
	}
	os.WriteFile(queries, []byte(q.String()), 0o644)
	out := filepath.Join(dir, "bands.csv")
	code, _, errs := cli(t, "bands", "--server", addr, "--queries", queries, "--out", out)
	if code != 0 || !strings.Contains(errs, "15 bands written") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, _ := os.Open(out)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 16 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	client := pb.NewBandServiceClient(conn)
	checked := 0
	for _, row := range rows[1:] {
		req := &pb.RecommendBandRequest{JobFamily: row[col["job_family"]], Level: row[col["level"]], Location: row[col["location"]]}
		for i, p := range places {
			if p == req.Location {
				req.TargetPercentile = proto.Float64(float64(40 + i*5))
			}
		}
		one, err := client.RecommendBand(context.Background(), req)
		if err != nil {
			if row[col["error"]] == "" || !strings.Contains(err.Error(), row[col["error"]][:20]) {
				t.Errorf("%v: error %v, row says %q", row[:3], err, row[col["error"]])
			}
			continue
		}
		b := one.GetBand()
		for i, c := range []string{"base", "equity", "bonus", "tokens"} {
			comp := b.GetComponents()[i]
			if row[col[c+"_min"]] != num(comp.GetMin()) || row[col[c+"_mid"]] != num(comp.GetMid()) || row[col[c+"_max"]] != num(comp.GetMax()) ||
				row[col[c+"_p50"]] != opt(comp.P50) {
				t.Errorf("%v %s: row %v, band %v", row[:3], c, row[col[c+"_min"]:col[c+"_max"]+1], comp)
			}
		}
		if row[col["total_mid"]] != num(b.GetTotal().GetMid()) || row[col["count"]] != strconv.Itoa(int(b.GetProvenance().GetCount())) {
			t.Errorf("%v: total %s count %s", row[:3], row[col["total_mid"]], row[col["count"]])
		}
		// The scope and place beside the count are of the cohort used.
		fb := b.GetProvenance().GetFallback()
		if row[col["scope"]] != strings.ToLower(strings.TrimPrefix(fb.GetUsedScope().String(), "GEO_SCOPE_")) || row[col["place"]] != fb.GetUsedLocationId() ||
			row[col["requested_scope"]] != strings.ToLower(strings.TrimPrefix(fb.GetRequestedScope().String(), "GEO_SCOPE_")) {
			t.Errorf("%v: scope %s place %s requested %s, band used %v", row[:3], row[col["scope"]], row[col["place"]], row[col["requested_scope"]], fb)
		}
		if row[col["total_without_tokens_mid"]] != num(b.GetTotalWithoutTokens().GetMid()) || row[col["token_share_percent"]] != num(b.GetTokens().GetShareOfTotalPercent()) {
			t.Errorf("%v: without tokens %s, token share %s", row[:3], row[col["total_without_tokens_mid"]], row[col["token_share_percent"]])
		}
		checked++
	}
	// 15 queries: M2 is not a software-engineer level (5 errors), Atlantis is nowhere (2).
	if checked != 8 {
		t.Errorf("%d bands checked, want 8", checked)
	}
	// A grid in YAML, to JSON lines.
	grid := filepath.Join(dir, "grid.yaml")
	os.WriteFile(grid, []byte("jobFamilies: [software-engineer]\nlevels: [IC2, IC3]\nlocations: [\"Seattle, WA\"]\ntokenPolicy: {mode: TOKEN_MODE_NONE}\n"), 0o644)
	code, stdout, errs := cli(t, "bands", "--server", addr, "--grid", grid, "--format", "jsonl")
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); code != 0 || len(lines) != 2 || !strings.Contains(lines[0], `"band"`) {
		t.Errorf("grid: exit %d %q %s", code, stdout, errs)
	}
	// A server error: exit 1 with its message, and no output file.
	code, _, errs = cli(t, "bands", "--server", addr, "--grid", grid, "--key", "pmx_broken", "--out", filepath.Join(dir, "none.csv"))
	if _, err := os.Stat(filepath.Join(dir, "none.csv")); code == 0 || err == nil {
		t.Errorf("bad grid: exit %d %s", code, errs)
	}
}

// StreamBands over every cohort of the shared real data set completes.
func TestBandsAllSharedCohorts(t *testing.T) {
	needShared(t)
	addr, conn := startServer(t)
	importJSON(t, addr)
	cohorts, err := pb.NewMarketServiceClient(conn).ListCohorts(context.Background(), &pb.ListCohortsRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "all.csv")
	start := time.Now()
	code, _, errs := cli(t, "bands", "--server", addr, "--all", "--out", out)
	data, _ := os.ReadFile(out)
	rows := strings.Count(string(data), "\n") - 1
	if code != 0 || rows != int(cohorts.GetTotalSize()) {
		t.Errorf("exit %d, %d rows for %d cohorts: %s", code, rows, cohorts.GetTotalSize(), errs)
	}
	t.Logf("%d cohorts of the shared data in %v", rows, time.Since(start))
}

func ptrValue(v *float64) any {
	if v == nil {
		return "absent"
	}
	return *v
}
