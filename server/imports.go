package server

import (
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/state"
)

// maxImportBytes bounds the file as sent (gzip stays compressed). An import streams,
// so this only ends a stream that never would; the rows of a file are bounded by
// --import-max-rows.
const maxImportBytes = 32 << 30

var formats = map[pb.ImportFormat]ingest.Format{
	pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI:    ingest.LevelsFyi,
	pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV:   ingest.PaymixCSV,
	pb.ImportFormat_IMPORT_FORMAT_PAYMIX_JSONL: ingest.PaymixJSONL,
}

// formatName is a format's name in metrics: one of a fixed set.
func formatName(f pb.ImportFormat) string {
	if name, ok := formats[f]; ok {
		return name.String()
	}
	return "unspecified"
}

func formatProto(name string) pb.ImportFormat {
	for p, f := range formats {
		if f.String() == name {
			return p
		}
	}
	return pb.ImportFormat_IMPORT_FORMAT_UNSPECIFIED
}

// defaultImportIdle is --import-idle-timeout's default: a client that stops sending
// would otherwise hold one of the import slots for as long as it stays connected.
const defaultImportIdle = 60 * time.Second

func errImportIdle(idle time.Duration) error {
	return &planner.Error{Kind: planner.KindDeadlineExceeded, Reason: "IMPORT_IDLE", Message: fmt.Sprintf(
		"the import sent nothing for %s (the server's --import-idle-timeout) and was ended; nothing was stored", idle)}
}

// ImportBenchmarks streams the file, as its chunks arrive, into the application's
// import; the first message is the header. A stream idle for s.idle ends.
func (s *marketService) ImportBenchmarks(stream grpc.ClientStreamingServer[pb.ImportBenchmarksRequest, pb.ImportBenchmarksResponse]) error {
	start, format := time.Now(), "unspecified"
	res, err := s.importBenchmarks(stream, &format)
	s.imported(format, time.Since(start), res, err)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&pb.ImportBenchmarksResponse{Dataset: datasetProto(res.Dataset, s.app.Current()), Summary: summaryProto(res.Summary)})
}

func (s *marketService) importBenchmarks(stream grpc.ClientStreamingServer[pb.ImportBenchmarksRequest, pb.ImportBenchmarksResponse], format *string) (state.ImportResult, error) {
	var none state.ImportResult
	type received struct {
		msg *pb.ImportBenchmarksRequest
		err error
	}
	got := make(chan received, 1)
	go func() {
		msg, err := stream.Recv()
		got <- received{msg, err}
	}()
	var first *pb.ImportBenchmarksRequest
	var err error
	select {
	case r := <-got:
		first, err = r.msg, r.err
	case <-time.After(s.idle):
		return none, errImportIdle(s.idle) // ending the call ends the Recv
	}
	if err == io.EOF {
		return none, planner.Invalid(planner.Violation{Field: "header", Description: "the import sent nothing; its first message must be its header"})
	}
	if err != nil {
		return none, err
	}
	h := first.GetHeader()
	if h == nil {
		return none, planner.Invalid(planner.Violation{Field: "header", Description: "the first message of an import must be its header"})
	}
	*format = formatName(h.GetFormat())
	header := state.ImportHeader{
		Format: formats[h.GetFormat()], Strict: h.GetMode() == pb.ImportMode_IMPORT_MODE_STRICT, DisplayName: h.GetDisplayName(),
		RequestID: h.GetRequestId(), TolerancePercent: h.TotalTolerancePercent, ExcludeOutliers: h.GetExcludeOutliers(), KeepDemo: h.GetKeepDemo(),
	}
	pr, pw := io.Pipe()
	defer pr.CloseWithError(io.ErrClosedPipe) // stop the reader goroutine's writes
	// The import reads the pipe; an idle stream closes it with the error, which ends
	// the import and with it the call (and the Recv below).
	idle := time.AfterFunc(s.idle, func() { pw.CloseWithError(&state.BodyError{Err: errImportIdle(s.idle)}) })
	defer idle.Stop()
	go func() {
		received := 0
		for {
			// Only the wait for the client counts: a slow store does not end an import.
			idle.Reset(s.idle)
			msg, err := stream.Recv()
			idle.Stop()
			if err == io.EOF {
				pw.Close()
				return
			}
			if err != nil {
				pw.CloseWithError(&state.BodyError{Err: err})
				return
			}
			if msg.GetHeader() != nil {
				pw.CloseWithError(&state.BodyError{Err: planner.Invalid(planner.Violation{Field: "header", Description: "an import has one header, first"})})
				return
			}
			if received += len(msg.GetChunk()); received > maxImportBytes {
				pw.CloseWithError(&state.BodyError{Err: &planner.Error{Kind: planner.KindResourceExhausted, Reason: "FILE_TOO_LARGE",
					Message: fmt.Sprintf("the file is larger than %d GiB", maxImportBytes>>30)}})
				return
			}
			if _, err := pw.Write(msg.GetChunk()); err != nil {
				return // the import stopped reading; its error is returned
			}
		}
	}()
	return s.app.Import(stream.Context(), header, pr)
}

func summaryProto(s state.ImportSummary) *pb.ImportSummary {
	out := &pb.ImportSummary{
		Duplicate: s.Duplicate, RowsRead: int32(s.RowsRead), RowsAccepted: int32(s.RowsAccepted), RowsRejected: int32(s.RowsRejected),
		RowsUnmapped: int32(s.RowsUnmapped), RowsExcluded: int32(s.RowsExcluded), UnmappedLevel: int32(s.UnmappedLevel),
		UnmappedLocation: int32(s.UnmappedLocation), UnmappedTitle: int32(s.UnmappedTitle), DroppedColumns: s.DroppedColumns,
		IssuesTruncated: s.IssuesTruncated,
	}
	for _, r := range s.RejectedByReason {
		out.RejectedByReason = append(out.RejectedByReason, &pb.ReasonCount{Reason: r.Reason, Count: int32(r.Count)})
	}
	for _, is := range s.Issues {
		out.Issues = append(out.Issues, &pb.RowIssue{Row: int32(is.Row), Column: is.Column, Reason: is.Reason, Message: is.Message, Excluded: is.Excluded})
	}
	return out
}
