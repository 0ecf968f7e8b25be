-- The client's newest attempt: a bare code from the operator belongs to it.
SELECT state, client_key, redirect_uri, created_at, used_at
FROM fortnox_connect_attempts
WHERE client_key = :client_key
ORDER BY created_at DESC
LIMIT 1;
