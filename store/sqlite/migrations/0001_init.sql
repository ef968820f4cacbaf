-- Datasets: one row per import. A pending row is invisible to readers and purged at
-- start-up; commit flips state to 'ready' in one statement.
CREATE TABLE datasets (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    format        TEXT    NOT NULL,
    owner         TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'ready')),
    synthetic     INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 0,
    weight        REAL    NOT NULL DEFAULT 1,
    checksum      TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    import_time   TEXT    NOT NULL,
    rows_accepted INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    rows_unmapped INTEGER NOT NULL DEFAULT 0,
    rows_excluded INTEGER NOT NULL DEFAULT 0,
    data_start    TEXT    NOT NULL DEFAULT '',
    data_end      TEXT    NOT NULL DEFAULT ''
);
-- The same content is one dataset: a second ready dataset with its checksum is refused.
CREATE UNIQUE INDEX datasets_checksum ON datasets (checksum) WHERE state = 'ready' AND checksum <> '';
-- A retried import finds its first attempt by request id.
CREATE UNIQUE INDEX datasets_request_id ON datasets (request_id) WHERE request_id <> '';

-- Rows as imported (normalisation runs when the snapshot is built, so new maps apply
-- to old data). No demographic column exists, by design.
CREATE TABLE observations (
    dataset_id       TEXT    NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    row_number       INTEGER NOT NULL,
    company          TEXT    NOT NULL,
    company_level    TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    location         TEXT    NOT NULL,
    reported_day     INTEGER NOT NULL, -- days since 1970-01-01
    years_experience REAL    NOT NULL,
    years_at_company REAL    NOT NULL,
    base             REAL    NOT NULL,
    equity           REAL    NOT NULL,
    bonus            REAL    NOT NULL,
    total            REAL    NOT NULL,
    tokens           REAL    NOT NULL,
    PRIMARY KEY (dataset_id, row_number)
) WITHOUT ROWID;

CREATE TABLE level_maps (
    company       TEXT NOT NULL,
    company_level TEXT NOT NULL,
    variants      TEXT NOT NULL, -- JSON array
    ic            TEXT NOT NULL,
    manager       TEXT NOT NULL,
    PRIMARY KEY (company, company_level)
);

CREATE TABLE location_map (
    text    TEXT NOT NULL PRIMARY KEY,
    metro   TEXT NOT NULL,
    zone    TEXT NOT NULL,
    country TEXT NOT NULL
);
