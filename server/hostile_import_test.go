package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/store"
	"github.com/paymix/paymix/store/sqlite"
)

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// Imports that would serve nothing are refused and change nothing: a header-only
// file in strict mode, and a file whose rows are all unmapped; the demo stays active
// and bands keep answering.
func TestImportsThatServeNothingAreRefused(t *testing.T) {
	s := start(t, nil).ready(t)
	strict := csvHeader()
	strict.Mode = pb.ImportMode_IMPORT_MODE_STRICT
	for _, c := range []struct {
		h      *pb.ImportHeader
		data   string
		reason string
		says   string
	}{
		{strict, "report_date,company,company_level,title,location,base\n", "NO_ROWS_ACCEPTED", "no row to import"},
		{csvHeader(), paymixCSV("Acme Corp", "P3", "Seattle, WA", 40), "NO_COHORT_SERVED", `"Acme Corp" "P3" (40)`},
	} {
		_, err := importData(t, s, c.h, c.data)
		if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != c.reason || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v", c.reason, err)
		}
	}
	list, err := pb.NewDatasetServiceClient(s.conn).ListDatasets(context.Background(), &pb.ListDatasetsRequest{})
	if err != nil || len(list.GetDatasets()) != 1 || !list.GetDatasets()[0].GetActive() {
		t.Fatalf("datasets after the refusals: %v %v", list, err)
	}
	if code, body := s.get(t, "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location=Seattle,%20WA"); code != 200 {
		t.Errorf("band after the refusals: HTTP %d %s", code, body)
	}
}

// A lenient import with one 50 MB cell ends at that line with LINE_TOO_LONG in a short
// answer, storing nothing; a 100 KiB cell rejects its row as FIELD_TOO_LONG, quoted by
// 100 characters, and the good rows are stored.
func TestOversizedCellAnswersSmall(t *testing.T) {
	s := start(t, nil).ready(t)
	good := paymixCSV("IC3", "", "Seattle, WA", 10)
	_, err := importData(t, s, csvHeader(), good+"2026-09-01,Google,"+strings.Repeat("L", 50<<20)+",Software Engineer,Seattle,1,1,1,0\n")
	if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "LINE_TOO_LONG" || !strings.Contains(err.Error(), "row 11 is longer than 1 MiB") || len(err.Error()) > 500 {
		t.Fatalf("a 50 MB cell: %.600v", err)
	}
	resp, err := importData(t, s, csvHeader(), good+"2026-09-01,Google,"+strings.Repeat("L", 100<<10)+",Software Engineer,Seattle,1,1,1,0\n")
	if err != nil {
		t.Fatal(err)
	}
	issues := resp.GetSummary().GetIssues()
	if resp.GetSummary().GetRowsAccepted() != 10 || len(issues) != 1 || issues[0].GetRow() != 11 || issues[0].GetReason() != "FIELD_TOO_LONG" {
		t.Fatalf("summary %v", resp.GetSummary())
	}
	if n := len(issues[0].GetMessage()); n > 300 {
		t.Errorf("the issue quotes %d bytes", n)
	}
	// Latin-1 text is rejected by row, and what is stored lists cleanly.
	latin1 := paymixCSV("IC3", "", "Austin, TX", 10) + "2026-09-01,Soci\xe9t\xe9 G\xe9n\xe9rale,L1,Software Engineer,Paris,1,1,1,0\n"
	resp, err = importData(t, s, csvHeaderKeepDemo(), latin1)
	if err != nil || resp.GetSummary().GetRejectedByReason()[0].GetReason() != "INVALID_UTF8" {
		t.Fatalf("latin-1: %v %v", resp, err)
	}
	if code, body := s.get(t, "/v1/market/unmappedLevels?pageSize=1000"); code != 200 {
		t.Errorf("unmapped levels: HTTP %d %s", code, body)
	}
}

// Two clients that send one chunk and go quiet are ended after the idle timeout with
// DeadlineExceeded, and their slots are free again: a third import runs.
func TestIdleImportsEnd(t *testing.T) {
	s := startWith(t, func(c *server.Config) { c.ImportIdleTimeout = 300 * time.Millisecond }).ready(t)
	errs := make(chan error, 3)
	for range 2 {
		stream, err := pb.NewMarketServiceClient(s.conn).ImportBenchmarks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: csvHeader()}})
		stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: []byte(paymixCSV("IC3", "", "Seattle, WA", 3))}})
		// The client sends nothing more and does not close its side; it waits.
		go func() { errs <- stream.RecvMsg(&pb.ImportBenchmarksResponse{}) }()
	}
	// A client that never sends its header ends too.
	silent, err := pb.NewMarketServiceClient(s.conn).ImportBenchmarks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	go func() { errs <- silent.RecvMsg(&pb.ImportBenchmarksResponse{}) }()
	for range 3 {
		select {
		case err := <-errs:
			if status.Code(err) != codes.DeadlineExceeded || reasonOf(err) != "IMPORT_IDLE" {
				t.Errorf("an idle import: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an idle import was never ended")
		}
	}
	if _, err := importData(t, s, csvHeader(), paymixCSV("IC3", "", "Seattle, WA", 10)); err != nil {
		t.Errorf("an import after the idle ones: %v", err)
	}
}

