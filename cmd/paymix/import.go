package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// chunkSize is the size of one streamed chunk of the file.
const chunkSize = 256 << 10

const importUsage = `Usage: paymix import [flags] FILE

Streams a market data file (Levels.fyi CSV, or paymix CSV / JSON lines; a .gz file is
sent as is) to the server, which stores it as one dataset and says what it did with
every row.`

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("paymix import", importUsage, stdout, stderr)
	fs := cmd.fs
	conn := addConnFlags(fs)
	format := fs.String("format", "levelsfyi", "levelsfyi, or paymix (CSV, or JSON lines for .jsonl / .ndjson files)")
	mode := fs.String("mode", "lenient", "strict (any bad row rejects the file) or lenient (bad rows are reported and skipped)")
	name := fs.String("name", "", "a name for the dataset (default: the file's name)")
	requestID := fs.String("request-id", "", "idempotency key; retries reuse it (default: a new one per run)")
	keepDemo := fs.Bool("keep-demo", false, "keep the built-in synthetic demo data active")
	outliers := fs.Bool("exclude-outliers", false, "exclude totals outside Tukey's far fences within each family x level x country group")
	tolerance := fs.Float64("tolerance", 10, "percent a total may differ from base + equity + bonus")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if code, ok := cmd.parse(args); !ok {
		return code
	}
	if len(cmd.args) != 1 {
		return cmd.usageError("give one FILE")
	}
	toleranceSet := false
	cmd.fs.Visit(func(f *flag.Flag) { toleranceSet = toleranceSet || f.Name == "tolerance" })
	path := cmd.args[0]
	header := &pb.ImportHeader{DisplayName: *name, RequestId: *requestID, KeepDemo: *keepDemo, ExcludeOutliers: *outliers}
	var err error
	if header.Format, err = importFormat(*format, path); err != nil {
		return cmd.usageError("%v", err)
	}
	switch *mode {
	case "strict":
		header.Mode = pb.ImportMode_IMPORT_MODE_STRICT
	case "lenient":
		header.Mode = pb.ImportMode_IMPORT_MODE_LENIENT
	default:
		return cmd.usageError("--mode must be strict or lenient, not %q", *mode)
	}
	if toleranceSet {
		header.TotalTolerancePercent = tolerance
	}
	if header.DisplayName == "" {
		header.DisplayName = filepath.Base(path)
	}
	if header.RequestId == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		header.RequestId = "cli-" + hex.EncodeToString(b[:])
	}

	if _, err := os.Stat(path); err != nil {
		return cmd.localError(err)
	}
	cc, err := conn.dial()
	if err != nil {
		return cmd.localError(err)
	}
	defer cc.Close()
	client := pb.NewMarketServiceClient(cc)

	var resp *pb.ImportBenchmarksResponse
	// An unavailable server (starting, restarting) is retried with the same request
	// id, so a retry never makes a second dataset.
	for attempt := 1; ; attempt++ {
		resp, err = send(ctx, client, header, path, progressTo(stderr))
		if status.Code(err) != codes.Unavailable || attempt == 4 {
			break
		}
		fmt.Fprintf(stderr, "server unavailable, retrying (%d/3)...\n", attempt)
		select {
		case <-time.After(time.Duration(attempt) * time.Second):
		case <-ctx.Done():
			return 1
		}
	}
	if err != nil {
		if _, ok := status.FromError(err); !ok {
			return cmd.localError(err) // the file, not the server
		}
		return cmd.serverError(err)
	}
	if *asJSON {
		b, _ := protojson.MarshalOptions{Multiline: true, EmitDefaultValues: true}.Marshal(resp)
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	printSummary(stdout, resp)
	return 0
}

// terminal returns w as a terminal file, or false for pipes and files: progress is for
// people, and stays out of what scripts read.
func terminal(w io.Writer) (*os.File, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return nil, false
	}
	st, err := f.Stat()
	return f, err == nil && st.Mode()&os.ModeCharDevice != 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func importFormat(format, path string) (pb.ImportFormat, error) {
	switch format {
	case "levelsfyi":
		return pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI, nil
	case "paymix":
		base := strings.TrimSuffix(strings.ToLower(path), ".gz")
		if strings.HasSuffix(base, ".jsonl") || strings.HasSuffix(base, ".ndjson") {
			return pb.ImportFormat_IMPORT_FORMAT_PAYMIX_JSONL, nil
		}
		return pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV, nil
	}
	return 0, fmt.Errorf("--format must be levelsfyi or paymix, not %q", format)
}

