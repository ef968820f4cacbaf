package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paymix/paymix/store"
)

func (s *Store) CreateOrganization(ctx context.Context, o store.Organization, policies []store.Policy) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, display_name, create_time) VALUES ($1, $2, $3)`,
			o.ID, o.DisplayName, o.CreateTime.UTC()); err != nil {
			if code(err) == uniqueViolation {
				return store.ErrConflict
			}
			return err
		}
		for _, p := range policies {
			p.Org = o.ID
			if err := insertPolicy(ctx, tx, &p); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) GetOrganization(ctx context.Context, id string) (store.Organization, error) {
	var o store.Organization
	err := s.pool.QueryRow(ctx, `SELECT id, display_name, create_time FROM organizations WHERE id = $1`, id).Scan(&o.ID, &o.DisplayName, &o.CreateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, store.ErrNotFound
	}
	o.CreateTime = o.CreateTime.UTC()
	return o, wrap(err)
}

func (s *Store) ListOrganizations(ctx context.Context, limit int, token string) ([]store.Organization, string, error) {
	off, err := store.PageOffset(token, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, display_name, create_time FROM organizations ORDER BY id LIMIT $1 OFFSET $2`, limit+1, off)
	if err != nil {
		return nil, "", wrap(err)
	}
	out, err := pgx.CollectRows(rows, scanOrganization)
	if err != nil {
		return nil, "", wrap(err)
	}
	return out[:min(len(out), limit)], store.NextPage(off, limit, len(out)), nil
}

func scanOrganization(row pgx.CollectableRow) (store.Organization, error) {
	var o store.Organization
	err := row.Scan(&o.ID, &o.DisplayName, &o.CreateTime)
	o.CreateTime = o.CreateTime.UTC()
	return o, err
}

func insertPolicy(ctx context.Context, tx pgx.Tx, p *store.Policy) error {
	p.Revision = 1
	p.UpdateTime = p.CreateTime
	_, err := tx.Exec(ctx, `INSERT INTO policies (org, id, display_name, preset, spec, revision, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $6)`, p.Org, p.ID, p.DisplayName, p.Preset, p.Spec, p.CreateTime.UTC())
	switch code(err) {
	case uniqueViolation:
		return store.ErrConflict
	case foreignKeyViolation:
		return store.ErrNotFound
	}
	return err
}

func (s *Store) CreatePolicy(ctx context.Context, p store.Policy) (store.Policy, error) {
	err := s.tx(ctx, func(tx pgx.Tx) error { return insertPolicy(ctx, tx, &p) })
	return p, err
}

const policyColumns = `org, id, display_name, preset, spec, revision, create_time, update_time`

func scanPolicy(row pgx.Row) (store.Policy, error) {
	var p store.Policy
	err := row.Scan(&p.Org, &p.ID, &p.DisplayName, &p.Preset, &p.Spec, &p.Revision, &p.CreateTime, &p.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, store.ErrNotFound
	}
	p.CreateTime, p.UpdateTime = p.CreateTime.UTC(), p.UpdateTime.UTC()
	return p, wrap(err)
}

func (s *Store) GetPolicy(ctx context.Context, org, id string) (store.Policy, error) {
	return scanPolicy(s.pool.QueryRow(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = $1 AND id = $2`, org, id))
}

func (s *Store) ListPolicies(ctx context.Context, org string, limit int, token string) ([]store.Policy, string, error) {
	off, err := store.PageOffset(token, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = $1 ORDER BY id LIMIT $2 OFFSET $3`, org, limit+1, off)
	if err != nil {
		return nil, "", wrap(err)
	}
	defer rows.Close()
	var out []store.Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, p)
	}
	return out[:min(len(out), limit)], store.NextPage(off, limit, len(out)), wrap(rows.Err())
}

