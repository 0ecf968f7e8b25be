SELECT client_key, tenant_id, service_account, scope, access_token_enc, access_expires_at, refresh_token_enc,
       refresh_expires_at, connected_at, last_refresh_at, last_error, refresh_lease_owner, refresh_lease_until,
       refresh_started_at
FROM fortnox_tokens
WHERE client_key = :client_key;
