SELECT COUNT(*) AS requests, MIN(requested_at) AS oldest
FROM fortnox_request_times
WHERE tenant_id = :tenant_id AND requested_at > :window_start;
