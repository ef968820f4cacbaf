package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

const bandsUsage = `Usage: paymix bands (--grid FILE | --queries FILE | --all) [--out FILE] [--format csv|jsonl]

  --grid FILE     JSON or YAML: {"jobFamilies": [...], "levels": [...], "locations": [...]}
                  and optionally targetPercentile, tokenPolicy, policy, policyName, effectiveDate
  --queries FILE  CSV with the columns job_family, level, location (and target_percentile)
  --all           every cohort the market holds

One row per query: the cohort, the scope and place the band was built on (after any
fallback) with its observation count, the fallback and the warnings, the total's
companies, largest company shares (of rows, and of weight after the cap) and
confidence grade, every component's min/mid/max and market percentiles, the total
without tokens and the token share; or the error in its place.

A CSV cell that begins with =, +, -, @, a tab or a carriage return is written with a
leading ' so that a spreadsheet shows it as text instead of running it as a formula
(OWASP's rule for CSV injection).
`

// batchSize is the most BatchRecommendBands takes at once.
const batchSize = 1000

func runBands(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("paymix bands", bandsUsage, stdout, stderr)
	fs := cmd.fs
	conn := addConnFlags(fs)
	grid := fs.String("grid", "", "a grid file (JSON or YAML)")
	queries := fs.String("queries", "", "a CSV file of queries")
	all := fs.Bool("all", false, "every cohort of the market")
	out := fs.String("out", "-", "output file (- for standard output)")
	format := fs.String("format", "", "csv or jsonl (default: from --out's extension, else csv)")
	policyName := fs.String("policy-name", "", "a stored policy for every band (organizations/ORG/policies/ID)")
	if code, ok := cmd.parse(args); !ok {
		return code
	}
	chosen := 0
	for _, set := range []bool{*grid != "", *queries != "", *all} {
		if set {
			chosen++
		}
	}
	if chosen != 1 {
		return cmd.usageError("give exactly one of --grid, --queries and --all")
	}
	if len(cmd.args) != 0 {
		return cmd.usageError("unexpected argument %q", cmd.args[0])
	}
	if *format == "" {
		*format = "csv"
		if strings.HasSuffix(*out, ".jsonl") {
			*format = "jsonl"
		}
	}
	if *format != "csv" && *format != "jsonl" {
		return cmd.usageError("--format must be csv or jsonl, not %q", *format)
	}
	for _, f := range []string{*grid, *queries} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				return cmd.localError(err)
			}
		}
	}
	cc, err := conn.dial()
	if err != nil {
		return cmd.localError(err)
	}
	defer cc.Close()
	client := pb.NewBandServiceClient(cc)

	var stream *pb.StreamBandsRequest
	if *queries == "" {
		stream = &pb.StreamBandsRequest{AllCohorts: *all}
		if *grid != "" {
			raw, rerr := readRequest(*grid, "")
			if rerr == nil {
				rerr = protojson.Unmarshal(raw, stream)
			}
			if rerr != nil {
				return cmd.localError(rerr)
			}
		}
		if *policyName != "" {
			stream.PolicyName = *policyName
		}
	}
	w, commit, abort, err := output(*out, stdout)
	if err != nil {
		return cmd.localError(err)
	}
	defer abort()
	rows := newRowWriter(w, *format)
	progress := counterTo(stderr)
	var n int
	if stream == nil {
		n, err = runQueries(ctx, client, *queries, *policyName, rows, progress)
	} else {
		n, err = runStream(ctx, client, stream, rows, progress)
	}
	if err == nil {
		err = rows.flush()
	}
	progress(-1, 0)
	if err != nil {
		if _, ok := status.FromError(err); !ok {
			return cmd.localError(err)
		}
		return cmd.serverError(err)
	}
	if err := commit(); err != nil {
		return cmd.localError(err)
	}
	fmt.Fprintf(stderr, "%d bands written\n", n)
	return 0
}

// output writes to standard output, or to a temporary file renamed over FILE only
// once everything is written: a failed run leaves no half-written file, and abort
// (deferred) removes the temporary file unless commit ran.
func output(path string, stdout io.Writer) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "-" {
		return stdout, func() error { return nil }, func() {}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".paymix-bands-*")
	if err != nil {
		return nil, nil, nil, err
	}
	done := false
	commit = func() error {
		if err := f.Chmod(0o644); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		done = true
		return os.Rename(f.Name(), path)
	}
	abort = func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}
	return f, commit, abort, nil
}

func runQueries(ctx context.Context, client pb.BandServiceClient, path, policyName string, rows *rowWriter, progress func(done, total int)) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"job_family", "level", "location"} {
		if _, ok := col[need]; !ok {
			return 0, fmt.Errorf("%s: the header lacks %s", path, need)
		}
	}
	var reqs []*pb.RecommendBandRequest
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		q := &pb.RecommendBandRequest{JobFamily: rec[col["job_family"]], Level: rec[col["level"]], Location: rec[col["location"]], PolicyName: policyName}
		if i, ok := col["target_percentile"]; ok && strings.TrimSpace(rec[i]) != "" {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if err != nil {
				return 0, fmt.Errorf("%s line %d: target_percentile %q is not a number", path, line, rec[i])
			}
			q.TargetPercentile = &v
		}
		reqs = append(reqs, q)
	}
	done := 0
	for start := 0; start < len(reqs); start += batchSize {
		resp, err := client.BatchRecommendBands(ctx, &pb.BatchRecommendBandsRequest{Requests: reqs[start:min(start+batchSize, len(reqs))]})
		if err != nil {
			return done, err
		}
		for _, res := range resp.GetResults() {
			if err := rows.write(res); err != nil {
				return done, err
			}
			done++
			progress(done, len(reqs))
		}
	}
	return done, nil
}

