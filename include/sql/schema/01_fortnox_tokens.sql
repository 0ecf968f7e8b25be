-- Each client's Fortnox OAuth tokens, Fernet-encrypted. Times are Unix seconds (UTC) so that
-- comparisons are exact and identical on PostgreSQL and SQLite.
CREATE TABLE IF NOT EXISTS fortnox_tokens (
    client_key          VARCHAR(40) PRIMARY KEY,
    tenant_id           BIGINT,
    scope               TEXT,
    access_token_enc    TEXT,
    access_expires_at   BIGINT,
    refresh_token_enc   TEXT,
    refresh_expires_at  BIGINT,
    connected_at        BIGINT NOT NULL,
    last_refresh_at     BIGINT,
    last_error          TEXT,
    locked_at           BIGINT
);
