SELECT state, client_key, redirect_uri, created_at, used_at
FROM fortnox_connect_attempts
WHERE state = :state;
