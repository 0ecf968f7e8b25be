UPDATE books_leases SET holder = NULL, held_by = NULL, held_since = NULL, expires_at = 0
WHERE client_key = :client_key AND year_start = :year_start AND holder = :holder
