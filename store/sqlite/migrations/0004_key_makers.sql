-- Each key records the key that made it ('' for keys made in open mode, by bootstrap,
-- or before this migration): revoking a key revokes every key it made, in turn.
ALTER TABLE api_keys ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
CREATE INDEX api_keys_created_by ON api_keys (created_by);
