-- An organisation's own price book: negotiated prices and discounts, as one document
-- the server encodes (the store versions it without reading it). Part of tenancy.
CREATE TABLE price_books (
    org         TEXT        NOT NULL PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    spec        TEXT        NOT NULL,
    revision    BIGINT      NOT NULL,
    update_time TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER price_books_changed AFTER INSERT OR UPDATE OR DELETE ON price_books
    FOR EACH STATEMENT EXECUTE FUNCTION paymix_changed('tenancy');
