-- Take the lease if it is free or ran out; the row stays locked (PostgreSQL) until the transaction ends,
-- and on SQLite the transaction holds the write lock already (BEGIN IMMEDIATE).
UPDATE books_leases SET holder = :holder, held_by = :held_by, held_since = :now, expires_at = :expires_at
WHERE client_key = :client_key AND year_start = :year_start AND (holder IS NULL OR expires_at < :now)
