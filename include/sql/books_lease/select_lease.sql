SELECT held_by, held_since, expires_at FROM books_leases WHERE client_key = :client_key AND year_start = :year_start
