-- The first statement of a holder's writing transaction: it still holds the lease (nobody took it over
-- after it ran out), and keeps the row locked until it commits, so no one can take it over meanwhile.
UPDATE books_leases SET expires_at = :expires_at
WHERE client_key = :client_key AND year_start = :year_start AND holder = :holder
