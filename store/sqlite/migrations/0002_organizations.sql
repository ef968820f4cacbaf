-- Organisations, their stored policies and their API keys.
CREATE TABLE organizations (
    id           TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    create_time  TEXT NOT NULL
);

-- A policy's content is kept as the server encodes it (JSON); the store only versions it.
CREATE TABLE policies (
    org          TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id           TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    preset       TEXT    NOT NULL,
    spec         TEXT    NOT NULL,
    revision     INTEGER NOT NULL,
    create_time  TEXT    NOT NULL,
    update_time  TEXT    NOT NULL,
    PRIMARY KEY (org, id)
);

-- Keys are looked up by their prefix; only the SHA-256 of the whole key is stored.
CREATE TABLE api_keys (
    prefix       TEXT NOT NULL PRIMARY KEY,
    org          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    hash         BLOB NOT NULL,
    create_time  TEXT NOT NULL,
    expire_time  TEXT NOT NULL DEFAULT '',
    revoke_time  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_keys_org ON api_keys (org);