// fullPurgeStore fails the purge of unfinished imports, as a full disk would, until
// the test frees the disk.
type fullPurgeStore struct {
	store.Store
	tries *atomic.Int32
	freed *atomic.Bool
}

func (f fullPurgeStore) PurgePending(ctx context.Context) (int, error) {
	f.tries.Add(1)
	if !f.freed.Load() {
		return 0, fmt.Errorf("%w: database or disk is full", store.ErrFull)
	}
	return f.Store.PurgePending(ctx)
}

// A purge that fails at start does not stop paymixd: bands are served, changes
// answer Unavailable naming the cause (as /healthz does), and once a retry purges,
// changes are accepted again.
func TestStartSurvivesAFailedPurge(t *testing.T) {
	tries, freed := new(atomic.Int32), new(atomic.Bool)
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, dir, fullPurgeStore{Store: st, tries: tries, freed: freed}, func(c *server.Config) { c.PurgeRetry = 100 * time.Millisecond }).ready(t)
	if code, body := s.get(t, "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location=Seattle,%20WA"); code != 200 {
		t.Errorf("band: HTTP %d %s", code, body)
	}
	admin := pb.NewAdminServiceClient(s.conn)
	_, err = admin.CreateOrganization(context.Background(), &pb.CreateOrganizationRequest{OrganizationId: "acme"})
	if status.Code(err) != codes.Unavailable || reasonOf(err) != "STORE_READ_ONLY" || !strings.Contains(err.Error(), "database or disk is full") {
		t.Errorf("a change while read-only: %v", err)
	}
	if _, err := importData(t, s, csvHeader(), paymixCSV("IC3", "", "Seattle, WA", 10)); status.Code(err) != codes.Unavailable {
		t.Errorf("an import while read-only: %v", err)
	}
	if _, body := s.get(t, "/healthz"); !strings.Contains(string(body), `"store":"read-only: unfinished imports could not be purged`) {
		t.Errorf("healthz while read-only: %s", body)
	}
	freed.Store(true) // space is freed: the next retry purges
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = admin.CreateOrganization(context.Background(), &pb.CreateOrganizationRequest{OrganizationId: "acme"})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || tries.Load() < 2 {
		t.Errorf("after the purge succeeded (%d tries): %v", tries.Load(), err)
	}
	if _, body := s.get(t, "/healthz"); !strings.Contains(string(body), `"store":"ok"`) {
		t.Errorf("healthz after: %s", body)
	}
}

// An import that fills the disk (a page quota here, which fails writes with the same
// SQLITE_FULL) answers ResourceExhausted saying so, and leaves nothing behind.
func TestImportOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.OpenWith(context.Background(), dir, sqlite.Options{MaxPages: 300})
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, dir, st).ready(t)
	_, err = importData(t, s, csvHeader(), paymixCSV("IC3", "", "Seattle, WA", 30000))
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("import on a full disk: %v", err)
	}
	list, err := pb.NewDatasetServiceClient(s.conn).ListDatasets(context.Background(), &pb.ListDatasetsRequest{})
	if err != nil || len(list.GetDatasets()) != 1 {
		t.Errorf("datasets after: %v %v", list, err)
	}
	if code, body := s.get(t, "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location=Seattle,%20WA"); code != 200 {
		t.Errorf("band: HTTP %d %s", code, body)
	}
	// A smaller file still fits, once the failed one is gone.
	if _, err := importData(t, s, csvHeader(), paymixCSV("IC3", "", "Seattle, WA", 10)); err != nil {
		t.Errorf("a small import after: %v", err)
	}
}

// However many rows are bad, and however bad, the answer stays small: 5,000 rows of
// 100 bytes that are not UTF-8 answer 1,000 issues, truncated, counted by reason.
func TestManyBadRowsAnswerSmall(t *testing.T) {
	s := start(t, nil).ready(t)
	var b strings.Builder
	b.WriteString(paymixCSV("IC3", "", "Seattle, WA", 10))
	bad := strings.Repeat("\xff", 100)
	for range 5000 {
		b.WriteString("2026-09-01,Google," + bad + ",Software Engineer,Seattle,1,1,1,0\n")
	}
	resp, err := importData(t, s, csvHeader(), b.String())
	if err != nil {
		t.Fatal(err)
	}
	sum := resp.GetSummary()
	if len(sum.GetIssues()) != 1000 || !sum.GetIssuesTruncated() || sum.GetRowsRejected() != 5000 || sum.GetRejectedByReason()[0].GetCount() != 5000 {
		t.Fatalf("summary: %d issues, truncated %v, rejected %d, %v", len(sum.GetIssues()), sum.GetIssuesTruncated(), sum.GetRowsRejected(), sum.GetRejectedByReason())
	}
	if n := proto.Size(resp); n > 1<<20 {
		t.Errorf("the answer is %d bytes", n)
	}
}
