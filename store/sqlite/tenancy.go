package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paymix/paymix/store"
)

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func (s *Store) CreateOrganization(ctx context.Context, o store.Organization, policies []store.Policy) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, display_name, create_time) VALUES (?, ?, ?)`,
			o.ID, o.DisplayName, ts(o.CreateTime)); err != nil {
			if isUnique(err) {
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
	var created string
	err := s.db.QueryRowContext(ctx, `SELECT id, display_name, create_time FROM organizations WHERE id = ?`, id).Scan(&o.ID, &o.DisplayName, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return o, store.ErrNotFound
	}
	o.CreateTime = parseTS(created)
	return o, err
}

func (s *Store) ListOrganizations(ctx context.Context, limit int, token string) ([]store.Organization, string, error) {
	off, err := store.PageOffset(token, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, display_name, create_time FROM organizations ORDER BY id LIMIT ? OFFSET ?`, limit+1, off)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []store.Organization
	for rows.Next() {
		var o store.Organization
		var created string
		if err := rows.Scan(&o.ID, &o.DisplayName, &created); err != nil {
			return nil, "", err
		}
		o.CreateTime = parseTS(created)
		out = append(out, o)
	}
	next := store.NextPage(off, limit, len(out))
	return out[:min(len(out), limit)], next, rows.Err()
}

func insertPolicy(ctx context.Context, tx *sql.Tx, p *store.Policy) error {
	p.Revision = 1
	p.UpdateTime = p.CreateTime
	_, err := tx.ExecContext(ctx, `INSERT INTO policies (org, id, display_name, preset, spec, revision, create_time, update_time)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?)`, p.Org, p.ID, p.DisplayName, p.Preset, p.Spec, ts(p.CreateTime), ts(p.CreateTime))
	switch {
	case isUnique(err):
		return store.ErrConflict
	case err != nil && isForeignKey(err):
		return store.ErrNotFound
	}
	return err
}

// isForeignKey reports SQLITE_CONSTRAINT_FOREIGNKEY (787).
func isForeignKey(err error) bool { return sqliteCode(err) == 787 }

func (s *Store) CreatePolicy(ctx context.Context, p store.Policy) (store.Policy, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error { return insertPolicy(ctx, tx, &p) })
	return p, err
}

const policyColumns = `org, id, display_name, preset, spec, revision, create_time, update_time`

