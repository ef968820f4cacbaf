package state

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

// MaxConcurrentImports bounds the imports running at once. An import streams its file
// (rows go to the store in batches as they are read), so its own memory is bounded
// whatever the file's size; what grows with the file is the market part it builds.
const MaxConcurrentImports = 2

// importBatch is how many rows go into the store per transaction: the pending dataset
// grows in steps, and a crash between two leaves a pending leftover that the next
// start purges.
const importBatch = 2000

// maxIssues bounds the row issues returned with an import: each quotes at most 100
// characters of a cell, so the answer stays under 1 MB, well within gRPC's 4 MiB;
// rejected_by_reason counts every one.
const maxIssues = 1000

// ImportHeader describes an import.
type ImportHeader struct {
	Format           ingest.Format
	Strict           bool // refuse the whole file if any row is bad
	DisplayName      string
	RequestID        string   // idempotency key: a retry returns the first dataset
	TolerancePercent *float64 // how far a total may be off its parts, in percent; nil: the default
	ExcludeOutliers  bool
	KeepDemo         bool // keep the synthetic demo active beside the first real import
}

// ImportSummary says what happened to every row of an import.
type ImportSummary struct {
	Duplicate                                      bool // the content or request id was imported before
	RowsRead, RowsAccepted, RowsRejected           int
	RowsUnmapped, RowsExcluded                     int
	UnmappedLevel, UnmappedLocation, UnmappedTitle int
	DroppedColumns                                 []string
	RejectedByReason                               []ReasonCount
	Issues                                         []ingest.Issue
	IssuesTruncated                                bool
}

// ReasonCount is how many rows were rejected for one reason.
type ReasonCount struct {
	Reason string
	Count  int
}

// ImportResult is the dataset an import made (or found) and its summary.
type ImportResult struct {
	Dataset store.Dataset
	Summary ImportSummary
}

// BodyError marks an error of the import's byte stream itself (the connection broke,
// a size limit was reached), as opposed to its content; Import returns what it wraps.
type BodyError struct{ Err error }

func (e *BodyError) Error() string { return e.Err.Error() }
func (e *BodyError) Unwrap() error { return e.Err }

var errImportsBusy = &planner.Error{Kind: planner.KindResourceExhausted, Reason: "IMPORTS_BUSY",
	Message: fmt.Sprintf("%d imports are already running; retry when one finishes", MaxConcurrentImports)}