// send streams the file: the header, then chunks, reporting progress.
func send(ctx context.Context, client pb.MarketServiceClient, header *pb.ImportHeader, path string, progress func(done, total int64)) (*pb.ImportBenchmarksResponse, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	stream, err := client.ImportBenchmarks(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: header}}); err != nil {
		_, err = stream.CloseAndRecv() // the server's own error says more
		return nil, err
	}
	buf := make([]byte, chunkSize)
	var done int64
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			if err := stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: buf[:n]}}); err != nil {
				break // the server answered early (a duplicate) or failed: CloseAndRecv tells which
			}
			done += int64(n)
			progress(done, info.Size())
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	resp, err := stream.CloseAndRecv()
	progress(-1, info.Size())
	return resp, err
}

// progressTo draws a progress bar on a terminal and nothing in a pipe; done < 0 ends it.
func progressTo(w io.Writer) func(done, total int64) {
	f, ok := terminal(w)
	if !ok {
		return func(int64, int64) {}
	}
	last := time.Time{}
	return func(done, total int64) {
		if done < 0 {
			fmt.Fprint(f, "\r\033[K")
			return
		}
		if time.Since(last) < 100*time.Millisecond && done < total {
			return
		}
		last = time.Now()
		frac := 1.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		const width = 30
		bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
		label := "uploading"
		if done >= total {
			label = "processing"
		}
		fmt.Fprintf(f, "\r[%s] %3.0f%% %.1f/%.1f MB %s", bar, frac*100, float64(done)/1e6, float64(total)/1e6, label)
	}
}

func printSummary(w io.Writer, resp *pb.ImportBenchmarksResponse) {
	d, s := resp.GetDataset(), resp.GetSummary()
	if s.GetDuplicate() {
		fmt.Fprintf(w, "already imported: %s (%q); nothing new stored\n", d.GetName(), d.GetDisplayName())
		return
	}
	fmt.Fprintf(w, "dataset    %s (%q), active %v\n", d.GetName(), d.GetDisplayName(), d.GetActive())
	fmt.Fprintf(w, "rows       %d read, %d accepted, %d rejected, %d excluded\n", s.GetRowsRead(), s.GetRowsAccepted(), s.GetRowsRejected(), s.GetRowsExcluded())
	fmt.Fprintf(w, "unmapped   %d rows kept out of cohorts (level %d, location %d, title %d)\n",
		s.GetRowsUnmapped(), s.GetUnmappedLevel(), s.GetUnmappedLocation(), s.GetUnmappedTitle())
	for _, r := range s.GetRejectedByReason() {
		fmt.Fprintf(w, "rejected   %-20s %d\n", r.GetReason(), r.GetCount())
	}
	if len(s.GetDroppedColumns()) > 0 {
		fmt.Fprintf(w, "dropped    demographic columns, never stored: %s\n", strings.Join(s.GetDroppedColumns(), ", "))
	}
	for i, is := range s.GetIssues() {
		if i == 5 {
			fmt.Fprintf(w, "           ... %d more (see --json)\n", len(s.GetIssues())-5)
			break
		}
		fmt.Fprintf(w, "row %-6d %s: %s %s\n", is.GetRow(), is.GetColumn(), is.GetReason(), is.GetMessage())
	}
}

// printError prints a server error with its field violations.
func printError(w io.Writer, cmd string, err error) {
	st := status.Convert(err)
	msg := st.Message()
	// The message ends with the field violations, which are listed below one a line:
	// print them once.
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			parts := make([]string, len(br.GetFieldViolations()))
			for i, v := range br.GetFieldViolations() {
				parts[i] = v.GetField() + ": " + v.GetDescription()
			}
			msg = strings.TrimSuffix(msg, ": "+strings.Join(parts, "; "))
		}
	}
	fmt.Fprintf(w, "%s: %s: %s\n", cmd, st.Code(), msg)
	// A plaintext client of a TLS server, or the reverse, sees the connection fail
	// with no word of TLS.
	if st.Code() == codes.Unavailable && (strings.Contains(msg, "server preface") || strings.Contains(msg, "handshake") ||
		strings.Contains(msg, "first record does not look like a TLS handshake") || strings.Contains(msg, "certificate")) {
		fmt.Fprintf(w, "  (does the server use TLS? connect with --tls or --ca FILE, and --cert/--cert-key when it requires a client certificate)\n")
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for i, v := range br.GetFieldViolations() {
				if i == 20 {
					fmt.Fprintf(w, "  ... %d more\n", len(br.GetFieldViolations())-20)
					break
				}
				fmt.Fprintf(w, "  %s: %s\n", v.GetField(), v.GetDescription())
			}
		}
	}
}