func scanPolicy(row interface{ Scan(...any) error }) (store.Policy, error) {
	var p store.Policy
	var created, updated string
	err := row.Scan(&p.Org, &p.ID, &p.DisplayName, &p.Preset, &p.Spec, &p.Revision, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	p.CreateTime, p.UpdateTime = parseTS(created), parseTS(updated)
	return p, err
}

func (s *Store) GetPolicy(ctx context.Context, org, id string) (store.Policy, error) {
	return scanPolicy(s.db.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = ? AND id = ?`, org, id))
}

func (s *Store) ListPolicies(ctx context.Context, org string, limit int, token string) ([]store.Policy, string, error) {
	off, err := store.PageOffset(token, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = ? ORDER BY id LIMIT ? OFFSET ?`, org, limit+1, off)
	if err != nil {
		return nil, "", err
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
	next := store.NextPage(off, limit, len(out))
	return out[:min(len(out), limit)], next, rows.Err()
}

func (s *Store) UpdatePolicy(ctx context.Context, p store.Policy, etag string) (store.Policy, error) {
	var out store.Policy
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanPolicy(tx.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = ? AND id = ?`, p.Org, p.ID))
		if err != nil {
			return err
		}
		if cur.Etag() != etag {
			return store.ErrStale
		}
		cur.DisplayName, cur.Spec, cur.Revision, cur.UpdateTime = p.DisplayName, p.Spec, cur.Revision+1, p.UpdateTime
		_, err = tx.ExecContext(ctx, `UPDATE policies SET display_name = ?, spec = ?, revision = ?, update_time = ? WHERE org = ? AND id = ?`,
			cur.DisplayName, cur.Spec, cur.Revision, ts(cur.UpdateTime), p.Org, p.ID)
		out = cur
		return err
	})
	return out, err
}

func (s *Store) DeletePolicy(ctx context.Context, org, id, etag string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanPolicy(tx.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM policies WHERE org = ? AND id = ?`, org, id))
		if err != nil {
			return err
		}
		if etag != "" && cur.Etag() != etag {
			return store.ErrStale
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM policies WHERE org = ? AND id = ?`, org, id)
		return err
	})
}

func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := s.exec(ctx, `INSERT INTO api_keys (prefix, org, display_name, role, hash, create_time, expire_time, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, k.Prefix, k.Org, k.DisplayName, k.Role, k.Hash, ts(k.CreateTime), ts(k.ExpireTime), k.CreatedBy)
	switch {
	case isUnique(err):
		return store.ErrConflict
	case isForeignKey(err):
		return store.ErrNotFound
	}
	return err
}

const keyColumns = `prefix, org, display_name, role, hash, create_time, expire_time, revoke_time, created_by`

func scanKey(row interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var created, expires, revoked string
	err := row.Scan(&k.Prefix, &k.Org, &k.DisplayName, &k.Role, &k.Hash, &created, &expires, &revoked, &k.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return k, store.ErrNotFound
	}
	k.CreateTime, k.ExpireTime, k.RevokeTime = parseTS(created), parseTS(expires), parseTS(revoked)
	return k, err
}

func (s *Store) APIKeyByPrefix(ctx context.Context, prefix string) (store.APIKey, error) {
	return scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = ?`, prefix))
}

func (s *Store) ListAPIKeys(ctx context.Context, org string) ([]store.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE org = ? ORDER BY create_time, prefix`, org)
	if err != nil {
		return nil, err
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
	return out, rows.Err()
}

func (s *Store) RevokeAPIKey(ctx context.Context, org, prefix, transferTo string, at time.Time) (store.APIKey, error) {
	var k store.APIKey
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE org = ? AND prefix = ?`, org, prefix)); err != nil {
			return err
		}
		admins := func() (n int, err error) {
			err = tx.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE role = 'platform-admin' AND revoke_time = '' AND expire_time = ''`).Scan(&n)
			return n, err
		}
		before, err := admins()
		if err != nil {
			return err
		}
		if transferTo != "" {
			// A child named to take over takes the revoked key's place in the tree.
			if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET created_by = CASE WHEN prefix = ? THEN ? ELSE ? END WHERE created_by = ?`,
				transferTo, k.CreatedBy, transferTo, prefix); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE tree(prefix) AS (
				SELECT ? UNION SELECT k.prefix FROM api_keys k JOIN tree t ON k.created_by = t.prefix)
			UPDATE api_keys SET revoke_time = ? WHERE prefix IN (SELECT prefix FROM tree) AND revoke_time = ''`, prefix, ts(at)); err != nil {
			return err
		}
		// Only a revocation that takes the last one away is refused (a store with
		// none left is already beyond this rule's help).
		if after, err := admins(); err != nil {
			return err
		} else if before > 0 && after == 0 {
			return store.ErrLastPlatformAdmin
		}
		k, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = ?`, prefix))
		return err
	})
	return k, err
}

func (s *Store) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM api_keys`).Scan(&n)
	return n, err
}

