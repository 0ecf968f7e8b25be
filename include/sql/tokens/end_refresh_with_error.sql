-- The refresh failed: remember why (for 'fortnox-etl status') and free the lease.
UPDATE fortnox_tokens
SET last_error = :last_error, refresh_lease_owner = NULL, refresh_lease_until = NULL, refresh_started_at = NULL
WHERE client_key = :client_key;
