INSERT INTO outbox_export_leases (client_key, holder, expires_at) VALUES (:client_key, NULL, 0)
ON CONFLICT (client_key) DO NOTHING
