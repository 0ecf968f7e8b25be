-- Why the client's connection does not work (for 'fortnox-etl status' and the clients page); NULL once it is
-- confirmed working again.
UPDATE fortnox_tokens SET last_error = :last_error WHERE client_key = :client_key;
