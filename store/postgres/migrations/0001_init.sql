-- paymix on PostgreSQL: the same records as the SQLite store, in PostgreSQL's types.

-- Datasets: one row per import. A pending row is invisible to readers; commit flips
-- state to 'ready' in one statement. A pending import holds a session advisory lock on
-- its id for its whole life, so that a starting replica purges only dead imports.
CREATE TABLE datasets (
    seq           BIGSERIAL PRIMARY KEY,
    id            TEXT             NOT NULL UNIQUE,
    display_name  TEXT             NOT NULL,
    format        TEXT             NOT NULL,
    owner         TEXT             NOT NULL,
    state         TEXT             NOT NULL CHECK (state IN ('pending', 'ready')),
    synthetic     BOOLEAN          NOT NULL DEFAULT FALSE,
    active        BOOLEAN          NOT NULL DEFAULT FALSE,
    weight        DOUBLE PRECISION NOT NULL DEFAULT 1,
    checksum      TEXT             NOT NULL DEFAULT '',
    request_id    TEXT             NOT NULL DEFAULT '',
    import_time   TIMESTAMPTZ      NOT NULL,
    rows_accepted INTEGER          NOT NULL DEFAULT 0,
    rows_rejected INTEGER          NOT NULL DEFAULT 0,
    rows_unmapped INTEGER          NOT NULL DEFAULT 0,
    rows_excluded INTEGER          NOT NULL DEFAULT 0,
    data_start    DATE,
    data_end      DATE
);
CREATE UNIQUE INDEX datasets_checksum ON datasets (checksum) WHERE state = 'ready' AND checksum <> '';
CREATE UNIQUE INDEX datasets_request_id ON datasets (request_id) WHERE request_id <> '';

-- Rows as imported; no demographic column exists, by design.
CREATE TABLE observations (
    dataset_id       TEXT             NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    row_number       INTEGER          NOT NULL,
    company          TEXT             NOT NULL,
    company_level    TEXT             NOT NULL,
    title            TEXT             NOT NULL,
    location         TEXT             NOT NULL,
    reported_day     INTEGER          NOT NULL, -- days since 1970-01-01
    years_experience DOUBLE PRECISION NOT NULL,
    years_at_company DOUBLE PRECISION NOT NULL,
    base             DOUBLE PRECISION NOT NULL,
    equity           DOUBLE PRECISION NOT NULL,
    bonus            DOUBLE PRECISION NOT NULL,
    total            DOUBLE PRECISION NOT NULL,
    tokens           DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (dataset_id, row_number)
);

CREATE TABLE level_maps (
    company       TEXT   NOT NULL,
    company_level TEXT   NOT NULL,
    variants      TEXT[] NOT NULL,
    ic            TEXT   NOT NULL,
    manager       TEXT   NOT NULL,
    PRIMARY KEY (company, company_level)
);

CREATE TABLE location_map (
    text    TEXT NOT NULL PRIMARY KEY,
    metro   TEXT NOT NULL,
    zone    TEXT NOT NULL,
    country TEXT NOT NULL
);

CREATE TABLE organizations (
    id           TEXT        NOT NULL PRIMARY KEY,
    display_name TEXT        NOT NULL,
    create_time  TIMESTAMPTZ NOT NULL
);

CREATE TABLE policies (
    org          TEXT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id           TEXT        NOT NULL,
    display_name TEXT        NOT NULL,
    preset       TEXT        NOT NULL,
    spec         TEXT        NOT NULL,
    revision     BIGINT      NOT NULL,
    create_time  TIMESTAMPTZ NOT NULL,
    update_time  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org, id)
);

CREATE TABLE api_keys (
    prefix       TEXT        NOT NULL PRIMARY KEY,
    org          TEXT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    display_name TEXT        NOT NULL,
    role         TEXT        NOT NULL,
    hash         BYTEA       NOT NULL,
    create_time  TIMESTAMPTZ NOT NULL,
    expire_time  TIMESTAMPTZ,
    revoke_time  TIMESTAMPTZ
);
CREATE INDEX api_keys_org ON api_keys (org);

-- The state version counts committed changes; tenancy (organisations, policies, keys)
-- and market (ready datasets, maps) count their own, so that a replica rebuilds only
-- the part that changed. Triggers keep them and announce each change on the channel
-- paymix_state; NOTIFY is delivered at commit, and a replica that missed one sees the
-- versions move when it polls.
CREATE TABLE state_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    tenancy BIGINT NOT NULL,
    market  BIGINT NOT NULL
);
INSERT INTO state_version (id, version, tenancy, market) VALUES (1, 0, 0, 0);

CREATE FUNCTION paymix_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE state_version SET version = version + 1,
        tenancy = tenancy + CASE WHEN TG_ARGV[0] = 'tenancy' THEN 1 ELSE 0 END,
        market = market + CASE WHEN TG_ARGV[0] = 'market' THEN 1 ELSE 0 END;
    PERFORM pg_notify('paymix_state', TG_ARGV[0]);
    RETURN NULL;
END $$;

CREATE TRIGGER organizations_changed AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION paymix_changed('tenancy');
CREATE TRIGGER policies_changed AFTER INSERT OR UPDATE OR DELETE ON policies
    FOR EACH STATEMENT EXECUTE FUNCTION paymix_changed('tenancy');
CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION paymix_changed('tenancy');
CREATE TRIGGER level_maps_changed AFTER INSERT OR UPDATE OR DELETE ON level_maps
    FOR EACH STATEMENT EXECUTE FUNCTION paymix_changed('market');
CREATE TRIGGER location_map_changed AFTER INSERT OR UPDATE OR DELETE ON location_map
    FOR EACH STATEMENT EXECUTE FUNCTION paymix_changed('market');
-- Datasets count only when a ready one appears, changes or goes: pending imports and
-- their purge are invisible.
CREATE TRIGGER datasets_inserted AFTER INSERT ON datasets
    FOR EACH ROW WHEN (NEW.state = 'ready') EXECUTE FUNCTION paymix_changed('market');
CREATE TRIGGER datasets_updated AFTER UPDATE ON datasets
    FOR EACH ROW WHEN (NEW.state = 'ready') EXECUTE FUNCTION paymix_changed('market');
CREATE TRIGGER datasets_deleted AFTER DELETE ON datasets
    FOR EACH ROW WHEN (OLD.state = 'ready') EXECUTE FUNCTION paymix_changed('market');
