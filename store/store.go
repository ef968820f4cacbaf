// Package store is paymix's persistence behind one interface: datasets and their rows,
// and the level and location maps users upload. Backends live in sub-packages
// (store/sqlite, the embedded default) and all pass the one conformance suite in
// store/storetest. Nothing here is on the hot path of a band: the server loads rows
// into a market snapshot and answers from memory.
package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/paymix/paymix/planner/normalize"
)

var (
	// ErrNotFound: no such dataset.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a ready dataset already has this checksum, or a dataset this
	// request id.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the caller's input is wrong (a bad page token, a duplicated entry).
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable: the store cannot be reached (a shared store's server is down).
	ErrUnavailable = errors.New("the store is unreachable")
	// ErrFull: the store has no room left (its disk, or its quota, is full); nothing
	// of the failed write was kept.
	ErrFull = errors.New("the store is full")
)

// State of a dataset.
type State string

const (
	// Pending: rows are being written; invisible to List and Get, purged at start-up.
	Pending State = "pending"
	// Ready: the import finished; the dataset is immutable from now on.
	Ready State = "ready"
)

// Dataset is one import's metadata.
type Dataset struct {
	ID          string
	DisplayName string
	Format      string // levelsfyi, paymix-csv, paymix-jsonl, builtin
	Owner       string // "shared", or an organisation
	State       State
	Synthetic   bool
	Active      bool
	Weight      float64
	Checksum    string // hex SHA-256 of the content; empty for the built-in dataset
	RequestID   string // the import's idempotency key, if any
	ImportTime  time.Time
	// Row counts and report dates, set when the import commits.
	RowsAccepted, RowsRejected, RowsUnmapped, RowsExcluded int
	DataStart, DataEnd                                     time.Time
}

// Store is the persistence of paymix. Implementations are safe for concurrent use.
type Store interface {
	// CreatePending records a new dataset in state Pending. ErrConflict when its
	// request id is taken.
	CreatePending(ctx context.Context, d Dataset) error
	// AppendRows adds rows to a pending dataset.
	AppendRows(ctx context.Context, id string, rows []normalize.Row) error
	// Commit makes a pending dataset Ready with its final counts, dates, checksum and
	// request id in one state change; with deactivateSynthetic, synthetic datasets are
	// deactivated in the same transaction. ErrConflict when a ready dataset has the same checksum (the
	// pending one is left for the caller to Abort).
	Commit(ctx context.Context, d Dataset, deactivateSynthetic bool) error
	// Abort deletes a pending dataset and its rows.
	Abort(ctx context.Context, id string) error
	// PurgePending deletes every pending dataset: leftovers of imports that died.
	PurgePending(ctx context.Context) (int, error)
	// EnsureBuiltin records a built-in dataset (no rows) unless it exists, keeping
	// whatever activation it has.
	EnsureBuiltin(ctx context.Context, d Dataset) error

	// Get returns a ready dataset; ErrNotFound otherwise.
	Get(ctx context.Context, id string) (Dataset, error)
	// FindByChecksum and FindByRequestID return the ready dataset with that checksum
	// or request id; ErrNotFound otherwise.
	FindByChecksum(ctx context.Context, checksum string) (Dataset, error)
	FindByRequestID(ctx context.Context, requestID string) (Dataset, error)
	// List returns ready datasets, newest first, at most limit of them after the
	// page token; next is empty on the last page.
	List(ctx context.Context, limit int, pageToken string) (page []Dataset, next string, err error)
	// Delete deletes a ready dataset and its rows; ErrNotFound when there is none.
	Delete(ctx context.Context, id string) error
	// SetActive activates (with a weight) or deactivates a ready dataset.
	SetActive(ctx context.Context, id string, active bool, weight float64) (Dataset, error)
	// EachRow calls fn with each of a dataset's rows in row order, reading them as it
	// goes (a dataset may be larger than memory); an error of fn stops the scan and is
	// returned. ErrNotFound when there is no such dataset.
	EachRow(ctx context.Context, id string, fn func(*normalize.Row) error) error

	// PutLevelMap replaces the uploaded level map of one company.
	PutLevelMap(ctx context.Context, company string, entries []normalize.LevelEntry) error
	// LevelMaps returns every uploaded level entry, by company then level.
	LevelMaps(ctx context.Context) ([]normalize.LevelEntry, error)
	// PutLocations adds or replaces uploaded location entries by their text.
	PutLocations(ctx context.Context, entries []normalize.LocationEntry) error
	// Locations returns every uploaded location entry, by text.
	Locations(ctx context.Context) ([]normalize.LocationEntry, error)

	Tenancy

	Close() error
}

// etagOf is a revision's etag; the creation time keeps a re-created policy's etags
// apart from those of the one deleted before it.
func etagOf(revision int64, created time.Time) string {
	return "r" + strconv.FormatInt(revision, 10) + "-" + strconv.FormatInt(created.UnixNano()%1e9, 36)
}
