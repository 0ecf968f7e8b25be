-- The refresh request failed with an unknown outcome (Fortnox may have rotated the token): free the
-- lease but keep refresh_started_at, so the next refresh knows an attempt may have been lost.
UPDATE fortnox_tokens SET last_error = :last_error, refresh_lease_until = :now WHERE client_key = :client_key;