// Import reads a file, validates and normalises it as it arrives, and writes its rows
// to a pending dataset made ready by one commit at the end; the market then includes
// it. Whatever fails before the commit removes the pending dataset again.
func (s *Service) Import(ctx context.Context, h ImportHeader, body io.Reader) (ImportResult, error) {
	if !s.marketLoaded() {
		return ImportResult{}, ErrLoading
	}
	if err := s.writable(); err != nil {
		return ImportResult{}, err
	}
	select {
	case s.imports <- struct{}{}:
		defer func() { <-s.imports }()
	default:
		return ImportResult{}, errImportsBusy
	}
	if h.RequestID != "" {
		if d, err := s.store.FindByRequestID(ctx, h.RequestID); err == nil {
			return duplicate(d), nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return ImportResult{}, err
		}
	}
	now := s.now().UTC()
	name := h.DisplayName
	if name == "" {
		name = fmt.Sprintf("%s import of %s", h.Format, now.Format(time.DateOnly))
	}
	cur := s.Current()
	imp := &importer{s: s, ctx: ctx, strict: h.Strict, part: newPartBuilder(cur.Maps, 0), fingerprint: cur.mapsFingerprint,
		d: store.Dataset{ID: newDatasetID(), DisplayName: name, Format: h.Format.String(), Owner: OwnerShared,
			Active: true, Weight: 1, RequestID: h.RequestID, ImportTime: now}}
	if h.ExcludeOutliers {
		imp.fences = &ingest.Fences{}
	}
	if err := s.store.CreatePending(ctx, imp.d); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return ImportResult{}, errImportInProgress
		}
		return ImportResult{}, err
	}
	committed := false
	defer func() {
		// The caller may be gone: clean up on a context of our own.
		actx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if !committed {
			if err := s.store.Abort(actx, imp.d.ID); err != nil {
				s.log.Error("aborting a failed import", "dataset", imp.d.ID, "err", err)
			}
		}
		if imp.superseded != "" {
			if err := s.store.Abort(actx, imp.superseded); err != nil {
				s.log.Error("removing an import's rows before outlier exclusion", "dataset", imp.superseded, "err", err)
			}
		}
	}()
	res, err := ingest.Read(body, h.Format, ingest.Options{TolerancePercent: h.TolerancePercent,
		Limits: s.cfg.ImportLimits, MaxIssues: maxIssues, Accept: imp.accept})
	if err == nil {
		err = imp.flush()
	}
	if err != nil {
		var pe *planner.Error
		var be *BodyError
		var fe *ingest.FileError
		switch {
		case errors.As(err, &pe), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), imp.storeErr != nil:
			return ImportResult{}, err
		case errors.As(err, &be):
			return ImportResult{}, be.Err // the stream failed, not the file
		case errors.As(err, &fe):
			return ImportResult{}, &planner.Error{Kind: planner.KindInvalidArgument, Reason: fe.Reason, Message: "the file cannot be imported",
				Violations: []planner.Violation{{Field: "Chunk", Description: fe.Message}}}
		case errors.Is(err, ingest.ErrTooManyRows):
			return ImportResult{}, &planner.Error{Kind: planner.KindInvalidArgument, Reason: "TOO_MANY_ROWS",
				Violations: []planner.Violation{{Field: "Chunk", Description: err.Error() + " (the server's --import-max-rows); split the file"}}}
		}
		return ImportResult{}, planner.Invalid(planner.Violation{Field: "Chunk", Description: "the file cannot be read: " + err.Error()})
	}
	summary := imp.summary(res)
	if h.Strict && summary.RowsRejected > 0 {
		return ImportResult{}, strictRejection(summary)
	}
	if err := servesNothing(summary, imp.part); err != nil {
		return ImportResult{}, err
	}
	if d, err := s.store.FindByChecksum(ctx, res.Checksum); err == nil {
		return duplicate(d), nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return ImportResult{}, err
	}
	d := imp.d
	if imp.fences != nil {
		if d, err = imp.excludeOutliers(&summary); err != nil {
			return ImportResult{}, err
		}
	}
	d.Checksum = res.Checksum
	d.RowsAccepted, d.RowsRejected = summary.RowsAccepted, summary.RowsRejected
	d.RowsUnmapped, d.RowsExcluded = summary.RowsUnmapped, summary.RowsExcluded
	d.DataStart, d.DataEnd = imp.first, imp.last
	part := imp.part.build(s.today(), imp.fingerprint)
	imp.part = nil
	// Reading and indexing a large file leaves garbage the size of its part: hand it
	// back to the system now rather than when the scavenger gets to it.
	defer debug.FreeOSMemory()
	err = s.change(ctx, rebuildMarket, func() error {
		// The first real import takes the synthetic demo data out of the market,
		// unless the caller keeps it.
		deactivate := false
		if !h.KeepDemo {
			all, err := allDatasets(ctx, s.store)
			if err != nil {
				return err
			}
			deactivate = !slices.ContainsFunc(all, func(x store.Dataset) bool { return !x.Synthetic })
		}
		if imp.superseded != "" {
			// It holds the request id the commit gives to d.
			if err := s.store.Abort(ctx, imp.superseded); err != nil {
				return err
			}
			imp.superseded = ""
		}
		if err := s.store.Commit(ctx, d, deactivate); err != nil {
			return err
		}
		committed = true
		// The import built its own part, so that publishing it reads nothing back; if
		// the maps changed meanwhile, the rebuild normalises the rows again.
		if part.maps == s.market.mapsFingerprint {
			s.parts[d.ID] = part
			s.persistPart(d, part)
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		// A concurrent import of the same content (or request id) won.
		if d, ferr := s.store.FindByChecksum(ctx, res.Checksum); ferr == nil {
			return duplicate(d), nil
		}
		return ImportResult{}, errImportInProgress
	}
	if err != nil {
		return ImportResult{}, err
	}
	d, err = s.store.Get(ctx, d.ID)
	if err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Dataset: d, Summary: summary}, nil
}

