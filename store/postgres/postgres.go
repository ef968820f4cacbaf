// Package postgres is the store shared by many replicas of paymixd: PostgreSQL through
// pgx (a pgxpool), migrated at start-up under an advisory lock. Every committed change
// moves the versions of state_version and is announced on the channel paymix_state
// (see Watch); a pending import holds a session advisory lock on its dataset for its
// whole life, so that a replica starting up purges only imports nobody is writing.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	url  string // for LISTEN connections of Watch

	mu      sync.Mutex
	pending map[string]*pgxpool.Conn // connections holding the lock of a pending import
}

var _ store.Store = (*Store)(nil)

// migrationLock serialises the migrations of replicas starting at once.
const migrationLock = 0x7061796d6978 // "paymix"

// Open connects to url (postgres://user@host:port/db?sslmode=...; PGPASSWORD and
// PGPASSFILE work as for psql) and applies the migrations not applied yet.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Redact(rawURL), redactErr(err))
	}
	// Each running import holds a connection for its lock, besides the writes and
	// reads of the others; pool_max_conns in the URL wins.
	if !strings.Contains(rawURL, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Redact(rawURL), redactErr(err))
	}
	s := &Store{pool: pool, url: rawURL, pending: map[string]*pgxpool.Conn{}}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrating %s: %w", Redact(rawURL), err)
	}
	return s, nil
}

// Redact is a database URL with its password replaced by ***, for logs and errors.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "***")
		u.RawQuery = q.Encode()
	}
	return strings.Replace(u.String(), "%2A%2A%2A", "***", -1)
}

// redactErr drops pgx's echo of the connection string from an error.
func redactErr(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New(pe.Unwrap().Error())
	}
	return err
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Name() < names[j].Name() })
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
			return err
		}
		for _, e := range names {
			version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
			if err != nil {
				return fmt.Errorf("migration %s: no version number", e.Name())
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			body, err := migrations.ReadFile("migrations/" + e.Name())
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", e.Name(), err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())`, version); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return wrap(pgx.BeginFunc(ctx, s.pool, fn))
}

// wrap turns connection failures into store.ErrUnavailable, so that writes answer
// Unavailable saying the store is unreachable.
func wrap(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if isConnError(err) {
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	// SQLSTATE 53100 disk_full, 53200 out_of_memory is not the caller's to fix.
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "53100" {
		return fmt.Errorf("%w: %v", store.ErrFull, err)
	}
	return err
}

// isConnError reports a lost or refused connection, or a server shutting down
// (SQLSTATE classes 08 and 57P): the store is unreachable, not wrong.
func isConnError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "conn closed") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "failed to connect")
}

func code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// lockKey is the advisory lock of a pending dataset, the same expression wherever
// it is taken.
const lockKey = `hashtextextended($1, 0)`

const datasetColumns = `id, display_name, format, owner, state, synthetic, active, weight, checksum, request_id,
	import_time, rows_accepted, rows_rejected, rows_unmapped, rows_excluded, data_start, data_end, seq`

func scanDataset(row pgx.Row) (store.Dataset, int64, error) {
	var d store.Dataset
	var state string
	var start, end *time.Time
	var seq int64
	err := row.Scan(&d.ID, &d.DisplayName, &d.Format, &d.Owner, &state, &d.Synthetic, &d.Active, &d.Weight,
		&d.Checksum, &d.RequestID, &d.ImportTime, &d.RowsAccepted, &d.RowsRejected, &d.RowsUnmapped, &d.RowsExcluded,
		&start, &end, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, 0, store.ErrNotFound
	}
	if err != nil {
		return d, 0, wrap(err)
	}
	d.State = store.State(state)
	d.ImportTime = d.ImportTime.UTC()
	if start != nil {
		d.DataStart = start.UTC()
	}
	if end != nil {
		d.DataEnd = end.UTC()
	}
	return d, seq, nil
}

func day(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := t.UTC().Truncate(24 * time.Hour)
	return &d
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func unopt(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// CreatePending records the dataset and takes its advisory lock on a connection of
// its own, held until Commit or Abort.
func (s *Store) CreatePending(ctx context.Context, d store.Dataset) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrap(err)
	}
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+lockKey+`)`, d.ID).Scan(&locked); err != nil || !locked {
		conn.Release()
		if err == nil {
			return store.ErrConflict // another replica's import holds this id
		}
		return wrap(err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO datasets (id, display_name, format, owner, state, synthetic, active, weight,
		checksum, request_id, import_time) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10)`,
		d.ID, d.DisplayName, d.Format, d.Owner, d.Synthetic, d.Active, d.Weight, d.Checksum, d.RequestID, d.ImportTime.UTC())
	if err != nil {
		s.unlock(d.ID, conn)
		if code(err) == uniqueViolation {
			return store.ErrConflict
		}
		return wrap(err)
	}
	s.mu.Lock()
	s.pending[d.ID] = conn
	s.mu.Unlock()
	return nil
}

// release gives back a pending import's lock and connection.
func (s *Store) release(id string) {
	s.mu.Lock()
	conn := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if conn != nil {
		s.unlock(id, conn)
	}
}

func (s *Store) unlock(id string, conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`, id); err != nil {
		// A connection that cannot unlock is closed: its session, and the lock, end.
		conn.Conn().Close(ctx)
	}
	conn.Release()
}

