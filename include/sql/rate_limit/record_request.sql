INSERT INTO fortnox_request_times (request_id, tenant_id, requested_at) VALUES (:request_id, :tenant_id, :now);
