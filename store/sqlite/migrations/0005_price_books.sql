-- An organisation's own price book: negotiated prices and discounts, as one document
-- the server encodes (the store versions it without reading it). Part of tenancy.
CREATE TABLE price_books (
    org         TEXT PRIMARY KEY REFERENCES organizations (id),
    spec        TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    update_time TEXT NOT NULL
);
CREATE TRIGGER price_books_insert AFTER INSERT ON price_books BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER price_books_update AFTER UPDATE ON price_books BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER price_books_delete AFTER DELETE ON price_books BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
