UPDATE fortnox_tokens SET last_error = :last_error WHERE client_key = :client_key;