var observationColumns = []string{"dataset_id", "row_number", "company", "company_level", "title", "location", "reported_day",
	"years_experience", "years_at_company", "base", "equity", "bonus", "total", "tokens"}

// AppendRows writes rows with COPY, in the transaction that checks the dataset is
// still pending.
func (s *Store) AppendRows(ctx context.Context, id string, rows []normalize.Row) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM datasets WHERE id = $1`, id).Scan(&state); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		if state != string(store.Pending) {
			return fmt.Errorf("dataset %s is %s: rows can only be added while pending", id, state)
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"observations"}, observationColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := &rows[i]
			return []any{id, r.RowNumber, r.Company, r.CompanyLevel, r.Title, r.Location, r.Reported.Unix() / 86400,
				r.YearsExperience, r.YearsAtCompany, r.Base, r.Equity, r.Bonus, r.Total, r.Tokens}, nil
		}))
		return err
	})
}

func (s *Store) Commit(ctx context.Context, d store.Dataset, deactivateSynthetic bool) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE datasets SET state = 'ready', checksum = $1, active = $2, weight = $3,
			rows_accepted = $4, rows_rejected = $5, rows_unmapped = $6, rows_excluded = $7, data_start = $8, data_end = $9,
			display_name = $10, request_id = $12 WHERE id = $11 AND state = 'pending'`,
			d.Checksum, d.Active, d.Weight, d.RowsAccepted, d.RowsRejected, d.RowsUnmapped, d.RowsExcluded,
			day(d.DataStart), day(d.DataEnd), d.DisplayName, d.ID, d.RequestID)
		if code(err) == uniqueViolation {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return store.ErrNotFound
		}
		if deactivateSynthetic {
			_, err = tx.Exec(ctx, `UPDATE datasets SET active = FALSE WHERE synthetic AND active`)
		}
		return err
	})
	if err == nil {
		s.release(d.ID)
	}
	return err
}

func (s *Store) Abort(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM datasets WHERE id = $1 AND state = 'pending'`, id)
	s.release(id)
	return wrap(err)
}

// PurgeDead deletes the pending datasets of imports that died (no session holds their
// lock), leaving this store's own and other replicas' live ones: a replica killed
// mid-import leaves rows that the others clear without waiting for a restart.
func (s *Store) PurgeDead(ctx context.Context) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM datasets WHERE state = 'pending' AND pg_try_advisory_xact_lock(hashtextextended(id, 0))`)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}

// PurgePending deletes the pending datasets whose lock nobody holds: imports that died
// with their replica. A live replica's import keeps its lock, and its dataset. This
// store's own pending imports are purged too, as on SQLite (at start-up it has none).
func (s *Store) PurgePending(ctx context.Context) (int, error) {
	s.mu.Lock()
	own := make([]string, 0, len(s.pending))
	for id := range s.pending {
		own = append(own, id)
	}
	s.mu.Unlock()
	for _, id := range own {
		s.release(id)
	}
	return s.PurgeDead(ctx)
}

