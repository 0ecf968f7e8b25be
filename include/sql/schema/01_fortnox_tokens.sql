-- Each client's Fortnox OAuth tokens, Fernet-encrypted. Times are Unix seconds (UTC) so that
-- comparisons are exact and identical on PostgreSQL and SQLite.
-- A refresh takes a lease (refresh_lease_owner/until) committed before Fortnox is asked, so a
-- process that dies mid-refresh leaves a trace the next one can read (see token_store.py).
CREATE TABLE IF NOT EXISTS fortnox_tokens (
    client_key          VARCHAR(40) PRIMARY KEY,
    tenant_id           BIGINT,
    service_account     BOOLEAN NOT NULL,
    scope               TEXT,
    access_token_enc    TEXT,
    access_expires_at   BIGINT,
    refresh_token_enc   TEXT,
    refresh_expires_at  BIGINT,
    connected_at        BIGINT NOT NULL,
    last_refresh_at     BIGINT,
    last_error          TEXT,
    refresh_lease_owner VARCHAR(64),
    refresh_lease_until DOUBLE PRECISION,
    refresh_started_at  DOUBLE PRECISION,
    locked_at           DOUBLE PRECISION
);