func runStream(ctx context.Context, client pb.BandServiceClient, req *pb.StreamBandsRequest, rows *rowWriter, progress func(done, total int)) (int, error) {
	stream, err := client.StreamBands(ctx, req)
	if err != nil {
		return 0, err
	}
	done := 0
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return done, nil
		}
		if err != nil {
			return done, err
		}
		if m.GetSummary() != nil {
			continue
		}
		if err := rows.write(m.GetItem()); err != nil {
			return done, err
		}
		done++
		progress(done, 0)
	}
}

// rowWriter writes band results as CSV or JSON lines.
type rowWriter struct {
	format  string
	w       io.Writer
	csv     *csv.Writer
	started bool
}

func newRowWriter(w io.Writer, format string) *rowWriter {
	return &rowWriter{format: format, w: w, csv: csv.NewWriter(w)}
}

var components = []string{"base", "equity", "bonus", "tokens", "total"}

// csvHeader names the columns of a band row.
func csvHeader() []string {
	// scope, place and count are of the cohort the band was built on (after any
	// fallback); requested_scope is the location's own.
	h := []string{"job_family", "level", "location", "error", "requested_scope", "scope", "place", "count", "fallback", "warnings",
		"companies", "largest_company_row_percent", "largest_company_weight_percent", "confidence"}
	for _, c := range components {
		for _, f := range []string{"min", "mid", "max", "p10", "p25", "p50", "p75", "p90"} {
			h = append(h, c+"_"+f)
		}
	}
	return append(h, "total_without_tokens_min", "total_without_tokens_mid", "total_without_tokens_max", "token_share_percent")
}

func (r *rowWriter) write(res *pb.BandResult) error {
	if r.format == "jsonl" {
		b, err := protojson.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(r.w, "%s\n", b)
		return err
	}
	if !r.started {
		r.started = true
		if err := r.csv.Write(csvHeader()); err != nil {
			return err
		}
	}
	return r.csv.Write(defuse(csvRow(res)))
}

// defuse prefixes ' to every cell a spreadsheet would read as a formula: one that
// begins with = + - @, a tab or a carriage return. Queries echo the caller's text
// (a location such as =HYPERLINK(...)), and the CSV is opened by people.
func defuse(row []string) []string {
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			row[i] = "'" + c
		}
	}
	return row
}

func (r *rowWriter) flush() error {
	r.csv.Flush()
	return r.csv.Error()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func opt(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

func csvRow(res *pb.BandResult) []string {
	row := []string{res.GetJobFamily(), res.GetLevel(), res.GetLocation()}
	b := res.GetBand()
	if b == nil {
		row = append(row, res.GetError().GetMessage())
		for len(row) < len(csvHeader()) {
			row = append(row, "")
		}
		return row
	}
	p := b.GetProvenance()
	fb := p.GetFallback()
	fallback := ""
	if fb.GetUsedScope() != fb.GetRequestedScope() {
		fallback = strings.ToLower(strings.TrimPrefix(fb.GetUsedScope().String(), "GEO_SCOPE_")) + " " + fb.GetUsedLocationId()
	}
	var warnings []string
	for _, w := range b.GetWarnings() {
		warnings = append(warnings, w.GetCode())
	}
	scope := func(s pb.GeoScope) string { return strings.ToLower(strings.TrimPrefix(s.String(), "GEO_SCOPE_")) }
	row = append(row, "", scope(fb.GetRequestedScope()), scope(fb.GetUsedScope()), fb.GetUsedLocationId(),
		strconv.Itoa(int(p.GetCount())), fallback, strings.Join(warnings, ";"))
	t := b.GetTotal()
	row = append(row, strconv.Itoa(int(t.GetCompanies())), num(t.GetLargestCompanyRowPercent()), num(t.GetLargestCompanyWeightPercent()),
		strings.ToLower(strings.TrimPrefix(t.GetConfidence().String(), "CONFIDENCE_")))
	for _, c := range b.GetComponents() {
		row = append(row, num(c.GetMin()), num(c.GetMid()), num(c.GetMax()), opt(c.P10), opt(c.P25), opt(c.P50), opt(c.P75), opt(c.P90))
	}
	row = append(row, num(t.GetMin()), num(t.GetMid()), num(t.GetMax()), opt(t.P10), opt(t.P25), opt(t.P50), opt(t.P75), opt(t.P90))
	w := b.GetTotalWithoutTokens()
	return append(row, num(w.GetMin()), num(w.GetMid()), num(w.GetMax()), num(b.GetTokens().GetShareOfTotalPercent()))
}

// counterTo shows how many bands are done on a terminal, and nothing in a pipe; done
// < 0 ends the line.
func counterTo(w io.Writer) func(done, total int) {
	f, ok := terminal(w)
	if !ok {
		return func(int, int) {}
	}
	last := time.Time{}
	return func(done, total int) {
		switch {
		case done < 0:
			fmt.Fprint(f, "\r\033[K")
		case time.Since(last) < 100*time.Millisecond:
		case total > 0:
			last = time.Now()
			fmt.Fprintf(f, "\r%d / %d bands (%.0f%%)", done, total, float64(done)/float64(total)*100)
		default:
			last = time.Now()
			fmt.Fprintf(f, "\r%d bands", done)
		}
	}
}
