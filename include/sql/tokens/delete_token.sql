DELETE FROM fortnox_tokens WHERE client_key = :client_key;
