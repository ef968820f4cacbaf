package state

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

// An import holds its whole file in memory while it runs, so both the number of
// imports at once and (in the transport) the size of a file are bounded.
const MaxConcurrentImports = 2

// importBatch is how many rows go into the store per transaction: the pending dataset
// grows in steps, and a crash between two leaves a pending leftover that the next
// start purges.
const importBatch = 2000

// maxIssues bounds the row issues returned with an import.
const maxIssues = 10000

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

// Import reads a file, validates and normalises it, and stores it as a pending
// dataset made ready by one commit at the end; the market then includes it.
func (s *Service) Import(ctx context.Context, h ImportHeader, body io.Reader) (ImportResult, error) {
	if !s.marketLoaded() {
		return ImportResult{}, ErrLoading
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
	res, err := ingest.Read(body, h.Format, ingest.Options{TolerancePercent: h.TolerancePercent})
	if err != nil {
		var pe *planner.Error
		if errors.As(err, &pe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return ImportResult{}, err
		}
		var be *BodyError
		if errors.As(err, &be) {
			return ImportResult{}, be.Err // the stream failed, not the file
		}
		return ImportResult{}, planner.Invalid(planner.Violation{Field: "Chunk", Description: "the file cannot be read: " + err.Error()})
	}
	summary, kept := summarise(res, s.Current().Maps, h.ExcludeOutliers)
	if h.Strict && summary.RowsRejected > 0 {
		return ImportResult{}, strictRejection(summary)
	}
	if d, err := s.store.FindByChecksum(ctx, res.Checksum); err == nil {
		return duplicate(d), nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return ImportResult{}, err
	}
	checksum := res.Checksum
	d, err := s.save(ctx, h, res, summary, kept)
	// An import reads a whole file into memory once; hand that back to the system
	// now rather than hold it until the collector's scavenger gets to it.
	res, kept = nil, nil
	defer debug.FreeOSMemory()
	if errors.Is(err, store.ErrConflict) {
		// A concurrent import of the same content (or request id) won.
		if d, ferr := s.store.FindByChecksum(ctx, checksum); ferr == nil {
			return duplicate(d), nil
		}
		return ImportResult{}, &planner.Error{Kind: planner.KindAborted, Reason: "IMPORT_IN_PROGRESS",
			Message: "an import with this request id is in progress; retry later"}
	}
	if err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Dataset: d, Summary: summary}, nil
}

// save writes an import as a pending dataset, commits it and publishes the next state.
// Whatever fails before the commit removes the pending dataset again.
func (s *Service) save(ctx context.Context, h ImportHeader, res *ingest.Result, sum ImportSummary, kept []bool) (store.Dataset, error) {
	now := s.now().UTC()
	name := h.DisplayName
	if name == "" {
		name = fmt.Sprintf("%s import of %s", h.Format, now.Format(time.DateOnly))
	}
	d := store.Dataset{
		ID: newDatasetID(), DisplayName: name, Format: h.Format.String(), Owner: OwnerShared,
		Active: true, Weight: 1, Checksum: res.Checksum, RequestID: h.RequestID, ImportTime: now,
	}
	if err := s.store.CreatePending(ctx, d); err != nil {
		return d, err
	}
	committed := false
	defer func() {
		if !committed {
			// The caller may be gone: clean up on a context of our own.
			actx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.store.Abort(actx, d.ID); err != nil {
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
		if err := s.store.AppendRows(ctx, d.ID, rows[start:min(start+importBatch, len(rows))]); err != nil {
			return d, err
		}
	}
	d.RowsAccepted, d.RowsRejected = sum.RowsAccepted, sum.RowsRejected
	d.RowsUnmapped, d.RowsExcluded = sum.RowsUnmapped, sum.RowsExcluded
	d.DataStart, d.DataEnd = dateRange(rows, func(r normalize.Row) time.Time { return r.Reported })
	// The import builds its own part, so that publishing it reads nothing back; if the
	// maps change meanwhile, the rebuild normalises the rows again.
	cur := s.Current()
	pb := newPartBuilder(cur.Maps, len(rows))
	for i := range rows {
		pb.add(&rows[i])
	}
	part := pb.build(s.today(), cur.mapsFingerprint)
	rows = nil
	err := s.change(ctx, rebuildMarket, func() error {
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
		if err := s.store.Commit(ctx, d, deactivate); err != nil {
			return err
		}
		committed = true
		if part.maps == s.market.mapsFingerprint {
			s.parts[d.ID] = part
			s.persistPart(d, part)
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	return s.store.Get(ctx, d.ID)
}

// summarise normalises the rows to count what is unmapped, applies the opt-in outlier
// rule, and reports every issue. kept says which rows are stored.
func summarise(res *ingest.Result, maps *normalize.Maps, excludeOutliers bool) (ImportSummary, []bool) {
	sum := ImportSummary{RowsRead: res.RowsRead, RowsRejected: len(res.Issues), DroppedColumns: res.Dropped}
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
		slices.SortStableFunc(issues, func(a, b ingest.Issue) int { return cmp.Compare(a.Row, b.Row) })
	}
	sum.RowsAccepted = len(res.Rows) - sum.RowsExcluded
	byReason := map[string]int{}
	for _, is := range res.Issues {
		byReason[is.Reason]++
	}
	for reason, n := range byReason {
		sum.RejectedByReason = append(sum.RejectedByReason, ReasonCount{Reason: reason, Count: n})
	}
	slices.SortFunc(sum.RejectedByReason, func(a, b ReasonCount) int { return cmp.Compare(a.Reason, b.Reason) })
	if len(issues) > maxIssues {
		issues, sum.IssuesTruncated = issues[:maxIssues], true
	}
	sum.Issues = issues
	return sum, kept
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