// UpdatePolicy locks the policy's row, so that of two replicas updating it with the
// same etag exactly one succeeds and the other sees a stale etag.
func (s *Store) UpdatePolicy(ctx context.Context, p store.Policy, etag string) (store.Policy, error) {
	var out store.Policy
	err := s.tx(ctx, func(tx pgx.Tx) error {
		cur, err := scanPolicy(tx.QueryRow(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = $1 AND id = $2 FOR UPDATE`, p.Org, p.ID))
		if err != nil {
			return err
		}
		if cur.Etag() != etag {
			return store.ErrStale
		}
		cur.DisplayName, cur.Spec, cur.Revision, cur.UpdateTime = p.DisplayName, p.Spec, cur.Revision+1, p.UpdateTime.UTC()
		_, err = tx.Exec(ctx, `UPDATE policies SET display_name = $1, spec = $2, revision = $3, update_time = $4 WHERE org = $5 AND id = $6`,
			cur.DisplayName, cur.Spec, cur.Revision, cur.UpdateTime, p.Org, p.ID)
		out = cur
		return err
	})
	return out, err
}

func (s *Store) DeletePolicy(ctx context.Context, org, id, etag string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		cur, err := scanPolicy(tx.QueryRow(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = $1 AND id = $2 FOR UPDATE`, org, id))
		if err != nil {
			return err
		}
		if etag != "" && cur.Etag() != etag {
			return store.ErrStale
		}
		_, err = tx.Exec(ctx, `DELETE FROM policies WHERE org = $1 AND id = $2`, org, id)
		return err
	})
}

func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (prefix, org, display_name, role, hash, create_time, expire_time, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.Prefix, k.Org, k.DisplayName, k.Role, k.Hash, k.CreateTime.UTC(), opt(k.ExpireTime), k.CreatedBy)
	switch code(err) {
	case uniqueViolation:
		return store.ErrConflict
	case foreignKeyViolation:
		return store.ErrNotFound
	}
	return wrap(err)
}

const keyColumns = `prefix, org, display_name, role, hash, create_time, expire_time, revoke_time, created_by`

func scanKey(row pgx.Row) (store.APIKey, error) {
	var k store.APIKey
	var expires, revoked *time.Time
	err := row.Scan(&k.Prefix, &k.Org, &k.DisplayName, &k.Role, &k.Hash, &k.CreateTime, &expires, &revoked, &k.CreatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, store.ErrNotFound
	}
	k.CreateTime, k.ExpireTime, k.RevokeTime = k.CreateTime.UTC(), unopt(expires), unopt(revoked)
	return k, wrap(err)
}

func (s *Store) APIKeyByPrefix(ctx context.Context, prefix string) (store.APIKey, error) {
	return scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = $1`, prefix))
}

func (s *Store) ListAPIKeys(ctx context.Context, org string) ([]store.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE org = $1 ORDER BY create_time, prefix`, org)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err())
}

func (s *Store) RevokeAPIKey(ctx context.Context, org, prefix, transferTo string, at time.Time) (store.APIKey, error) {
	var k store.APIKey
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		// Revocations take turns: two of the platform's last two admin keys at once
		// cannot both pass the check below.
		if _, err := tx.Exec(ctx, `LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if k, err = scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE org = $1 AND prefix = $2`, org, prefix)); err != nil {
			return err
		}
		admins := func() (n int, err error) {
			err = tx.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE role = 'platform-admin' AND revoke_time IS NULL AND expire_time IS NULL`).Scan(&n)
			return n, err
		}
		before, err := admins()
		if err != nil {
			return err
		}
		if transferTo != "" {
			// A child named to take over takes the revoked key's place in the tree.
			if _, err := tx.Exec(ctx, `UPDATE api_keys SET created_by = CASE WHEN prefix = $1 THEN $2 ELSE $1 END WHERE created_by = $3`,
				transferTo, k.CreatedBy, prefix); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `WITH RECURSIVE tree(prefix) AS (
				SELECT $1::text UNION SELECT k.prefix FROM api_keys k JOIN tree t ON k.created_by = t.prefix)
			UPDATE api_keys SET revoke_time = $2 WHERE prefix IN (SELECT prefix FROM tree) AND revoke_time IS NULL`, prefix, at.UTC()); err != nil {
			return err
		}
		// Only a revocation that takes the last one away is refused (a store with
		// none left is already beyond this rule's help).
		if after, err := admins(); err != nil {
			return err
		} else if before > 0 && after == 0 {
			return store.ErrLastPlatformAdmin
		}
		k, err = scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = $1`, prefix))
		return err
	})
	return k, err
}

