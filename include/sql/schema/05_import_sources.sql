-- Where each client-year's books came from: 'fortnox' (a sync's SIE export) or 'file' (a SIE4 file an
-- operator imported). One row per import, never updated: the latest row of a client-year is its
-- active source, and vouchers may be posted to Fortnox only for a year whose active source is Fortnox.
CREATE TABLE IF NOT EXISTS import_sources (
    import_id           VARCHAR(36) PRIMARY KEY,
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    source              VARCHAR(10) NOT NULL,
    file_name           TEXT,
    sha256              VARCHAR(64),
    recorded_by         TEXT NOT NULL,
    recorded_at         VARCHAR(32) NOT NULL,
    -- True when the operator imported a file that does not say whose books it holds (--without-orgnr).
    without_orgnr       BOOLEAN NOT NULL DEFAULT FALSE
);
-- For staging databases made before the column: create_schema runs this only where the column is missing.
ALTER TABLE import_sources ADD COLUMN without_orgnr BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX IF NOT EXISTS import_sources_client_year ON import_sources (client_key, financial_year_id, recorded_at);
