INSERT INTO fortnox_connect_attempts (state, client_key, redirect_uri, created_at)
VALUES (:state, :client_key, :redirect_uri, :created_at);