// LoadTenancy reads every organisation, policy and key, and the state version, in one
// read transaction: the published state is built from one consistent picture.
func (s *Store) LoadTenancy(ctx context.Context) (store.TenancyData, error) {
	var out store.TenancyData
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, err
	}
	defer tx.Rollback()
	v := &out.Versions
	if err := tx.QueryRowContext(ctx, `SELECT version, tenancy, market FROM state_version`).Scan(&v.State, &v.Tenancy, &v.Market); err != nil {
		return out, err
	}
	orgs, err := tx.QueryContext(ctx, `SELECT id, display_name, create_time FROM organizations ORDER BY id`)
	if err != nil {
		return out, err
	}
	for orgs.Next() {
		var o store.Organization
		var created string
		if err := orgs.Scan(&o.ID, &o.DisplayName, &created); err != nil {
			orgs.Close()
			return out, err
		}
		o.CreateTime = parseTS(created)
		out.Organizations = append(out.Organizations, o)
	}
	if err := errors.Join(orgs.Err(), orgs.Close()); err != nil {
		return out, err
	}
	policies, err := tx.QueryContext(ctx, `SELECT `+policyColumns+` FROM policies ORDER BY org, id`)
	if err != nil {
		return out, err
	}
	for policies.Next() {
		p, err := scanPolicy(policies)
		if err != nil {
			policies.Close()
			return out, err
		}
		out.Policies = append(out.Policies, p)
	}
	if err := errors.Join(policies.Err(), policies.Close()); err != nil {
		return out, err
	}
	keys, err := tx.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY org, create_time, prefix`)
	if err != nil {
		return out, err
	}
	defer keys.Close()
	for keys.Next() {
		k, err := scanKey(keys)
		if err != nil {
			return out, err
		}
		out.Keys = append(out.Keys, k)
	}
	if err := keys.Err(); err != nil {
		return out, err
	}
	books, err := tx.QueryContext(ctx, `SELECT org, spec, revision, update_time FROM price_books ORDER BY org`)
	if err != nil {
		return out, err
	}
	defer books.Close()
	for books.Next() {
		var b store.PriceBook
		var updated string
		if err := books.Scan(&b.Org, &b.Spec, &b.Revision, &updated); err != nil {
			return out, err
		}
		b.UpdateTime = parseTS(updated)
		out.PriceBooks = append(out.PriceBooks, b)
	}
	return out, books.Err()
}

func (s *Store) GetPriceBook(ctx context.Context, org string) (store.PriceBook, error) {
	var b store.PriceBook
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = priceBook(ctx, tx, org)
		return err
	})
	return b, err
}

// priceBook reads an organisation's book (revision 0 when it has none).
func priceBook(ctx context.Context, tx *sql.Tx, org string) (store.PriceBook, error) {
	b := store.PriceBook{Org: org}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE id = ?`, org).Scan(&n); err != nil {
		return b, err
	}
	if n == 0 {
		return b, store.ErrNotFound
	}
	var updated string
	err := tx.QueryRowContext(ctx, `SELECT spec, revision, update_time FROM price_books WHERE org = ?`, org).Scan(&b.Spec, &b.Revision, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return b, nil
	}
	b.UpdateTime = parseTS(updated)
	return b, err
}

func (s *Store) PutPriceBook(ctx context.Context, b store.PriceBook, etag string) (store.PriceBook, error) {
	var out store.PriceBook
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := priceBook(ctx, tx, b.Org)
		if err != nil {
			return err
		}
		if etag != "" && cur.Etag() != etag {
			return store.ErrStale
		}
		out = store.PriceBook{Org: b.Org, Spec: b.Spec, Revision: cur.Revision + 1, UpdateTime: b.UpdateTime}
		q := `UPDATE price_books SET spec = ?2, revision = ?3, update_time = ?4 WHERE org = ?1`
		if cur.Revision == 0 {
			q = `INSERT INTO price_books (org, spec, revision, update_time) VALUES (?1, ?2, ?3, ?4)`
		}
		_, err = tx.ExecContext(ctx, q, out.Org, out.Spec, out.Revision, ts(out.UpdateTime))
		return err
	})
	return out, err
}

func (s *Store) Versions(ctx context.Context) (store.Versions, error) {
	var v store.Versions
	err := s.db.QueryRowContext(ctx, `SELECT version, tenancy, market FROM state_version`).Scan(&v.State, &v.Tenancy, &v.Market)
	return v, err
}
