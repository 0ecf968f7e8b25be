SELECT holder, expires_at FROM outbox_export_leases WHERE client_key = :client_key
