package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

// importBatch is how many rows go into the store per transaction: the pending
// dataset grows in steps, and a crash between two leaves a pending leftover that the
// next start purges.
const importBatch = 2000

// maxIssues bounds the row issues returned with an import.
const maxIssues = 10000

// An import holds its whole file in memory while it runs, so both its size and the
// number of imports at once are bounded.
const (
	maxImportBytes       = 512 << 20 // of the file as sent (gzip stays compressed)
	maxConcurrentImports = 2
)

var formats = map[pb.ImportFormat]ingest.Format{
	pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI:    ingest.LevelsFyi,
	pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV:   ingest.PaymixCSV,
	pb.ImportFormat_IMPORT_FORMAT_PAYMIX_JSONL: ingest.PaymixJSONL,
}

func formatProto(name string) pb.ImportFormat {
	for p, f := range formats {
		if f.String() == name {
			return p
		}
	}
	return pb.ImportFormat_IMPORT_FORMAT_UNSPECIFIED
}

// ImportBenchmarks reads the streamed file whole, validates and normalises it, and
// stores it as a pending dataset made ready by one commit at the end.
func (s *marketService) ImportBenchmarks(stream grpc.ClientStreamingServer[pb.ImportBenchmarksRequest, pb.ImportBenchmarksResponse]) error {
	ctx := stream.Context()
	pub, err := s.data.state()
	if err != nil {
		return err
	}
	if !s.slots.TryAcquire(1) {
		return status.Errorf(codes.ResourceExhausted, "%d imports are already running; retry when one finishes", maxConcurrentImports)
	}
	defer s.slots.Release(1)
	first, err := stream.Recv()
	if err == io.EOF {
		return planner.Invalid(planner.Violation{Field: "header", Description: "the import sent nothing; its first message must be its header"})
	}
	if err != nil {
		return err
	}
	h := first.GetHeader()
	if h == nil {
		return planner.Invalid(planner.Violation{Field: "header", Description: "the first message of an import must be its header"})
	}
	if h.GetRequestId() != "" {
		if d, err := s.data.store.FindByRequestID(ctx, h.GetRequestId()); err == nil {
			return stream.SendAndClose(duplicate(d))
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}

	// The file streams through a pipe into the parser as chunks arrive.
	pr, pw := io.Pipe()
	go func() {
		received := 0
		for {
			msg, err := stream.Recv()
			if err == io.EOF {
				pw.Close()
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			if msg.GetHeader() != nil {
				pw.CloseWithError(planner.Invalid(planner.Violation{Field: "header", Description: "an import has one header, first"}))
				return
			}
			if received += len(msg.GetChunk()); received > maxImportBytes {
				pw.CloseWithError(status.Errorf(codes.ResourceExhausted, "the file is larger than %d MiB", maxImportBytes>>20))
				return
			}
			if _, err := pw.Write(msg.GetChunk()); err != nil {
				return // the parser stopped; its error is returned
			}
		}
	}()
	opt := ingest.Options{TolerancePercent: h.TotalTolerancePercent}
	res, err := ingest.Read(pr, formats[h.GetFormat()], opt)
	pr.CloseWithError(io.ErrClosedPipe) // stop the reader goroutine's writes
	if err != nil {
		var pe *planner.Error
		if errors.As(err, &pe) || status.Code(err) != codes.Unknown {
			return err
		}
		return planner.Invalid(planner.Violation{Field: "chunk", Description: "the file cannot be read: " + err.Error()})
	}

	summary, kept := summarise(res, pub.maps, h.GetExcludeOutliers())
	if h.GetMode() == pb.ImportMode_IMPORT_MODE_STRICT && summary.RowsRejected > 0 {
		return strictRejection(summary)
	}
	if d, err := s.data.store.FindByChecksum(ctx, res.Checksum); err == nil {
		return stream.SendAndClose(duplicate(d))
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	checksum := res.Checksum
	d, err := s.save(ctx, h, res, summary, kept)
	// An import reads a whole file into memory once; hand that back to the system
	// now rather than hold it until the collector's scavenger gets to it.
	res, kept = nil, nil
	defer debug.FreeOSMemory()
	if errors.Is(err, store.ErrConflict) {
		// A concurrent import of the same content (or request id) won.
		if d, ferr := s.data.store.FindByChecksum(ctx, checksum); ferr == nil {
			return stream.SendAndClose(duplicate(d))
		}
		return status.Error(codes.Aborted, "an import with this request id is in progress; retry later")
	}
	if err != nil {
		return err
	}
	return stream.SendAndClose(&pb.ImportBenchmarksResponse{Dataset: datasetProto(d), Summary: summary})
}

// save writes an import as a pending dataset, commits it and rebuilds the snapshot.
// Whatever fails after the pending dataset exists removes it again.
func (s *marketService) save(ctx context.Context, h *pb.ImportHeader, res *ingest.Result, sum *pb.ImportSummary, kept []bool) (store.Dataset, error) {
	now := s.now().UTC()
	name := h.GetDisplayName()
	if name == "" {
		name = fmt.Sprintf("%s import of %s", formats[h.GetFormat()], now.Format(time.DateOnly))
	}
	d := store.Dataset{
		ID: newDatasetID(), DisplayName: name, Format: formats[h.GetFormat()].String(), Owner: ownerShared,
		Active: true, Weight: 1, Checksum: res.Checksum, RequestID: h.GetRequestId(), ImportTime: now,
	}
	if err := s.data.store.CreatePending(ctx, d); err != nil {
		return d, err
	}
	committed := false
	defer func() {
		if !committed {
			// The caller may be gone: clean up on a context of our own.
			actx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.data.store.Abort(actx, d.ID); err != nil {
				s.log.Error("aborting a failed import", "dataset", d.ID, "err", err)
			}
		}
	}()
	var rows []normalize.Row
	for i, r := range res.Rows {
		if kept[i] {
			rows = append(rows, r)
		}
	}
	for start := 0; start < len(rows); start += importBatch {
		if err := s.data.store.AppendRows(ctx, d.ID, rows[start:min(start+importBatch, len(rows))]); err != nil {
			return d, err
		}
	}
	d.RowsAccepted, d.RowsRejected = int(sum.RowsAccepted), int(sum.RowsRejected)
	d.RowsUnmapped, d.RowsExcluded = int(sum.RowsUnmapped), int(sum.RowsExcluded)
	d.DataStart, d.DataEnd = dateRange(rows, func(r normalize.Row) time.Time { return r.Reported })
	err := s.data.change(ctx, func() error {
		// The first real import takes the synthetic demo data out of the market,
		// unless the caller keeps it.
		deactivate := false
		if !h.GetKeepDemo() {
			all, err := allDatasets(ctx, s.data.store)
			if err != nil {
				return err
			}
			deactivate = !slices.ContainsFunc(all, func(x store.Dataset) bool { return !x.Synthetic })
		}
		if err := s.data.store.Commit(ctx, d, deactivate); err != nil {
			return err
		}
		committed = true
		s.data.rows[d.ID] = rows
		return nil
	})
	if err != nil && !committed {
		return d, err
	}
	if err != nil {
		s.log.Error("rebuilding the snapshot after an import", "dataset", d.ID, "err", err)
	}
	stored, gerr := s.data.store.Get(ctx, d.ID)
	if gerr != nil {
		return d, gerr
	}
	return stored, err
}

// summarise normalises the rows to count what is unmapped, applies the opt-in outlier
// rule, and reports every issue. kept says which rows are stored.
func summarise(res *ingest.Result, maps *normalize.Maps, excludeOutliers bool) (*pb.ImportSummary, []bool) {
	sum := &pb.ImportSummary{RowsRead: int32(res.RowsRead), RowsRejected: int32(len(res.Issues)), DroppedColumns: res.Dropped}
	obs := make([]market.Observation, len(res.Rows))
	for i, r := range res.Rows {
		var u normalize.Unmapped
		obs[i], u = maps.Observation(r)
		if u.Any() {
			sum.RowsUnmapped++
		}
		if u.Level {
			sum.UnmappedLevel++
		}
		if u.Location {
			sum.UnmappedLocation++
		}
		if u.Family {
			sum.UnmappedTitle++
		}
	}
	issues := res.Issues
	kept := make([]bool, len(res.Rows))
	for i := range kept {
		kept[i] = true
	}
	if excludeOutliers {
		for _, i := range ingest.Outliers(obs) {
			kept[i] = false
			r := res.Rows[i]
			issues = append(issues, ingest.Issue{Row: r.RowNumber, Column: "total", Reason: ingest.ReasonOutlier, Excluded: true,
				Message: fmt.Sprintf("total %g lies outside the far fences of its %s %s %s group", r.Total, obs[i].Family, obs[i].Level, obs[i].Country)})
			sum.RowsExcluded++
		}
		sort.SliceStable(issues, func(a, b int) bool { return issues[a].Row < issues[b].Row })
	}
	sum.RowsAccepted = int32(len(res.Rows)) - sum.RowsExcluded
	byReason := map[string]int32{}
	for _, is := range res.Issues {
		byReason[is.Reason]++
	}
	for reason, n := range byReason {
		sum.RejectedByReason = append(sum.RejectedByReason, &pb.ReasonCount{Reason: reason, Count: n})
	}
	sort.Slice(sum.RejectedByReason, func(a, b int) bool { return sum.RejectedByReason[a].Reason < sum.RejectedByReason[b].Reason })
	for i, is := range issues {
		if i == maxIssues {
			sum.IssuesTruncated = true
			break
		}
		sum.Issues = append(sum.Issues, &pb.RowIssue{Row: int32(is.Row), Column: is.Column, Reason: is.Reason, Message: is.Message, Excluded: is.Excluded})
	}
	return sum, kept
}

// strictRejection refuses a strict import whole, naming its bad rows.
func strictRejection(sum *pb.ImportSummary) error {
	var vs []planner.Violation
	for _, is := range sum.Issues {
		if is.Excluded {
			continue
		}
		if len(vs) == 100 {
			break
		}
		vs = append(vs, planner.Violation{Field: fmt.Sprintf("rows[%d].%s", is.Row, is.Column), Description: is.Reason + ": " + is.Message})
	}
	reasons := ""
	for i, r := range sum.RejectedByReason {
		if i > 0 {
			reasons += ", "
		}
		reasons += fmt.Sprintf("%d %s", r.Count, r.Reason)
	}
	return &planner.Error{Kind: planner.KindInvalidArgument, Reason: "STRICT_IMPORT_REJECTED", Violations: vs,
		Message: fmt.Sprintf("strict import rejected whole, nothing stored: %d of %d rows are bad (%s)", sum.RowsRejected, sum.RowsRead, reasons)}
}

func duplicate(d store.Dataset) *pb.ImportBenchmarksResponse {
	return &pb.ImportBenchmarksResponse{Dataset: datasetProto(d), Summary: &pb.ImportSummary{
		Duplicate: true, RowsAccepted: int32(d.RowsAccepted), RowsRejected: int32(d.RowsRejected),
		RowsUnmapped: int32(d.RowsUnmapped), RowsExcluded: int32(d.RowsExcluded),
	}}
}

func newDatasetID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "ds-" + hex.EncodeToString(b[:])
}