func (s *Store) EnsureBuiltin(ctx context.Context, d store.Dataset) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO datasets (id, display_name, format, owner, state, synthetic, active, weight,
		import_time, rows_accepted, data_start, data_end) VALUES ($1, $2, $3, $4, 'ready', $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET rows_accepted = excluded.rows_accepted, data_start = excluded.data_start,
		data_end = excluded.data_end, display_name = excluded.display_name
		WHERE (datasets.rows_accepted, datasets.data_start, datasets.data_end, datasets.display_name)
		IS DISTINCT FROM (excluded.rows_accepted, excluded.data_start, excluded.data_end, excluded.display_name)`,
		d.ID, d.DisplayName, d.Format, d.Owner, d.Synthetic, d.Active, d.Weight, d.ImportTime.UTC(),
		d.RowsAccepted, day(d.DataStart), day(d.DataEnd))
	return wrap(err)
}

func (s *Store) getWhere(ctx context.Context, where string, arg any) (store.Dataset, error) {
	d, _, err := scanDataset(s.pool.QueryRow(ctx, `SELECT `+datasetColumns+` FROM datasets WHERE state = 'ready' AND `+where, arg))
	return d, err
}

func (s *Store) Get(ctx context.Context, id string) (store.Dataset, error) {
	return s.getWhere(ctx, `id = $1`, id)
}

func (s *Store) FindByChecksum(ctx context.Context, checksum string) (store.Dataset, error) {
	return s.getWhere(ctx, `checksum = $1 AND checksum <> ''`, checksum)
}

func (s *Store) FindByRequestID(ctx context.Context, requestID string) (store.Dataset, error) {
	return s.getWhere(ctx, `request_id = $1 AND request_id <> ''`, requestID)
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
	rows, err := s.pool.Query(ctx, `SELECT `+datasetColumns+` FROM datasets WHERE state = 'ready' AND seq < $1
		ORDER BY seq DESC LIMIT $2`, after, limit+1)
	if err != nil {
		return nil, "", wrap(err)
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
		return nil, "", wrap(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(seqs[limit-1], 10)
	}
	return out, next, nil
}

func (s *Store) Delete(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM datasets WHERE id = $1 AND state = 'ready'`, id)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (s *Store) SetActive(ctx context.Context, id string, active bool, weight float64) (store.Dataset, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE datasets SET active = $1, weight = $2 WHERE id = $3 AND state = 'ready'`, active, weight, id)
	if err != nil {
		return store.Dataset{}, wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return store.Dataset{}, store.ErrNotFound
	}
	return s.Get(ctx, id)
}

func (s *Store) EachRow(ctx context.Context, id string, fn func(*normalize.Row) error) error {
	var exists int
	if err := s.pool.QueryRow(ctx, `SELECT 1 FROM datasets WHERE id = $1`, id).Scan(&exists); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		return wrap(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT row_number, company, company_level, title, location, reported_day,
		years_experience, years_at_company, base, equity, bonus, total, tokens
		FROM observations WHERE dataset_id = $1 ORDER BY row_number`, id)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r normalize.Row
		var d int64
		if err := rows.Scan(&r.RowNumber, &r.Company, &r.CompanyLevel, &r.Title, &r.Location, &d,
			&r.YearsExperience, &r.YearsAtCompany, &r.Base, &r.Equity, &r.Bonus, &r.Total, &r.Tokens); err != nil {
			return wrap(err)
		}
		r.Reported = time.Unix(d*86400, 0).UTC()
		if err := fn(&r); err != nil {
			return err
		}
	}
	return wrap(rows.Err())
}

func (s *Store) PutLevelMap(ctx context.Context, company string, entries []normalize.LevelEntry) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM level_maps WHERE company = $1`, company); err != nil {
			return err
		}
		for _, e := range entries {
			if _, err := tx.Exec(ctx, `INSERT INTO level_maps (company, company_level, variants, ic, manager) VALUES ($1, $2, $3, $4, $5)`,
				company, e.Level, append([]string{}, e.Variants...), e.IC, e.Manager); err != nil {
				if code(err) == uniqueViolation {
					return fmt.Errorf("%w: level %q appears twice", store.ErrInvalid, e.Level)
				}
				return err
			}
		}
		return nil
	})
}

func (s *Store) LevelMaps(ctx context.Context) ([]normalize.LevelEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT company, company_level, variants, ic, manager FROM level_maps ORDER BY company, company_level`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []normalize.LevelEntry
	for rows.Next() {
		var e normalize.LevelEntry
		if err := rows.Scan(&e.Company, &e.Level, &e.Variants, &e.IC, &e.Manager); err != nil {
			return nil, wrap(err)
		}
		if e.Variants == nil {
			e.Variants = []string{} // as stored: an empty list
		}
		out = append(out, e)
	}
	return out, wrap(rows.Err())
}

func (s *Store) PutLocations(ctx context.Context, entries []normalize.LocationEntry) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		for _, e := range entries {
			if _, err := tx.Exec(ctx, `INSERT INTO location_map (text, metro, zone, country) VALUES ($1, $2, $3, $4)
				ON CONFLICT (text) DO UPDATE SET metro = excluded.metro, zone = excluded.zone, country = excluded.country`,
				e.Text, e.Metro, e.Zone, e.Country); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) Locations(ctx context.Context) ([]normalize.LocationEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT text, metro, zone, country FROM location_map ORDER BY text`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []normalize.LocationEntry
	for rows.Next() {
		var e normalize.LocationEntry
		if err := rows.Scan(&e.Text, &e.Metro, &e.Zone, &e.Country); err != nil {
			return nil, wrap(err)
		}
		out = append(out, e)
	}
	return out, wrap(rows.Err())
}

// Close releases the locks of imports still pending and closes the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	ids := make([]string, 0, len(s.pending))
	for id := range s.pending {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.release(id)
	}
	s.pool.Close()
	return nil
}

// Watch announces committed changes of any replica: it LISTENs on paymix_state on a
// connection of its own, reconnecting (from 100 ms, backing off to 5 s) when the
// connection is lost, and sends on the channel without blocking. Notifications lost
// while it reconnects are not replayed: callers poll Versions as well.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		wait := 100 * time.Millisecond
		for ctx.Err() == nil {
			conn, err := pgx.Connect(ctx, s.url)
			if err == nil {
				if _, err = conn.Exec(ctx, "LISTEN paymix_state"); err == nil {
					wait = 100 * time.Millisecond
					signal() // changes may have happened while no one listened
					for err == nil {
						_, err = conn.WaitForNotification(ctx)
						if err == nil {
							signal()
						}
					}
				}
				conn.Close(context.Background())
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait = min(2*wait, 5*time.Second)
		}
	}()
	return out
}
