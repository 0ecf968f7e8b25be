-- Every connected client's connection as the clients page shows it, from the plain columns (no token is decrypted).
SELECT client_key, tenant_id, service_account, access_expires_at, refresh_expires_at, connected_at, last_refresh_at,
       last_error, refresh_lease_owner
FROM fortnox_tokens;