var errImportInProgress = &planner.Error{Kind: planner.KindAborted, Reason: "IMPORT_IN_PROGRESS",
	Message: "an import with this request id is in progress; retry later"}

// importer takes an import's good rows as they are read: it normalises them into the
// dataset's part and writes them to the pending dataset in batches.
type importer struct {
	s           *Service
	ctx         context.Context
	d           store.Dataset
	strict      bool
	part        *partBuilder
	fingerprint string
	fences      *ingest.Fences // with ExcludeOutliers
	superseded  string         // the pending dataset outlier exclusion copied from
	batch       []normalize.Row
	storeErr    error // the store failed: reported as it is, not as the file's fault
	first, last time.Time
	kept        int
	unmapped    struct{ any, level, location, title int }
}

func (imp *importer) accept(r *normalize.Row, res *ingest.Result) error {
	if imp.strict && res.Rejected > 0 {
		return nil // refused whole at the end: read on only to count what is wrong
	}
	u := imp.part.add(r)
	if u.Any() {
		imp.unmapped.any++
	}
	if u.Level {
		imp.unmapped.level++
	}
	if u.Location {
		imp.unmapped.location++
	}
	if u.Family {
		imp.unmapped.title++
	}
	if imp.fences != nil {
		imp.fences.Add(imp.part.last())
	}
	if imp.kept == 0 || r.Reported.Before(imp.first) {
		imp.first = r.Reported
	}
	if imp.kept == 0 || r.Reported.After(imp.last) {
		imp.last = r.Reported
	}
	imp.kept++
	imp.batch = append(imp.batch, *r)
	if len(imp.batch) == importBatch {
		return imp.flush()
	}
	return nil
}

func (imp *importer) flush() error {
	if len(imp.batch) == 0 {
		return nil
	}
	if err := imp.s.store.AppendRows(imp.ctx, imp.d.ID, imp.batch); err != nil {
		imp.storeErr = err
		return err
	}
	imp.batch = imp.batch[:0]
	return nil
}

// summary says what happened to every row read.
func (imp *importer) summary(res *ingest.Result) ImportSummary {
	sum := ImportSummary{RowsRead: res.RowsRead, RowsRejected: res.Rejected, DroppedColumns: res.Dropped,
		RowsAccepted: imp.kept, RowsUnmapped: imp.unmapped.any, UnmappedLevel: imp.unmapped.level,
		UnmappedLocation: imp.unmapped.location, UnmappedTitle: imp.unmapped.title,
		Issues: res.Issues, IssuesTruncated: res.IssuesTruncated}
	for reason, n := range res.ByReason {
		sum.RejectedByReason = append(sum.RejectedByReason, ReasonCount{Reason: reason, Count: n})
	}
	slices.SortFunc(sum.RejectedByReason, func(a, b ReasonCount) int { return cmp.Compare(a.Reason, b.Reason) })
	return sum
}

