INSERT INTO fortnox_request_times (tenant_id, requested_at) VALUES (:tenant_id, :now);
