UPDATE fortnox_tokens
SET refresh_lease_owner = :owner, refresh_lease_until = :lease_until, refresh_started_at = :now
WHERE client_key = :client_key;
