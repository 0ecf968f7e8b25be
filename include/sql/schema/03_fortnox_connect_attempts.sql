-- Consents started with 'fortnox-etl connect <client> --url-only', waiting for '--code' to finish
-- them. The state is the random value sent to Fortnox and returned in its redirect; an attempt is
-- single use (used_at) and lives as long as Fortnox's authorization code, 10 minutes.
CREATE TABLE IF NOT EXISTS fortnox_connect_attempts (
    state               VARCHAR(100) PRIMARY KEY,
    client_key          VARCHAR(40) NOT NULL,
    redirect_uri        TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    used_at             BIGINT
);
