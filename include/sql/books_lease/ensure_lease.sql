INSERT INTO books_leases (client_key, year_start, holder, held_by, held_since, expires_at)
VALUES (:client_key, :year_start, NULL, NULL, NULL, 0)
ON CONFLICT (client_key, year_start) DO NOTHING;
