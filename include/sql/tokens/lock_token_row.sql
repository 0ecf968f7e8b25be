-- Take the client's token row for this transaction: a row lock on PostgreSQL, and on SQLite the
-- transaction already holds the write lock (BEGIN IMMEDIATE). An UPDATE does both, portably.
UPDATE fortnox_tokens SET locked_at = :now WHERE client_key = :client_key;