func (s *Store) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys`).Scan(&n)
	return n, wrap(err)
}

// LoadTenancy reads everything in one repeatable-read transaction: one picture.
func (s *Store) LoadTenancy(ctx context.Context) (store.TenancyData, error) {
	var out store.TenancyData
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		v := &out.Versions
		if err := tx.QueryRow(ctx, `SELECT version, tenancy, market FROM state_version`).Scan(&v.State, &v.Tenancy, &v.Market); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, display_name, create_time FROM organizations ORDER BY id`)
		if err != nil {
			return err
		}
		if out.Organizations, err = pgx.CollectRows(rows, scanOrganization); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+policyColumns+` FROM policies ORDER BY org, id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			p, err := scanPolicy(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out.Policies = append(out.Policies, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY org, create_time, prefix`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			k, err := scanKey(rows)
			if err != nil {
				return err
			}
			out.Keys = append(out.Keys, k)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT org, spec, revision, update_time FROM price_books ORDER BY org`)
		if err != nil {
			return err
		}
		out.PriceBooks, err = pgx.CollectRows(rows, scanPriceBook)
		return err
	})
	return out, wrap(err)
}

func scanPriceBook(row pgx.CollectableRow) (store.PriceBook, error) {
	var b store.PriceBook
	err := row.Scan(&b.Org, &b.Spec, &b.Revision, &b.UpdateTime)
	b.UpdateTime = b.UpdateTime.UTC()
	return b, err
}

func (s *Store) GetPriceBook(ctx context.Context, org string) (store.PriceBook, error) {
	var b store.PriceBook
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		b, err = priceBook(ctx, tx, org, "")
		return err
	})
	return b, err
}

// priceBook reads an organisation's book (revision 0 when it has none); lock is ""
// or a locking clause for the organisation's row.
func priceBook(ctx context.Context, tx pgx.Tx, org, lock string) (store.PriceBook, error) {
	b := store.PriceBook{Org: org}
	var id string
	if err := tx.QueryRow(ctx, `SELECT id FROM organizations WHERE id = $1 `+lock, org).Scan(&id); errors.Is(err, pgx.ErrNoRows) {
		return b, store.ErrNotFound
	} else if err != nil {
		return b, err
	}
	err := tx.QueryRow(ctx, `SELECT spec, revision, update_time FROM price_books WHERE org = $1`, org).Scan(&b.Spec, &b.Revision, &b.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, nil
	}
	b.UpdateTime = b.UpdateTime.UTC()
	return b, err
}

func (s *Store) PutPriceBook(ctx context.Context, b store.PriceBook, etag string) (store.PriceBook, error) {
	var out store.PriceBook
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// The organisation's row is locked, so that two updates of a book that does
		// not exist yet are serialised like any other two.
		cur, err := priceBook(ctx, tx, b.Org, "FOR UPDATE")
		if err != nil {
			return err
		}
		if etag != "" && cur.Etag() != etag {
			return store.ErrStale
		}
		out = store.PriceBook{Org: b.Org, Spec: b.Spec, Revision: cur.Revision + 1, UpdateTime: b.UpdateTime.UTC()}
		// An insert or an update, not an upsert: INSERT ... ON CONFLICT fires the
		// statement triggers of both, and the state version would count two changes.
		q := `UPDATE price_books SET spec = $2, revision = $3, update_time = $4 WHERE org = $1`
		if cur.Revision == 0 {
			q = `INSERT INTO price_books (org, spec, revision, update_time) VALUES ($1, $2, $3, $4)`
		}
		_, err = tx.Exec(ctx, q, out.Org, out.Spec, out.Revision, out.UpdateTime)
		return err
	})
	return out, err
}

func (s *Store) Versions(ctx context.Context) (store.Versions, error) {
	var v store.Versions
	err := s.pool.QueryRow(ctx, `SELECT version, tenancy, market FROM state_version`).Scan(&v.State, &v.Tenancy, &v.Market)
	return v, wrap(err)
}