// excludeOutliers applies the opt-in outlier rule once the whole file is known: the
// kept rows are copied from the pending dataset into a new one, and the part is built
// again from them. The copy streams too.
func (imp *importer) excludeOutliers(sum *ImportSummary) (store.Dataset, error) {
	excluded := imp.fences.Excluded()
	imp.fences = nil
	if len(excluded) == 0 {
		return imp.d, nil
	}
	s, ctx := imp.s, imp.ctx
	from := imp.d
	to := from
	to.ID = newDatasetID()
	// The request id stays with the first pending dataset, which holds it against a
	// concurrent retry, until the commit gives it to this one.
	to.RequestID = ""
	if err := s.store.CreatePending(ctx, to); err != nil {
		return from, err
	}
	to.RequestID = from.RequestID
	// From here the import's cleanup removes the new dataset unless it commits, and
	// the first one in any case.
	imp.d, imp.superseded = to, from.ID
	maps := imp.part.maps
	imp.part = newPartBuilder(maps, imp.kept-len(excluded))
	imp.kept, imp.unmapped.any, imp.unmapped.level, imp.unmapped.location, imp.unmapped.title = 0, 0, 0, 0, 0
	var issues []ingest.Issue
	i, next := 0, 0 // row index among the good rows, next excluded index
	err := s.store.EachRow(ctx, from.ID, func(r *normalize.Row) error {
		defer func() { i++ }()
		if next < len(excluded) && excluded[next] == i {
			next++
			o, _ := maps.Observation(*r)
			issues = append(issues, ingest.Issue{Row: r.RowNumber, Column: "total", Reason: ingest.ReasonOutlier, Excluded: true,
				Message: fmt.Sprintf("total %g lies outside the far fences of its %s %s %s group", r.Total, o.Family, o.Level, o.Country)})
			return nil
		}
		return imp.accept(r, &ingest.Result{})
	})
	if err == nil {
		err = imp.flush()
	}
	if err != nil {
		return to, err
	}
	sum.RowsExcluded = len(excluded)
	sum.RowsAccepted = imp.kept
	sum.RowsUnmapped, sum.UnmappedLevel = imp.unmapped.any, imp.unmapped.level
	sum.UnmappedLocation, sum.UnmappedTitle = imp.unmapped.location, imp.unmapped.title
	all := append(sum.Issues, issues...)
	slices.SortStableFunc(all, func(a, b ingest.Issue) int { return cmp.Compare(a.Row, b.Row) })
	if len(all) > maxIssues {
		all, sum.IssuesTruncated = all[:maxIssues], true
	}
	sum.Issues = all
	return to, nil
}

// strictRejection refuses a strict import whole, naming its bad rows.
func strictRejection(sum ImportSummary) error {
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

func duplicate(d store.Dataset) ImportResult {
	return ImportResult{Dataset: d, Summary: ImportSummary{Duplicate: true, RowsAccepted: d.RowsAccepted, RowsRejected: d.RowsRejected,
		RowsUnmapped: d.RowsUnmapped, RowsExcluded: d.RowsExcluded}}
}

func newDatasetID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "ds-" + hex.EncodeToString(b[:])
}

// servesNothing refuses an import that would serve no band: nothing is stored, and
// what is active (the demo too) stays so.
func servesNothing(sum ImportSummary, part *partBuilder) error {
	if sum.RowsAccepted == 0 {
		return &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "NO_ROWS_ACCEPTED", Message: fmt.Sprintf(
			"the file has no row to import (%d read, %d rejected); nothing was stored", sum.RowsRead, sum.RowsRejected)}
	}
	if n := part.b.LargestCohort(); n < planner.DefaultMinSample {
		return &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "NO_COHORT_SERVED", Message: fmt.Sprintf(
			"no cohort of the file reaches the minimum sample of %d (the largest has %d rows; of %d accepted rows %d are unmapped: level %d, location %d, title %d%s); "+
				"upload a level or location map for them, then import again; nothing was stored",
			planner.DefaultMinSample, n, sum.RowsAccepted, sum.RowsUnmapped, sum.UnmappedLevel, sum.UnmappedLocation, sum.UnmappedTitle, topUnmapped(part.unmapped))}
	}
	return nil
}

// topUnmapped names the company levels with the most unmapped rows, five at most, so
// that a refused import says which level maps to write.
func topUnmapped(counts map[[2]string]int) string {
	levels := slices.Collect(maps.Keys(counts))
	slices.SortFunc(levels, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	var out strings.Builder
	for i, l := range levels[:min(5, len(levels))] {
		if i == 0 {
			out.WriteString("; most rows: ")
		} else {
			out.WriteString(", ")
		}
		fmt.Fprintf(&out, "%.60q %.30q (%d)", l[0], l[1], counts[l])
	}
	return out.String()
}
