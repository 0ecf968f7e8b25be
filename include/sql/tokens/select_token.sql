SELECT client_key, tenant_id, scope, access_token_enc, access_expires_at, refresh_token_enc, refresh_expires_at,
       connected_at, last_refresh_at, last_error
FROM fortnox_tokens
WHERE client_key = :client_key;
