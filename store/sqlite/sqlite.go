// Package sqlite is the embedded store: one SQLite file in a data directory, through
// a pure-Go driver (no cgo).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	sqlitedriver "modernc.org/sqlite" // also registers the "sqlite" driver

	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside the data directory.
const FileName = "paymix.db"

// Store is a store.Store on SQLite.
type Store struct {
	db   *sql.DB
	lock *os.File // holds the data directory for this process
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the database in dir and migrates it.
func Open(ctx context.Context, dir string) (*Store, error) {
	return OpenWith(ctx, dir, Options{})
}

// Options of a store.
type Options struct {
	// MaxPages, when set, bounds the database to that many pages (SQLite's
	// max_page_count): a quota that fails writes beyond it as a full disk would.
	MaxPages int
}

// OpenWith opens the database of a data directory with options.
func OpenWith(ctx context.Context, dir string, opt Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// One process per data directory: start-up purges pending imports, which would
	// destroy another process's import in flight.
	lock, err := os.OpenFile(filepath.Join(dir, "paymix.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("data directory %s is in use by another paymixd (%v)", dir, err)
	}
	path := filepath.Join(dir, FileName)
	if err := prepareFile(path); err != nil {
		lock.Close()
		return nil, err
	}
	// WAL keeps readers off the writer's back; synchronous NORMAL in WAL mode keeps
	// every committed transaction across a process crash; immediate transactions
	// take the write lock up front instead of failing to upgrade half-way.
	dsn := "file:" + path + "?_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
	if opt.MaxPages > 0 {
		dsn += fmt.Sprintf("&_pragma=max_page_count(%d)", opt.MaxPages)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s := &Store{db: db, lock: lock}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		if c := sqliteCode(err) & 0xff; c == 26 || c == 11 { // SQLITE_NOTADB, SQLITE_CORRUPT
			return nil, fmt.Errorf("%s is not a readable paymix database (%v): restore it from a backup, or move it away to start a fresh install", path, err)
		}
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	return s, nil
}

// hasWAL reports a write-ahead log with content: a new database's first writes live
// there until a checkpoint, while the file itself is still empty.
func hasWAL(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err == nil && fi.Size() > 0
}

// prepareFile refuses a database file that cannot be paymix's (empty, unreadable)
// rather than let SQLite start a fresh install over it, and keeps it, with its WAL
// and shared-memory files (SQLite gives them its mode), readable by the owner only:
// it holds pay data.
func prepareFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
		return f.Close()
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case fi.Size() == 0 && !hasWAL(path):
		return fmt.Errorf("%s is empty (0 bytes), so it is not a paymix database: restore it from a backup, or remove it to start a fresh install", path)
	}
	f, err := os.Open(path)
	if err == nil && fi.IsDir() {
		f.Close()
		err = errors.New("it is a directory")
	}
	if err != nil {
		return fmt.Errorf("%s cannot be read (%w): give paymixd's user read and write access to it", path, err)
	}
	f.Close()
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("%s is readable by others and cannot be made private: %w", path, err)
		}
	}
	return nil
}

// migrate applies the embedded migrations not applied yet, each in its transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	names, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Name() < names[j].Name() })
	for _, e := range names {
		version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: no version number", e.Name())
		}
		body, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", e.Name(), err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

// exec runs one statement outside a transaction.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	return res, classify(err)
}

// classify turns SQLITE_FULL (a full disk, or the database's page quota) into
// store.ErrFull, so that the caller is told to free space.
func classify(err error) error {
	if err != nil && sqliteCode(err)&0xff == 13 && !errors.Is(err, store.ErrFull) {
		return fmt.Errorf("%w: %v", store.ErrFull, err)
	}
	return err
}

// isUnique reports a unique-constraint failure: SQLITE_CONSTRAINT_UNIQUE (2067) or,
// for a primary key, SQLITE_CONSTRAINT_PRIMARYKEY (1555).
func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == 2067 || c == 1555
}

