-- The new pair, written at once; the lease ends with it.
UPDATE fortnox_tokens SET
    scope = :scope,
    access_token_enc = :access_token_enc,
    access_expires_at = :access_expires_at,
    refresh_token_enc = :refresh_token_enc,
    refresh_expires_at = :refresh_expires_at,
    last_refresh_at = :now,
    last_error = NULL,
    refresh_lease_owner = NULL,
    refresh_lease_until = NULL,
    refresh_started_at = NULL
WHERE client_key = :client_key;