// sqliteCode is the extended result code of a driver error, 0 for other errors.
func sqliteCode(err error) int {
	var se *sqlitedriver.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

const datasetColumns = `id, display_name, format, owner, state, synthetic, active, weight, checksum, request_id,
	import_time, rows_accepted, rows_rejected, rows_unmapped, rows_excluded, data_start, data_end, seq`

func scanDataset(row interface{ Scan(...any) error }) (store.Dataset, int64, error) {
	var d store.Dataset
	var state, importTime, start, end string
	var seq int64
	err := row.Scan(&d.ID, &d.DisplayName, &d.Format, &d.Owner, &state, &d.Synthetic, &d.Active, &d.Weight,
		&d.Checksum, &d.RequestID, &importTime, &d.RowsAccepted, &d.RowsRejected, &d.RowsUnmapped, &d.RowsExcluded,
		&start, &end, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return d, 0, store.ErrNotFound
	}
	if err != nil {
		return d, 0, err
	}
	d.State = store.State(state)
	d.ImportTime, _ = time.Parse(time.RFC3339Nano, importTime)
	d.DataStart, _ = time.Parse(time.DateOnly, start)
	d.DataEnd, _ = time.Parse(time.DateOnly, end)
	return d, seq, nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func (s *Store) CreatePending(ctx context.Context, d store.Dataset) error {
	_, err := s.exec(ctx, `INSERT INTO datasets (id, display_name, format, owner, state, synthetic, active, weight,
		checksum, request_id, import_time) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
		d.ID, d.DisplayName, d.Format, d.Owner, d.Synthetic, d.Active, d.Weight, d.Checksum, d.RequestID,
		d.ImportTime.UTC().Format(time.RFC3339Nano))
	if isUnique(err) {
		return store.ErrConflict
	}
	return err
}

func (s *Store) AppendRows(ctx context.Context, id string, rows []normalize.Row) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM datasets WHERE id = ?`, id).Scan(&state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		if state != string(store.Pending) {
			return fmt.Errorf("dataset %s is %s: rows can only be added while pending", id, state)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO observations (dataset_id, row_number, company, company_level, title,
			location, reported_day, years_experience, years_at_company, base, equity, bonus, total, tokens)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, id, r.RowNumber, r.Company, r.CompanyLevel, r.Title, r.Location,
				r.Reported.Unix()/86400, r.YearsExperience, r.YearsAtCompany, r.Base, r.Equity, r.Bonus, r.Total, r.Tokens); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) Commit(ctx context.Context, d store.Dataset, deactivateSynthetic bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE datasets SET state = 'ready', checksum = ?, active = ?, weight = ?,
			rows_accepted = ?, rows_rejected = ?, rows_unmapped = ?, rows_excluded = ?, data_start = ?, data_end = ?,
			display_name = ?, request_id = ? WHERE id = ? AND state = 'pending'`,
			d.Checksum, d.Active, d.Weight, d.RowsAccepted, d.RowsRejected, d.RowsUnmapped, d.RowsExcluded,
			day(d.DataStart), day(d.DataEnd), d.DisplayName, d.RequestID, d.ID)
		if isUnique(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		if deactivateSynthetic {
			_, err = tx.ExecContext(ctx, `UPDATE datasets SET active = 0 WHERE synthetic = 1`)
		}
		return err
	})
}

// Rows go with their dataset: observations reference datasets ON DELETE CASCADE.

func (s *Store) Abort(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM datasets WHERE id = ? AND state = 'pending'`, id)
	return err
}

func (s *Store) PurgePending(ctx context.Context) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM datasets WHERE state = 'pending'`)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (s *Store) EnsureBuiltin(ctx context.Context, d store.Dataset) error {
	_, err := s.exec(ctx, `INSERT INTO datasets (id, display_name, format, owner, state, synthetic, active, weight,
		import_time, rows_accepted, data_start, data_end) VALUES (?, ?, ?, ?, 'ready', ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET rows_accepted = excluded.rows_accepted, data_start = excluded.data_start,
		data_end = excluded.data_end, display_name = excluded.display_name`,
		d.ID, d.DisplayName, d.Format, d.Owner, d.Synthetic, d.Active, d.Weight, d.ImportTime.UTC().Format(time.RFC3339Nano),
		d.RowsAccepted, day(d.DataStart), day(d.DataEnd))
	return err
}

func (s *Store) getWhere(ctx context.Context, where string, arg any) (store.Dataset, error) {
	d, _, err := scanDataset(s.db.QueryRowContext(ctx, `SELECT `+datasetColumns+` FROM datasets WHERE state = 'ready' AND `+where, arg))
	return d, err
}

func (s *Store) Get(ctx context.Context, id string) (store.Dataset, error) {
	return s.getWhere(ctx, `id = ?`, id)
}

func (s *Store) FindByChecksum(ctx context.Context, checksum string) (store.Dataset, error) {
	return s.getWhere(ctx, `checksum = ? AND checksum <> ''`, checksum)
}

func (s *Store) FindByRequestID(ctx context.Context, requestID string) (store.Dataset, error) {
	return s.getWhere(ctx, `request_id = ? AND request_id <> ''`, requestID)
}

func (s *Store) List(ctx context.Context, limit int, pageToken string) ([]store.Dataset, string, error) {
	if limit <= 0 {
		return nil, "", fmt.Errorf("%w: a page holds at least one dataset", store.ErrInvalid)
	}
	after := int64(1 << 62)
	if pageToken != "" {
		v, err := strconv.ParseInt(pageToken, 10, 64)
		if err != nil || v <= 0 {
			return nil, "", fmt.Errorf("%w: bad page token", store.ErrInvalid)
		}
		after = v
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+datasetColumns+` FROM datasets WHERE state = 'ready' AND seq < ?
		ORDER BY seq DESC LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []store.Dataset
	var seqs []int64
	for rows.Next() {
		d, seq, err := scanDataset(rows)
		if err != nil {
			return nil, "", err
		}
		out, seqs = append(out, d), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(seqs[limit-1], 10)
	}
	return out, next, nil
}

func (s *Store) Delete(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM datasets WHERE id = ? AND state = 'ready'`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (s *Store) SetActive(ctx context.Context, id string, active bool, weight float64) (store.Dataset, error) {
	res, err := s.exec(ctx, `UPDATE datasets SET active = ?, weight = ? WHERE id = ? AND state = 'ready'`, active, weight, id)
	if err != nil {
		return store.Dataset{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.Dataset{}, store.ErrNotFound
	}
	return s.Get(ctx, id)
}

func (s *Store) EachRow(ctx context.Context, id string, fn func(*normalize.Row) error) error {
	var exists int
	if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM datasets WHERE id = ?`, id).Scan(&exists); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT row_number, company, company_level, title, location, reported_day,
		years_experience, years_at_company, base, equity, bonus, total, tokens
		FROM observations WHERE dataset_id = ? ORDER BY row_number`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r normalize.Row
		var d int64
		if err := rows.Scan(&r.RowNumber, &r.Company, &r.CompanyLevel, &r.Title, &r.Location, &d,
			&r.YearsExperience, &r.YearsAtCompany, &r.Base, &r.Equity, &r.Bonus, &r.Total, &r.Tokens); err != nil {
			return err
		}
		r.Reported = time.Unix(d*86400, 0).UTC()
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) PutLevelMap(ctx context.Context, company string, entries []normalize.LevelEntry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM level_maps WHERE company = ?`, company); err != nil {
			return err
		}
		for _, e := range entries {
			variants, err := json.Marshal(append([]string{}, e.Variants...))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO level_maps (company, company_level, variants, ic, manager) VALUES (?, ?, ?, ?, ?)`,
				company, e.Level, string(variants), e.IC, e.Manager); err != nil {
				if isUnique(err) {
					return fmt.Errorf("%w: level %q appears twice", store.ErrInvalid, e.Level)
				}
				return err
			}
		}
		return nil
	})
}

func (s *Store) LevelMaps(ctx context.Context) ([]normalize.LevelEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT company, company_level, variants, ic, manager FROM level_maps ORDER BY company, company_level`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []normalize.LevelEntry
	for rows.Next() {
		var e normalize.LevelEntry
		var variants string
		if err := rows.Scan(&e.Company, &e.Level, &variants, &e.IC, &e.Manager); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(variants), &e.Variants); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) PutLocations(ctx context.Context, entries []normalize.LocationEntry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, e := range entries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO location_map (text, metro, zone, country) VALUES (?, ?, ?, ?)
				ON CONFLICT (text) DO UPDATE SET metro = excluded.metro, zone = excluded.zone, country = excluded.country`,
				e.Text, e.Metro, e.Zone, e.Country); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) Locations(ctx context.Context) ([]normalize.LocationEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT text, metro, zone, country FROM location_map ORDER BY text`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []normalize.LocationEntry
	for rows.Next() {
		var e normalize.LocationEntry
		if err := rows.Scan(&e.Text, &e.Metro, &e.Zone, &e.Country); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) Close() error {
	err := s.db.Close()
	s.lock.Close() // releases the data directory
	return err
}
